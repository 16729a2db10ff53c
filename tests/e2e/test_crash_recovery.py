"""SIGKILL the Processor while sellers post proposals; after restart the buyer holds each once, in order."""
from __future__ import annotations

import asyncio

import grpc
import httpx
import pytest

from shared.proto import communicator_pb2 as pb
from shared.proto import communicator_pb2_grpc as pb_grpc

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("db_backend")]

PROPOSALS = 240
SELLERS = [f"SELLER-{n:03d}" for n in range(1, 11)]  # the default selection: first FIND_MAX_SEL by id
IN_FLIGHT = 8
TRANSIENT = (httpx.TransportError,)


async def post_until_accepted(client: httpx.AsyncClient, url: str, body: dict) -> int:
    """A seller's client: retry through the outage. Resending the same body is safe (idempotent)."""
    while True:
        try:
            response = await client.post(url, json=body)
        except TRANSIENT:
            await asyncio.sleep(0.05)
            continue
        if response.status_code >= 500:
            await asyncio.sleep(0.05)
            continue
        assert response.status_code in (200, 201), response.text
        return response.status_code


async def processor_log(grpc_port: int, order_id: str) -> list[tuple[int, str, str]]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        call = pb_grpc.OrderStreamingServiceStub(channel).ProcessOrderStream(
            pb.OrderStreamRequest(order_req_id=order_id, resume_after_seq=0)
        )
        events = []
        try:
            async with asyncio.timeout(1.0):  # replay is immediate; then the stream would tail forever
                async for message in call:
                    events.append((message.seq, message.event_id, message.event_type))
        except TimeoutError:
            call.cancel()
        return events


async def test_processor_sigkill_mid_flow_loses_and_doubles_nothing(stack):
    async with httpx.AsyncClient(timeout=10) as client:
        initiated = await client.post(f"{stack.requestor_url}/api/v1/initiate",
                                      json={"OrderReqId": "ORD-CRASH", "SessionID": "S-1", "Notification type": "GChat"})
        assert initiated.status_code == 202, initiated.text
        assert [s["SellerID"] for s in initiated.json()["Sellers"]] == SELLERS

        url = f"{stack.processor_url}/api/v1/proposal-submissions"
        bodies = [
            {"OrderReqID": "ORD-CRASH", "Seller": SELLERS[n % len(SELLERS)],
             "ProposalDictObj": {"ProposalID": f"PROP-{n:04d}", "Price": 100.0 + n}}
            for n in range(PROPOSALS)
        ]
        accepted = 0
        slots = asyncio.Semaphore(IN_FLIGHT)

        async def send(body):
            nonlocal accepted
            async with slots:
                await post_until_accepted(client, url, body)
                accepted += 1

        senders = [asyncio.create_task(send(b)) for b in bodies]
        while accepted < PROPOSALS // 3:
            await asyncio.sleep(0.01)
        stack.processor.kill()
        killed_at = accepted
        await asyncio.sleep(0.5)
        await asyncio.to_thread(stack.processor.start().wait_ready)
        await asyncio.gather(*senders)
        assert 0 < killed_at < PROPOSALS

        async def view():
            return (await client.get(f"{stack.requestor_url}/api/v1/orders/ORD-CRASH")).json()

        async with asyncio.timeout(30):
            while len((current := await view())["Proposals"]) < PROPOSALS:
                await asyncio.sleep(0.1)

    proposal_ids = [p["ProposalID"] for p in current["Proposals"]]
    assert sorted(proposal_ids) == sorted(b["ProposalDictObj"]["ProposalID"] for b in bodies)
    assert len(set(proposal_ids)) == PROPOSALS  # each exactly once
    timeline = [(e["Seq"], e["EventID"], e["EventType"]) for e in current["Timeline"]]
    assert [seq for seq, _, _ in timeline] == list(range(1, len(timeline) + 1))  # in seq order, no gap
    assert timeline == await processor_log(stack.grpc_port, "ORD-CRASH")  # the same events as the source
    assert sum(1 for _, _, kind in timeline if kind == "ProposalSubmissions") == PROPOSALS
    # The buyer's proposals are listed in the order the Processor accepted them.
    first_seen = {p["ProposalID"]: p["Seq"] for p in current["Proposals"]}
    assert proposal_ids == sorted(proposal_ids, key=first_seen.get)


async def test_graceful_processor_restart_ends_streams_and_the_requestor_resumes(stack):
    async with httpx.AsyncClient(timeout=10) as client:
        body = {"OrderReqId": "ORD-TERM", "SessionID": "S-1", "Notification type": "GChat"}
        assert (await client.post(f"{stack.requestor_url}/api/v1/initiate", json=body)).status_code == 202
        await asyncio.to_thread(stack.restart_processor)  # SIGTERM, then start again
        proposal = {"OrderReqID": "ORD-TERM", "Seller": "SELLER-001", "ProposalDictObj": {"ProposalID": "P-1", "Price": 1.0}}
        assert (await client.post(f"{stack.processor_url}/api/v1/proposal-submissions", json=proposal)).status_code == 201
        async with asyncio.timeout(10):
            while not (await client.get(f"{stack.requestor_url}/api/v1/orders/ORD-TERM")).json()["Proposals"]:
                await asyncio.sleep(0.05)
