"""Simulated sellers against the real stack: invitations in, proposals, revisions and answers out."""
from __future__ import annotations

import sys
import time

import httpx
import pytest

from devtools.service_process import ServiceProcess
from tests.e2e.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("db_backend")]


@pytest.mark.parametrize("source", ["kafka", "rest"])
def test_simulated_sellers_quote_and_answer(stack, kafka_broker, tmp_path, source, db_backend):
    args = ["--kafka", kafka_broker.bootstrap] if source == "kafka" else ["--no-kafka"]
    simulator = ServiceProcess(
        "simulator",
        [sys.executable, "-m", "simulator.main", "--processor", stack.processor_url, *args,
         "--min-delay", "0.05", "--max-delay", "0.3", "--duration", "180", "--seed", "1"],
        env={"PYTHONPATH": str(ROOT)}, ready_url=stack.processor_url + "/health", log_path=tmp_path / "simulator.log",
    ).start()
    try:
        deadline = time.monotonic() + 60  # subscribed before the first invitation
        while "listening for invitations" not in simulator.log_tail():
            assert simulator.process.poll() is None and time.monotonic() < deadline, simulator.log_tail()
            time.sleep(0.1)
        buyer = httpx.Client(base_url=stack.requestor_url)
        order = f"ORD-SIM-{source}-{db_backend}"
        initiate = {"OrderReqId": order, "SessionID": "S", "Notification type": "GChat"}
        assert buyer.post("/api/v1/initiate", json=initiate).status_code == 202

        def view():
            return buyer.get(f"/api/v1/orders/{order}").json()

        deadline = time.monotonic() + 60
        while len(view()["Proposals"]) < 10 and time.monotonic() < deadline:
            time.sleep(0.2)
        proposals = view()["Proposals"]
        assert sorted(p["Seller"] for p in proposals) == [f"SELLER-{n:03d}" for n in range(1, 11)]
        assert all(p["ProposalDictObj"]["Simulated"] is True for p in proposals)

        if source == "kafka":  # follow-ups arrive on SELLER_NOTIFY: the seller answers
            target = proposals[0]["ProposalID"]
            message = {"content": {"URLs": [], "MessageType": "text", "Message": "Can you ship faster?"}}
            follow_up = {"OrderReqID": order, "Audience": [target], "Message": message}
            assert buyer.post("/api/v1/followup", json=follow_up).status_code == 200
            deadline = time.monotonic() + 60
            while not [f for f in view()["FollowUps"] if f["Direction"] == "seller"] and time.monotonic() < deadline:
                time.sleep(0.2)
            answers = [f for f in view()["FollowUps"] if f["Direction"] == "seller"]
            assert answers and answers[0]["ProposalID"] == target
            assert "Can you ship faster?" in answers[0]["Message"]["Message"]
    finally:
        simulator.stop()
