"""The buyer's live event stream over a real socket: replay, live, and resume with Last-Event-ID."""
from __future__ import annotations

import json
import threading

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("db_backend")]
WAIT_SECONDS = 60  # each wait returns as soon as its event comes; generous for a loaded machine


def read_events(client: httpx.Client, url: str, until_seq: int, headers: dict | None = None) -> list[dict]:
    """Read server-sent events until `until_seq`, then hang up (as a closing browser tab would)."""
    events, current = [], {}
    with client.stream("GET", url, headers=headers or {}, timeout=WAIT_SECONDS) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith(":"):
                continue  # keep-alive comment
            if not line:
                if current:
                    events.append(current)
                    if int(current["id"]) >= until_seq:
                        return events
                current = {}
                continue
            field, _, value = line.partition(": ")
            current[field] = value
    return events


def test_reconnect_with_last_event_id_gets_exactly_the_missed_events(stack):
    buyer, seller = httpx.Client(base_url=stack.requestor_url), httpx.Client(base_url=stack.processor_url)
    order = "ORD-SSE"
    initiate = {"OrderReqId": order, "SessionID": "S", "Notification type": "GChat"}
    assert buyer.post("/api/v1/initiate", json=initiate).status_code == 202

    def propose(n):
        body = {"OrderReqID": order, "Seller": "SELLER-001",
                "ProposalDictObj": {"ProposalID": f"SSE-{n}", "Price": 10 + n}}
        assert seller.post("/api/v1/proposal-submissions", json=body).status_code == 201

    for n in range(3):
        propose(n)
    first = read_events(buyer, f"/api/v1/orders/{order}/events", until_seq=5)
    assert [(int(e["id"]), e["event"]) for e in first] == [
        (1, "RequestSubmissions"), (2, "SellersSelected"),
        (3, "ProposalSubmissions"), (4, "ProposalSubmissions"), (5, "ProposalSubmissions")]
    assert json.loads(first[2]["data"])["payload"]["proposal_id"] == "SSE-0"

    for n in range(3, 6):  # while nobody is watching
        propose(n)
    resumed = read_events(buyer, f"/api/v1/orders/{order}/events", until_seq=8, headers={"Last-Event-ID": "5"})
    assert [int(e["id"]) for e in resumed] == [6, 7, 8]
    assert [json.loads(e["data"])["payload"]["proposal_id"] for e in resumed] == ["SSE-3", "SSE-4", "SSE-5"]

    # Live: with a stream open (it has replayed seq 8), finalize; its events arrive on that
    # stream, which then ends by itself after the terminal event.
    opened = threading.Event()
    live: list[dict] = []

    def watch():
        with (httpx.Client(base_url=stack.requestor_url) as client,
              client.stream("GET", f"/api/v1/orders/{order}/events?after_seq=7", timeout=WAIT_SECONDS) as response):
                for line in response.iter_lines():
                    if line.startswith("id: "):
                        live.append({"id": int(line[4:])})
                        opened.set()
                    elif line.startswith("event: "):
                        live[-1]["event"] = line[7:]

    watcher = threading.Thread(target=watch, daemon=True)  # a failed test must not leave it holding the exit
    watcher.start()
    assert opened.wait(WAIT_SECONDS)
    assert buyer.put(f"/api/v1/finalize/{order}", json={"ProposalID": "SSE-5"}).status_code == 200
    watcher.join(WAIT_SECONDS)
    assert not watcher.is_alive()  # the stream ended after OrderFinalised
    assert [e["event"] for e in live] == [
        "ProposalSubmissions", "ProposalClosed", "ProposalClosed", "ProposalClosed", "ProposalClosed",
        "ProposalClosed", "ProposalAccepted", "OrderFinalised"]

    assert buyer.get("/api/v1/orders/ORD-NONE/events").status_code == 404
    assert buyer.get(f"/api/v1/orders/{order}/events", headers={"Last-Event-ID": "x"}).status_code == 422
