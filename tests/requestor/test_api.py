"""The Requestor's REST surface in process, against a real Processor gRPC server on a real port."""
import asyncio
from functools import partial

import pytest

from devtools.service_process import free_port
from shared.utils.task_queue import Priority
from tests.conftest import processor_of, requestor_of

pytestmark = pytest.mark.usefixtures("db_backend")

SEED_INITIATE = {"OrderReqId": "ORD-001", "SessionID": "SESSION-123", "Notification type": "GChat"}
SEED_PROPOSAL = {
    "OrderReqID": "ORD-001", "Seller": "SELLER-001",
    "ProposalDictObj": {"ProposalID": "PROP-001", "Price": 1000.0, "DeliveryDate": "2025-11-01T00:00:00Z"},
}
SEED_FOLLOWUP = {
    "OrderReqID": "ORD-001", "Audience": ["PROP-001"],
    "Message": {"content": {"URLs": [], "MessageType": "text", "Message": "Please clarify delivery terms"}},
}


async def until(predicate, timeout=30.0):  # returns as soon as it holds
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def order_view(requestor, order_id="ORD-001"):
    response = await requestor.http.get(f"/api/v1/orders/{order_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def has_proposal(requestor, pid, order_id="ORD-001"):
    return any(p["ProposalID"] == pid for p in (await order_view(requestor, order_id))["Proposals"])


async def test_seed_flow(requestor, processor):
    initiated = await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)
    assert initiated.status_code == 202, initiated.text
    body = initiated.json()
    assert body["State"] == "Open" and body["Sellers"][0]["SellerID"] == "SELLER-001"
    assert [e["EventType"] for e in body["Timeline"]] == ["RequestSubmissions", "SellersSelected"]

    assert (await processor.http.post("/api/v1/proposal-submissions", json=SEED_PROPOSAL)).status_code == 201
    followup = await requestor.http.post("/api/v1/followup", json=SEED_FOLLOWUP)
    assert followup.status_code == 200, followup.text
    assert followup.json()["Reached"] == ["PROP-001"] and followup.json()["NotReached"] == []

    view = await order_view(requestor)
    assert [p["ProposalID"] for p in view["Proposals"]] == ["PROP-001"]
    assert view["Proposals"][0]["ProposalDictObj"] == SEED_PROPOSAL["ProposalDictObj"]
    assert view["FollowUps"][0]["Message"]["Message"] == "Please clarify delivery terms"
    assert [e["Seq"] for e in view["Timeline"]] == [1, 2, 3, 4]

    listed = (await requestor.http.get("/api/v1/orders")).json()
    assert listed["Total"] == 1 and listed["Orders"][0]["OrderReqID"] == "ORD-001"


async def test_initiate_is_idempotent_per_session(requestor):
    first = await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)
    again = await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["Timeline"] == first.json()["Timeline"]
    other = await requestor.http.post("/api/v1/initiate", json={**SEED_INITIATE, "SessionID": "SESSION-999"})
    assert other.status_code == 409 and "another session" in other.json()["detail"]["reason"]


async def test_pause_refuses_proposals_until_resume_then_finalize(requestor, processor):
    await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)
    paused = await requestor.http.put("/api/v1/pause/ORD-001", json={"Reason": "budget review"})
    assert paused.status_code == 200 and paused.json()["State"] == "Paused"
    refused = await processor.http.post("/api/v1/proposal-submissions", json=SEED_PROPOSAL)
    assert refused.status_code == 409
    assert (await requestor.http.put("/api/v1/pause/ORD-001")).status_code == 409  # already paused
    resumed = await requestor.http.put("/api/v1/resume/ORD-001")
    assert resumed.status_code == 200 and resumed.json()["State"] == "Open"
    assert (await processor.http.post("/api/v1/proposal-submissions", json=SEED_PROPOSAL)).status_code == 201
    second = {**SEED_PROPOSAL, "Seller": "SELLER-002", "ProposalDictObj": {"ProposalID": "PROP-002", "Price": 950.0}}
    assert (await processor.http.post("/api/v1/proposal-submissions", json=second)).status_code == 201

    final = await requestor.http.put("/api/v1/finalize/ORD-001", json={"ProposalID": "PROP-002"})
    assert final.status_code == 200, final.text
    view = final.json()
    assert (view["State"], view["WinningProposalID"]) == ("Finalised", "PROP-002")
    assert {p["ProposalID"]: p["State"] for p in view["Proposals"]} == {"PROP-001": "Closed", "PROP-002": "Accepted"}
    await until(lambda: _not_following(requestor))


async def _not_following(requestor):
    return not requestor_of(requestor).streams.followed


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("put", "/api/v1/finalize/ORD-404", {"ProposalID": "P"}),
        ("put", "/api/v1/pause/ORD-404", None),
        ("put", "/api/v1/resume/ORD-404", None),
        ("post", "/api/v1/followup", {**SEED_FOLLOWUP, "OrderReqID": "ORD-404"}),
        ("get", "/api/v1/orders/ORD-404", None),
    ],
)
async def test_unknown_order_is_404(requestor, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    response = await getattr(requestor.http, method)(path, **kwargs)
    assert response.status_code == 404
    assert response.json()["detail"]["reason"] == "order ORD-404 not found"


async def test_finalize_unknown_proposal_is_404(requestor):
    await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)
    response = await requestor.http.put("/api/v1/finalize/ORD-001", json={"ProposalID": "PROP-404"})
    assert response.status_code == 404 and "PROP-404" in response.json()["detail"]["reason"]


async def test_bad_input_is_422(requestor):
    response = await requestor.http.post("/api/v1/initiate", json={"OrderReqId": "ORD-1"})
    assert response.status_code == 422
    assert ["body", "SessionID"] in [e["loc"] for e in response.json()["detail"]]
    bad_path = await requestor.http.put("/api/v1/pause/bad%20id")
    assert bad_path.status_code == 422


async def test_processor_down_is_503_and_nothing_is_stored(start_requestor, processor):
    async for requestor in start_requestor(free_port(), grpc_call_timeout_seconds=1):
        response = await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)
        assert response.status_code == 503 and response.headers["Retry-After"]
        assert (await requestor.http.get("/api/v1/orders/ORD-001")).status_code == 404


async def test_follow_ups_are_capped_per_party_so_no_seller_spends_anothers_share(start_processor, start_requestor):
    async for processor in start_processor(max_followups_per_order=2):
        async for requestor in start_requestor(processor_of(processor).grpc.port):
            assert (await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)).status_code == 202
            assert (await processor.http.post("/api/v1/proposal-submissions", json=SEED_PROPOSAL)).status_code == 201

            def seller_says(seller: str) -> dict:
                return {"OrderReqID": "ORD-001", "Seller": seller,
                        "Message": {"content": {"URLs": [], "MessageType": "text", "Message": "Door to door"}}}

            for _ in range(2):  # SELLER-001 spends its whole share...
                sent = await processor.http.post("/api/v1/followup", json=seller_says("SELLER-001"))
                assert sent.status_code == 201
            refused = await processor.http.post("/api/v1/followup", json=seller_says("SELLER-001"))
            limit = ("on order ORD-001 seller SELLER-001 has sent 2 follow-ups, the most allowed "
                     "(MAX_FOLLOWUPS_PER_ORDER=2)")
            assert (refused.status_code, refused.json()["detail"]["reason"]) == (429, limit)
            assert "Retry-After" not in refused.headers  # waiting does not lift it
            # ...and neither the buyer nor another seller has lost any of theirs.
            assert (await processor.http.post("/api/v1/followup", json=seller_says("SELLER-002"))).status_code == 201
            for _ in range(2):
                assert (await requestor.http.post("/api/v1/followup", json=SEED_FOLLOWUP)).status_code == 200
            buyer_refused = await requestor.http.post("/api/v1/followup", json=SEED_FOLLOWUP)  # over gRPC
            assert buyer_refused.status_code == 429 and "the buyer has sent 2" in buyer_refused.text
            assert len((await order_view(requestor))["FollowUps"]) == 5


async def test_a_full_processor_queue_is_503_with_retry_after_and_nothing_is_stored(start_processor, start_requestor):
    async for processor in start_processor(max_concurrent_tasks=1, max_queued_tasks=1):
        queue, gate = processor_of(processor).queue, asyncio.Event()
        busy = [queue.submit(gate.wait, priority=Priority.NEW_WORK)]
        async with asyncio.timeout(5):
            while queue.running == 0:  # the dispatcher has taken the first
                await asyncio.sleep(0.01)
        busy.append(queue.submit(gate.wait, priority=Priority.NEW_WORK))  # one runs, one waits: full
        async for requestor in start_requestor(processor_of(processor).grpc.port, grpc_call_timeout_seconds=3):
            refused = await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)
            assert refused.status_code == 503 and refused.headers["Retry-After"], refused.text
            assert "MAX_QUEUED_TASKS=1" in refused.json()["detail"]["reason"]
            assert (await requestor.http.get("/api/v1/orders/ORD-001")).status_code == 404
            gate.set()
            await asyncio.gather(*busy)
            assert (await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)).status_code == 202


async def test_an_orders_proposals_are_paged_without_gaps_or_repeats(requestor, processor):
    assert (await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)).status_code == 202
    for n in range(5):
        body = {**SEED_PROPOSAL, "Seller": f"SELLER-00{n + 1}",
                "ProposalDictObj": {"ProposalID": f"P-{n}", "Price": 9.0}}
        assert (await processor.http.post("/api/v1/proposal-submissions", json=body)).status_code == 201

    async def all_five():
        return len((await order_view(requestor))["Proposals"]) == 5

    await until(all_five)
    seen, offset, offsets = [], 0, []
    while offset is not None:
        page = await requestor.http.get(f"/api/v1/orders/ORD-001?proposals_limit=2&proposals_offset={offset}")
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["Proposals"]) <= 2 and body["ProposalsTotal"] == 5
        assert body["Sellers"] and body["Timeline"]  # the rest of the view is whole on every page
        seen += [p["ProposalID"] for p in body["Proposals"]]
        offsets.append(offset)
        offset = body["NextProposalsOffset"]
    assert offsets == [0, 2, 4]
    assert seen == [f"P-{n}" for n in range(5)]  # in arrival order, none missing, none twice
    whole = await order_view(requestor)  # default page: 100
    assert [p["ProposalID"] for p in whole["Proposals"]] == seen and whole["NextProposalsOffset"] is None
    for bad in ("proposals_limit=0", "proposals_limit=1001", "proposals_offset=-1"):
        assert (await requestor.http.get(f"/api/v1/orders/ORD-001?{bad}")).status_code == 422


async def test_restarted_requestor_catches_up_from_its_stored_seq(start_requestor, processor):
    port = processor_of(processor).grpc.port
    async for requestor in start_requestor(port):
        await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)
        await processor.http.post("/api/v1/proposal-submissions", json=SEED_PROPOSAL)
        await until(partial(has_proposal, requestor, "PROP-001"))
    # While the Requestor is down, another proposal arrives.
    second = {**SEED_PROPOSAL, "Seller": "SELLER-002", "ProposalDictObj": {"ProposalID": "PROP-002", "Price": 1.0}}
    assert (await processor.http.post("/api/v1/proposal-submissions", json=second)).status_code == 201
    async for requestor in start_requestor(port):
        await until(partial(has_proposal, requestor, "PROP-002"))
        view = await order_view(requestor)
        assert [e["Seq"] for e in view["Timeline"]] == [1, 2, 3, 4]
        assert [p["ProposalID"] for p in view["Proposals"]] == ["PROP-001", "PROP-002"]


async def test_order_nobody_can_serve_is_failed_with_the_reason(requestor):
    response = await requestor.http.post("/api/v1/initiate", json={**SEED_INITIATE, "Industry": "aerospace"})
    assert response.status_code == 202
    body = response.json()
    assert (body["State"], body["Reason"]) == ("Failed", "no active seller in industry 'aerospace'")
    assert [e["EventType"] for e in body["Timeline"]] == ["RequestSubmissions", "OrderFailed"]


async def test_offsets_and_seqs_beyond_a_sql_integer_are_422(requestor):
    huge = "17220343913957303357800448"
    assert (await requestor.http.get(f"/api/v1/orders?offset={huge}")).status_code == 422
    assert (await requestor.http.get(f"/api/v1/orders/ORD-001/events?after_seq={huge}")).status_code == 422
    assert (await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)).status_code == 202
    response = await requestor.http.get("/api/v1/orders/ORD-001/events", headers={"Last-Event-ID": huge})
    assert response.status_code == 422 and response.json()["detail"]["field"] == "Last-Event-ID"


@pytest.mark.parametrize("value", ["²".encode("latin-1"), "٣".encode(), b"\xff\xfe", "1²".encode("latin-1")])
async def test_a_last_event_id_in_any_encoding_is_422_not_an_error(requestor, value):
    assert (await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)).status_code == 202
    response = await requestor.http.get("/api/v1/orders/ORD-001/events", headers={"Last-Event-ID": value})
    assert response.status_code == 422 and response.json()["detail"]["field"] == "Last-Event-ID"


def nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth):
        value = {"n": value}
    return value


@pytest.mark.parametrize("extra", [nested(200), {"blob": "x" * 200_000}, [[[[[[[[[[[[1]]]]]]]]]]]]],
                         ids=["deep", "large", "deep-list"])
async def test_outsized_proposal_extras_are_refused_and_the_stream_goes_on(requestor, processor, extra):
    assert (await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)).status_code == 202
    body = {**SEED_PROPOSAL, "ProposalDictObj": {**SEED_PROPOSAL["ProposalDictObj"], "Extra": extra}}
    refused = await processor.http.post("/api/v1/proposal-submissions", json=body)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["detail"]
    assert error["loc"][:2] == ["body", "ProposalDictObj"] and "limit" in error["msg"], error
    following = {**SEED_PROPOSAL, "Seller": "SELLER-002",
                 "ProposalDictObj": {**SEED_PROPOSAL["ProposalDictObj"], "ProposalID": "PROP-002"}}
    assert (await processor.http.post("/api/v1/proposal-submissions", json=following)).status_code == 201
    await until(lambda: has_proposal(requestor, "PROP-002"))
