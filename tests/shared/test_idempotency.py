"""Idempotency-Key on both services (in process, both databases): a retry gets the original
answer, a reused key with another request is a 409, concurrent retries run the request once."""
import asyncio

import pytest

pytestmark = pytest.mark.usefixtures("db_backend")

SEED_INITIATE = {"OrderReqId": "ORD-001", "SessionID": "SESSION-123", "Notification type": "GChat"}


def proposal(price: float) -> dict:
    return {"OrderReqID": "ORD-001", "Seller": "SELLER-001",
            "ProposalDictObj": {"ProposalID": "PROP-001", "Price": price, "DeliveryDate": "2025-11-01T00:00:00Z"}}


def key(k: str, **extra) -> dict:
    return {"Idempotency-Key": k, **extra}


@pytest.fixture
async def open_order(requestor, processor):
    assert (await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)).status_code == 202
    return requestor, processor


async def test_a_retried_proposal_gets_the_original_answer(open_order):
    _requestor, processor = open_order
    first = await processor.http.post("/api/v1/proposal-submissions", json=proposal(10), headers=key("k-1"))
    again = await processor.http.post("/api/v1/proposal-submissions", json=proposal(10), headers=key("k-1"))
    assert first.status_code == again.status_code == 201  # without the key the repeat would be 200 "unchanged"
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers

    other = await processor.http.post("/api/v1/proposal-submissions", json=proposal(11), headers=key("k-1"))
    assert other.status_code == 409 and other.json()["detail"]["field"] == "Idempotency-Key"
    # A key is the caller's own: another caller's same key is another request.
    theirs = await processor.http.post("/api/v1/proposal-submissions", json=proposal(12),
                                       headers=key("k-1", Authorization="Bearer someone-else"))
    assert theirs.status_code == 200 and theirs.json()["Result"] == "updated"


async def test_a_retried_finalize_is_not_refused_as_already_final(open_order):
    requestor, processor = open_order
    assert (await processor.http.post("/api/v1/proposal-submissions", json=proposal(10))).status_code == 201
    first = await requestor.http.put("/api/v1/finalize/ORD-001", json={"ProposalID": "PROP-001"}, headers=key("fin-1"))
    again = await requestor.http.put("/api/v1/finalize/ORD-001", json={"ProposalID": "PROP-001"}, headers=key("fin-1"))
    assert first.status_code == again.status_code == 200 and again.json()["State"] == "Finalised"
    unkeyed = await requestor.http.put("/api/v1/finalize/ORD-001", json={"ProposalID": "PROP-001"})
    assert unkeyed.status_code == 409


async def test_concurrent_retries_run_the_request_once(open_order):
    _requestor, processor = open_order
    answers = await asyncio.gather(*(
        processor.http.post("/api/v1/proposal-submissions", json=proposal(10), headers=key("burst"))
        for _ in range(6)
    ))
    assert {a.status_code for a in answers} <= {201, 409}
    assert all(a.json()["Result"] == "created" for a in answers if a.status_code == 201)
    assert all("still being processed" in a.json()["detail"]["reason"] and a.headers["Retry-After"]
               for a in answers if a.status_code == 409)
    order = await processor_order(processor)
    assert order["LastSeq"] == 3  # RequestSubmissions, SellersSelected, one ProposalSubmitted


async def processor_order(processor):
    return (await processor.http.get("/api/v1/orders/ORD-001")).json()


@pytest.mark.parametrize("bad", ["", "x" * 256, "has space", "ké".encode("latin-1"), "ké".encode(), b"\xff\xfe"])
async def test_a_malformed_key_is_422_naming_the_header(open_order, bad):
    _requestor, processor = open_order
    response = await processor.http.post("/api/v1/proposal-submissions", json=proposal(10), headers=key(bad))
    assert response.status_code == 422 and response.json()["detail"]["field"] == "Idempotency-Key"


async def test_an_issued_token_is_never_replayed_to_anyone(processor):
    """Issue 14's serious hole: keys were scoped by the Authorization header only, so a caller
    without the admin key who repeated the admin's Idempotency-Key got the stored seller token."""
    admin = key("K-TOKEN", **{"X-Admin-Key": "dev-admin-key"})
    issued = await processor.http.post("/api/v1/sellers/SELLER-001/token", headers=admin)
    assert issued.status_code == 201 and issued.headers["cache-control"] == "no-store"

    for intruder in (key("K-TOKEN"), key("K-TOKEN", **{"X-Admin-Key": "guess"})):
        replay = await processor.http.post("/api/v1/sellers/SELLER-001/token", headers=intruder)
        assert replay.status_code == 403 and "token" not in replay.json(), replay.text

    again = await processor.http.post("/api/v1/sellers/SELLER-001/token", headers=admin)
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers  # issued anew, not stored


async def test_an_unfinished_claim_is_taken_over_only_after_the_longest_request(requestor, processor):
    from datetime import timedelta

    from tests.conftest import processor_of, requestor_of

    buyer = requestor_of(requestor)
    longest_initiate = (buyer.settings.api_timeout_seconds + buyer.settings.grpc_call_timeout_seconds
                        + buyer.settings.action_wait_seconds)  # before any wait for the database
    assert buyer.idempotency.stale_after > timedelta(seconds=longest_initiate)
    assert processor_of(processor).idempotency.stale_after > timedelta(seconds=30)  # SQLite's lock wait


async def test_the_answer_is_kept_before_the_client_sees_it_end():
    """A retry sent the moment the first answer arrives must find it stored, not 'still running'."""
    from shared.db.idempotency import Claimed
    from shared.utils.idempotency_keys import IdempotencyKeys

    happened: list[str] = []

    class Store:
        async def claim(self, *_args):
            return Claimed()

        async def complete(self, *_args):
            happened.append("kept")

        async def release(self, *_args):
            happened.append("released")

        async def purge(self):
            return 0

    class Service:
        idempotency = Store()

        def authenticated_caller(self, path, headers):
            return "seller:S-1"

    async def app(scope, receive, send):
        await receive()
        await send({"type": "http.response.start", "status": 201, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b"{}", "more_body": False})

    async def receive():
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message):
        happened.append("end of answer" if message["type"] == "http.response.body" else "start")

    scope = {"type": "http", "method": "POST", "path": "/api/v1/x", "query_string": b"",
             "headers": [(b"idempotency-key", b"k-1")]}
    await IdempotencyKeys(app, service=Service)(scope, receive, send)
    assert happened == ["start", "kept", "end of answer"]
