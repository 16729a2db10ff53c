"""Issue 16: seller notices are durable and paced across the cluster (real processes, PostgreSQL).

Two Processors and one Requestor; every seller's Chat webhook is one space of a local server that
answers as Google does and records arrival times. Orders invite ten sellers each; mid-way the
Processor sending the notices is SIGKILLed. Every invitation still arrives (at least once), and
the space never receives two messages closer than its pace — across both Processors and the
takeover.
"""
from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import httpx
import pytest

from devtools.cluster import launch_cluster

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("db_backend")]

DEMO_SELLERS = Path(__file__).resolve().parents[2] / "processor" / "data" / "sellers.json"
PER_SECOND = 5.0
ORDERS = 6
WAIT_SECONDS = 90


def test_notices_survive_a_killed_sender_and_keep_the_pace_across_the_cluster(
        make_db_url, db_backend, tmp_path, fake_google):
    if db_backend != "postgresql":
        pytest.skip("replicas share a PostgreSQL database; SQLite is one process")
    sellers = json.loads(DEMO_SELLERS.read_text())
    for seller in sellers:  # one space for all (a space is its path): the pace is that space's
        seller["gchat_webhook"] = (f"{fake_google.url}/v1/spaces/ONE-SPACE/messages?key=k&token=t"
                                   f"&seller={seller['seller_id']}")
    (tmp_path / "sellers.json").write_text(json.dumps(sellers))
    cluster = launch_cluster(
        make_db_url("processor"), make_db_url("requestor"), None, tmp_path, processors=2, requestors=1,
        env={"SELLERS_FILE": str(tmp_path / "sellers.json"), "GCHAT_MESSAGES_PER_SECOND": str(PER_SECOND),
             "LOG_LEVEL": "INFO"})
    try:
        with httpx.Client(timeout=30) as client:
            orders = [f"ORD-CHAT-{n}" for n in range(ORDERS)]
            for order in orders:
                response = client.post(f"{cluster.requestor_urls[0]}/api/v1/initiate", json={
                    "OrderReqId": order, "SessionID": "S-1", "Notification type": "GChat"})
                assert response.status_code == 202, response.text
            invited = {(order, seller["SellerID"]) for order in orders
                       for seller in client.get(f"{cluster.requestor_urls[0]}/api/v1/orders/{order}").json()["Sellers"]}
            assert len(invited) == ORDERS * 10

            deadline = time.monotonic() + WAIT_SECONDS
            while len(fake_google.chat_requests()) < len(invited) // 3:  # mid-way
                assert time.monotonic() < deadline, "the notices never started"
                time.sleep(0.05)
            sender = next(n for n, p in enumerate(cluster.processors) if leads(tmp_path, p.name))
            cluster.processors[sender].kill()
            killed_after = len(fake_google.chat_requests())

            while received(fake_google) < invited:
                assert time.monotonic() < deadline, f"{len(invited - received(fake_google))} notices never arrived"
                time.sleep(0.1)
        assert leads(tmp_path, cluster.processors[1 - sender].name), "the other Processor never took over"
        arrivals = sorted(r.at for r in fake_google.chat_requests())
        gaps = [b - a for a, b in itertools.pairwise(arrivals)]
        print(f"\n{len(arrivals)} messages for {len(invited)} notices ({killed_after} before the kill); "
              f"closest two {min(gaps) * 1000:.0f} ms apart (pace {1000 / PER_SECOND:.0f} ms)")
        # Measured where the fake server reads them: allow its read jitter, not a second sender.
        assert min(gaps) >= 0.5 / PER_SECOND
    finally:
        cluster.stop()


def received(fake_google) -> set[tuple[str, str]]:
    """(order, seller) of every invitation that arrived (the thread is the order)."""
    return {(r.body["thread"]["threadKey"], r.query["seller"][0]) for r in fake_google.chat_requests()
            if "please send a proposal" in r.body["text"]}


def leads(logs: Path, name: str) -> bool:
    """Whether the Processor leads the sending now: its last word on it says so."""
    said = [line for line in (logs / f"{name}.log").read_text().splitlines() if "processor-chat-sender:" in line]
    return bool(said) and said[-1].endswith("this replica leads")
