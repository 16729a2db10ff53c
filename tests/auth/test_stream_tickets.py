"""Issue 14: the buyer's event stream needs no long-lived token in its URL (a one-minute ticket for
one order instead), and a stream ends when the credential that opened it expires."""
import time

import pytest

from shared.auth import Role
from tests.auth.conftest import SIGNER, bearer

pytestmark = pytest.mark.usefixtures("db_backend")

BUYER_A, BUYER_B = bearer(Role.BUYER, "SESSION-A"), bearer(Role.BUYER, "SESSION-B")


def initiate_body(order_id: str, session: str) -> dict:
    return {"OrderReqId": order_id, "SessionID": session, "Notification type": "GChat"}


@pytest.fixture
async def http(secured_requestor):
    client = secured_requestor.http
    for order_id, session, headers in (("ORD-A", "SESSION-A", BUYER_A), ("ORD-A2", "SESSION-A", BUYER_A),
                                       ("ORD-B", "SESSION-B", BUYER_B)):
        response = await client.post("/api/v1/initiate", json=initiate_body(order_id, session), headers=headers)
        assert response.status_code == 202, response.text
    return client


def short_lived(session: str, seconds: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {SIGNER.issue(Role.BUYER, session, ttl_seconds=seconds)}"}


async def ticket_for(http, order_id: str, headers: dict[str, str]) -> str:
    response = await http.post(f"/api/v1/orders/{order_id}/events/ticket", headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["EventsURL"] == f"/api/v1/orders/{order_id}/events?ticket={body['Ticket']}"
    return body["Ticket"]


async def test_a_ticket_opens_its_orders_stream_which_ends_when_the_buyers_token_expires(http):
    ticket = await ticket_for(http, "ORD-A", short_lived("SESSION-A", 3))
    started = time.monotonic()
    stream = await http.get(f"/api/v1/orders/ORD-A/events?ticket={ticket}")  # returns once the stream ends
    assert stream.status_code == 200, stream.text
    assert "event: SellersSelected" in stream.text and stream.text.rstrip().endswith("data: {}")
    assert "event: CredentialExpired" in stream.text
    assert 1 < time.monotonic() - started < 30


async def test_a_stream_opened_with_a_bearer_header_also_ends_at_its_expiry(http):
    stream = await http.get("/api/v1/orders/ORD-A/events", headers=short_lived("SESSION-A", 2))
    assert stream.status_code == 200 and "event: CredentialExpired" in stream.text


async def test_a_ticket_opens_nothing_else(http):
    ticket = await ticket_for(http, "ORD-A", BUYER_A)
    refusals = {
        "another order of the same buyer": http.get(f"/api/v1/orders/ORD-A2/events?ticket={ticket}"),
        "as a bearer token": http.get("/api/v1/orders/ORD-A", headers={"Authorization": f"Bearer {ticket}"}),
        "a bearer token as a ticket": http.get(
            f"/api/v1/orders/ORD-A/events?ticket={BUYER_A['Authorization'].removeprefix('Bearer ')}"),
        "the old ?access_token": http.get(
            f"/api/v1/orders/ORD-A/events?access_token={BUYER_A['Authorization'].removeprefix('Bearer ')}"),
        "a tampered ticket": http.get(f"/api/v1/orders/ORD-A/events?ticket={ticket[:-2]}AA"),
    }
    for name, request in refusals.items():
        response = await request
        assert response.status_code == 401, (name, response.text)


async def test_an_expired_ticket_is_refused(http):
    expired = SIGNER.issue(Role.BUYER, "SESSION-A", ttl_seconds=60, now=time.time() - 3600,
                           audience="dcent-requestor/stream", claims={"ord": "ORD-A", "until": int(time.time()) + 60})
    response = await http.get(f"/api/v1/orders/ORD-A/events?ticket={expired}")
    assert response.status_code == 401 and "expired" in response.json()["detail"]["reason"]


async def test_tickets_are_only_for_the_buyers_own_orders(http):
    assert (await http.post("/api/v1/orders/ORD-A/events/ticket")).status_code == 401
    foreign = await http.post("/api/v1/orders/ORD-B/events/ticket", headers=BUYER_A)
    missing = await http.post("/api/v1/orders/ORD-Z/events/ticket", headers=BUYER_A)
    assert foreign.status_code == missing.status_code == 404
