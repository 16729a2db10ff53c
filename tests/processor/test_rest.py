"""The Processor's REST surface, in process, on SQLite and PostgreSQL."""
import asyncio

import pytest

from processor.app.services.orders import InitiateCommand
from shared.models.orders import OrderDetails
from tests.conftest import processor_of

pytestmark = pytest.mark.usefixtures("db_backend")


async def open_order(processor, order_id="ORD-1", **details):
    return await processor_of(processor).orders.initiate(
        InitiateCommand(order_id, "SESSION-1", "GChat", OrderDetails(**details))
    )


def proposal(order="ORD-1", seller="SELLER-001", pid="PROP-1", price=100.0, **extra):
    body = {"OrderReqID": order, "Seller": seller, "ProposalDictObj": {"ProposalID": pid, "Price": price, **extra}}
    return body


async def post(processor, path, body):
    return await processor.http.post(f"/api/v1/{path}", json=body)


async def test_submit_update_and_identical_resubmission(processor):
    await open_order(processor)
    created = await post(processor, "proposal-submissions", proposal(Terms="FOB"))
    assert created.status_code == 201, created.text
    assert created.json() | {"Seq": 0} == {
        "OrderReqID": "ORD-1", "ProposalID": "PROP-1", "Seller": "SELLER-001", "State": "Submitted",
        "Revision": 1, "Result": "created", "Seq": 0,
    }
    same = await post(processor, "proposal-submissions", proposal(Terms="FOB"))
    assert (same.status_code, same.json()["Result"], same.json()["Seq"]) == (200, "unchanged", created.json()["Seq"])
    updated = await post(processor, "proposal-submissions", proposal(price=90.0))
    assert (updated.status_code, updated.json()["Result"], updated.json()["Revision"]) == (200, "updated", 2)
    assert updated.json()["Seq"] == created.json()["Seq"] + 1


@pytest.mark.parametrize(
    "body, status, reason",
    [
        (proposal(order="ORD-404"), 404, "order ORD-404 not found"),
        # Not invited: answered as an unknown order (issue 14, no existence oracle).
        (proposal(seller="SELLER-059"), 404, "order ORD-1 not found"),
    ],
)
async def test_refusals(processor, body, status, reason):
    await open_order(processor)
    response = await post(processor, "proposal-submissions", body)
    assert (response.status_code, response.json()["detail"]["reason"]) == (status, reason)


async def test_another_sellers_proposal_is_forbidden(processor):
    await open_order(processor)
    assert (await post(processor, "proposal-submissions", proposal())).status_code == 201
    response = await post(processor, "proposal-submissions", proposal(seller="SELLER-002", price=1.0))
    assert response.status_code == 403
    assert response.json()["detail"]["reason"] == "proposal PROP-1 belongs to another seller"


async def test_invalid_body_is_422_naming_the_field(processor):
    no_proposal_id = {"OrderReqID": "ORD-1", "Seller": "S", "ProposalDictObj": {"Price": 1}}
    response = await post(processor, "proposal-submissions", no_proposal_id)
    assert response.status_code == 422
    assert ["body", "ProposalDictObj", "ProposalID"] in [e["loc"] for e in response.json()["detail"]]


async def test_paused_order_refuses_proposals_until_resumed(processor):
    await open_order(processor)
    orders = processor_of(processor).orders
    await orders.pause("ORD-1")
    refused = await post(processor, "proposal-submissions", proposal())
    assert refused.status_code == 409
    assert refused.json()["detail"]["reason"] == "order ORD-1 is Paused: cannot accept proposals"
    await orders.resume("ORD-1")
    assert (await post(processor, "proposal-submissions", proposal())).status_code == 201


async def test_a_sellers_proposal_writes_on_an_order_are_capped(start_processor):
    async for processor in start_processor(max_proposal_revisions=3):
        await open_order(processor)
        assert (await post(processor, "proposal-submissions", proposal(price=100.0))).status_code == 201  # 1
        assert (await post(processor, "proposal-submissions", proposal(price=99.0))).status_code == 200  # 2
        assert (await post(processor, "proposal-submissions", proposal(pid="PROP-2"))).status_code == 201  # 3
        limit = ("seller SELLER-001 has made 3 proposal revisions on order ORD-1, "
                 "the most allowed (MAX_PROPOSAL_REVISIONS=3)")
        for refused in (await post(processor, "proposal-submissions", proposal(price=98.0)),  # an update
                        await post(processor, "proposal-submissions", proposal(pid="PROP-3"))):  # a new one
            assert (refused.status_code, refused.json()) == (429, {"detail": {"reason": limit}})
            assert "Retry-After" not in refused.headers  # waiting does not help
        same = await post(processor, "proposal-submissions", proposal(price=99.0))  # no write: still answered
        assert (same.status_code, same.json()["Result"]) == (200, "unchanged")
        # Each seller has its own budget, counted within one batch of new proposals too.
        answers = await asyncio.gather(*(
            post(processor, "proposal-submissions", proposal(seller="SELLER-002", pid=f"PROP-2-{n}"))
            for n in range(5)))
        assert sorted(a.status_code for a in answers) == [201, 201, 201, 429, 429]


async def test_edit_lock_lease(processor):
    await open_order(processor)
    await post(processor, "proposal-submissions", proposal())
    lock_body = {"OrderReqID": "ORD-1", "ProposalID": "PROP-1", "Seller": "SELLER-001", "LockSeconds": 60}

    locked = await post(processor, "edit-lock", lock_body)
    assert locked.status_code == 200 and locked.json()["Locked"] is True
    token = locked.json()["LockToken"]
    assert (await post(processor, "edit-lock", lock_body)).status_code == 409  # already held
    assert (await post(processor, "edit-lock", {**lock_body, "Seller": "SELLER-002"})).status_code == 403

    without_token = await post(processor, "proposal-submissions", proposal(price=80.0))
    assert without_token.status_code == 409 and "LockToken" in without_token.json()["detail"]["reason"]
    with_token = await post(processor, "proposal-submissions", {**proposal(price=80.0), "LockToken": token})
    assert with_token.status_code == 200 and with_token.json()["Result"] == "updated"

    released = await post(processor, "edit-lock", {**lock_body, "Action": "unlock", "LockToken": token})
    assert released.status_code == 200 and released.json()["Locked"] is False
    assert (await post(processor, "proposal-submissions", proposal(price=70.0))).status_code == 200


async def test_lapsed_lock_is_released_and_logged(processor):
    await open_order(processor)
    await post(processor, "proposal-submissions", proposal())
    body = {"OrderReqID": "ORD-1", "ProposalID": "PROP-1", "Seller": "SELLER-001", "LockSeconds": 1}
    assert (await post(processor, "edit-lock", body)).status_code == 200
    log = processor_of(processor).events

    async def lock_events():
        return [(e.event_type.value, getattr(e.payload, "reason", "")) for e in await log.read_after("ORD-1", 0)][-2:]

    async with asyncio.timeout(10):  # the sweeper (every 0.2 s in tests) releases it after 1 s
        while await lock_events() != [("EditLock", "locked"), ("EditLock", "expired")]:
            await asyncio.sleep(0.05)
    assert (await post(processor, "proposal-submissions", proposal(price=5.0))).status_code == 200


async def test_seller_followup(processor):
    await open_order(processor)
    body = {"OrderReqID": "ORD-1", "Seller": "SELLER-001",
            "Message": {"content": {"URLs": ["https://example.com/a"], "MessageType": "link", "Message": "Spec"}}}
    response = await post(processor, "followup", body)
    assert response.status_code == 201, response.text
    assert (await post(processor, "followup", {**body, "Seller": "SELLER-050"})).status_code == 404  # not invited
    assert (await post(processor, "followup", {**body, "ProposalID": "PROP-X"})).status_code == 404


async def test_order_without_matching_sellers_fails(processor):
    summary = await open_order(processor, industry="aerospace")
    assert summary.state == "Failed"
    assert summary.reason == "no active seller in industry 'aerospace'"
    response = await post(processor, "proposal-submissions", proposal())
    assert response.status_code == 404  # nobody was invited: as if there were no such order


async def test_without_authentication_an_order_reads_in_full(processor):
    # Development (authentication off): the full summary; a seller token gets its own invitation
    # only (tests/auth/test_sellers.py).
    await open_order(processor)
    view = (await processor.http.get("/api/v1/orders/ORD-1")).json()
    assert view["SessionID"] == "SESSION-1" and len(view["Sellers"]) > 1
    missing = await processor.http.get("/api/v1/orders/ORD-2")
    assert (missing.status_code, missing.json()) == (404, {"detail": {"reason": "order ORD-2 not found"}})


async def test_health_and_readiness(processor):
    assert (await processor.http.get("/health")).json()["status"] == "ok"
    ready = await processor.http.get("/ready")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "kafka": "disabled"}


async def test_a_seller_reads_its_invitations_and_proposals(processor):
    await open_order(processor, "ORD-1")
    await open_order(processor, "ORD-2")
    await processor_of(processor).orders.pause("ORD-2")
    await post(processor, "proposal-submissions", proposal(Warranty="2y"))
    invitations = (await processor.http.get("/api/v1/sellers/SELLER-001/invitations")).json()
    assert [(i["OrderReqID"], i["State"], i["Rank"]) for i in invitations] == [
        ("ORD-2", "Paused", 1), ("ORD-1", "Open", 1)]
    assert (await processor.http.get("/api/v1/sellers/SELLER-059/invitations")).json() == []
    mine = (await processor.http.get("/api/v1/sellers/SELLER-001/proposals")).json()
    assert [(p["ProposalID"], p["State"], p["ProposalDictObj"]["Warranty"]) for p in mine] == [
        ("PROP-1", "Submitted", "2y")]
    assert (await processor.http.get("/api/v1/sellers/SELLER-002/proposals")).json() == []


async def test_oversized_bodies_are_refused_with_413(processor):
    big = proposal(Notes="x" * 1_100_000)
    response = await post(processor, "proposal-submissions", big)
    assert response.status_code == 413
    assert response.json()["detail"] == {"reason": "request body larger than 1048576 bytes", "field": "body"}
    async def chunks():  # no Content-Length: counted as it arrives
        for _ in range(20):
            yield b"x" * 65536

    chunked = await processor.http.post("/api/v1/proposal-submissions", content=chunks(),
                                        headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413
