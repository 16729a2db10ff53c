"""Issue 17, item 2: the link in a seller's Chat card opens a session for that seller and that
order only — refused for another order, after it expires, and when altered — and the seller page
reads only what that seller may see."""
import asyncio
import base64
import json
import time

import pytest

from processor.app.services.seller_links import LINK_AUDIENCE
from shared.auth import Role
from tests.auth.conftest import SIGNER
from tests.auth.test_sellers import BUYER_A, SELLER_1, open_order, proposal  # noqa: F401 - open_order: fixture
from tests.conftest import processor_of

pytestmark = pytest.mark.usefixtures("db_backend")


def link_of(processor, seller: str, order: str, now: float | None = None) -> str:
    url = processor_of(processor).seller_links.link(seller, order, now=now)
    assert url is not None and "#link=" in url
    return url.split("#link=", 1)[1]


async def session(http, link: str):
    return await http.post("/api/v1/seller-sessions", json={"Link": link})


async def test_a_link_opens_a_session_for_its_order_only(open_order, secured_processor):  # noqa: F811
    http = open_order
    opened = await session(http, link_of(secured_processor, "SELLER-001", "ORD-001"))
    assert opened.status_code == 200, opened.text
    answer = opened.json()
    assert answer["SellerID"] == "SELLER-001" and answer["OrderReqID"] == "ORD-001"
    own = {"Authorization": f"Bearer {answer['Token']}"}

    view = await http.get("/api/v1/orders/ORD-001/sellers/SELLER-001", headers=own)
    assert view.status_code == 200 and view.json()["Order"]["OrderReqID"] == "ORD-001"
    updated = await http.post("/api/v1/proposal-submissions", json=proposal("SELLER-001", "PROP-001", 900.0),
                              headers=own)
    assert updated.status_code == 200, updated.text

    # Another order, the seller's other reads, another seller: all refused with this session.
    other = proposal("SELLER-001", "PROP-X") | {"OrderReqID": "ORD-OTHER"}
    for refused in [await http.post("/api/v1/proposal-submissions", json=other, headers=own),
                    await http.get("/api/v1/orders/ORD-OTHER/sellers/SELLER-001", headers=own),
                    await http.get("/api/v1/orders/ORD-OTHER", headers=own),
                    await http.get("/api/v1/sellers/SELLER-001/invitations", headers=own),
                    await http.get("/api/v1/orders/ORD-001/sellers/SELLER-002", headers=own)]:
        assert refused.status_code == 403, refused.text
    assert "ORD-001 only" in (await http.get("/api/v1/orders/ORD-OTHER", headers=own)).json()["detail"]["reason"]


async def test_a_link_is_refused_expired_altered_or_as_a_bearer_token(open_order, secured_processor):  # noqa: F811
    http = open_order
    expired = link_of(secured_processor, "SELLER-001", "ORD-001", now=time.time() - 73 * 3600)
    answer = await session(http, expired)
    assert answer.status_code == 401 and "expired" in answer.json()["detail"]["reason"]

    good = link_of(secured_processor, "SELLER-001", "ORD-001")
    header, claims, signature = good.split(".")
    payload = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    payload["ord"] = "ORD-OTHER"
    altered = ".".join([header, base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode(),
                        signature])
    refused = await session(http, altered)
    assert refused.status_code == 401 and "signature" in refused.json()["detail"]["reason"]
    garbage = await session(http, "not-a-link")
    assert garbage.status_code == 401 and "malformed" in garbage.json()["detail"]["reason"]

    # The link itself is no bearer token, and a seller's own bearer token is no link.
    as_bearer = await http.get("/api/v1/orders/ORD-001/sellers/SELLER-001", headers={"Authorization": f"Bearer {good}"})
    assert as_bearer.status_code == 401
    own_token = SELLER_1["Authorization"].split(" ", 1)[1]
    assert (await session(http, own_token)).status_code == 401
    assert (await session(http, SIGNER.issue(Role.SELLER, "SELLER-001", ttl_seconds=60, audience=LINK_AUDIENCE)
                          )).status_code == 401  # a link must name its order


async def session_of(http, processor, seller: str) -> dict[str, str]:
    opened = await session(http, link_of(processor, seller, "ORD-001"))
    return {"Authorization": f"Bearer {opened.json()['Token']}"}


async def test_the_seller_sees_its_own_timeline_live_and_nothing_of_others(
        open_order, secured_processor, secured_requestor):  # noqa: F811
    http = open_order
    one, two = [await session_of(http, secured_processor, s) for s in ("SELLER-001", "SELLER-002")]
    assert (await http.post("/api/v1/proposal-submissions", json=proposal("SELLER-002", "PROP-002", 800.0),
                            headers=two)).status_code == 201

    view = (await http.get("/api/v1/orders/ORD-001/sellers/SELLER-001", headers=one)).json()
    assert [p["ProposalID"] for p in view["Proposals"]] == ["PROP-001"]
    text = json.dumps(view["Timeline"])
    assert "PROP-002" not in text and "SELLER-002" not in text and "SESSION-A" not in text
    assert [e["EventType"] for e in view["Timeline"]] == ["ProposalSubmissions"]
    assert view["LastSeq"] == view["Timeline"][-1]["Seq"]  # not the order's: that would count its rivals' moves

    received: list[dict] = []

    async def read_stream():
        async with http.stream("GET", f"/api/v1/orders/ORD-001/sellers/SELLER-001/events?after_seq={view['LastSeq']}",
                               headers=one) as stream:
            assert stream.status_code == 200
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    received.append(json.loads(line[5:]))
                    if received[-1]["EventType"] == "OrderFinalised":
                        return

    reader = asyncio.create_task(read_stream())
    await asyncio.sleep(0.2)
    assert (await http.post("/api/v1/proposal-submissions", json=proposal("SELLER-002", "PROP-002", 700.0),
                            headers=two)).status_code == 200  # another seller's: not in this stream
    assert (await http.post("/api/v1/proposal-submissions", json=proposal("SELLER-001", "PROP-001", 650.0),
                            headers=one)).status_code == 200
    finalized = await secured_requestor.http.put("/api/v1/finalize/ORD-001", json={"ProposalID": "PROP-002"},
                                                 headers=BUYER_A)
    assert finalized.status_code == 200, finalized.text
    await asyncio.wait_for(reader, 10)  # ends with the order
    assert [e["EventType"] for e in received] == ["ProposalUpdate", "ProposalClosed", "OrderFinalised"]
    assert received[0]["Payload"]["data"]["Price"] == 650.0
    assert received[-1]["Payload"] == {"State": "Finalised", "Reason": "", "Won": False}
    assert "PROP-002" not in json.dumps(received)

    # The order is over and read to its end: a stream opened now ends at once (no endless pings).
    last = (await http.get("/api/v1/orders/ORD-001/sellers/SELLER-001", headers=one)).json()["LastSeq"]

    async def read_all() -> list[str]:
        async with http.stream("GET", f"/api/v1/orders/ORD-001/sellers/SELLER-001/events?after_seq={last}",
                               headers=one) as ended:
            return [line async for line in ended.aiter_lines() if line.startswith("data:")]

    assert await asyncio.wait_for(read_all(), 5) == []


async def test_an_operator_can_hand_a_seller_its_link_without_chat(open_order, secured_processor):  # noqa: F811
    http = open_order
    admin = {"X-Admin-Key": "dev-admin-key"}
    body = {"SellerID": "SELLER-001", "OrderReqID": "ORD-001"}
    assert (await http.post("/api/v1/admin/seller-links", json=body)).status_code == 403  # the admin key first
    made = await http.post("/api/v1/admin/seller-links", json=body, headers=admin)
    assert made.status_code == 200, made.text
    link = made.json()["URL"].split("#link=", 1)[1]
    assert (await session(http, link)).json()["SellerID"] == "SELLER-001"
    stranger = await http.post("/api/v1/admin/seller-links", json={**body, "SellerID": "SELLER-999"}, headers=admin)
    assert stranger.status_code == 404



async def test_a_link_lives_with_its_order_and_a_deactivated_seller_gets_no_session(
        open_order, secured_processor):  # noqa: F811
    from datetime import UTC, datetime, timedelta

    http = open_order
    links = processor_of(secured_processor).seller_links
    order_ends = datetime.now(UTC) + timedelta(hours=2)
    link = links.link("SELLER-001", "ORD-001", order_ends).split("#link=", 1)[1]
    claims = links.verify(link)
    assert abs(claims.expires_at - (order_ends + timedelta(hours=24)).timestamp()) < 2  # not 72 h: the order's day
    ended = datetime.now(UTC) - timedelta(hours=23, minutes=50)  # an order over for almost a day
    late = links.link("SELLER-001", "ORD-001", ended).split("#link=", 1)[1]
    opened = (await session(http, late)).json()
    assert opened["ExpiresAt"] <= links.verify(late).expires_at  # a session never outlives its link

    answer = await session(http, link)
    assert answer.headers["cache-control"] == "no-store"  # a credential: no cache, no Idempotency-Key replay
    admin = {"X-Admin-Key": "dev-admin-key"}
    assert (await http.delete("/api/v1/sellers/SELLER-001", headers=admin)).status_code == 200
    refused = await session(http, link)
    assert refused.status_code == 403 and "deactivated" in refused.json()["detail"]["reason"]


async def test_edit_lock_takes_and_live_streams_are_bounded(open_order, secured_processor):  # noqa: F811
    """A session cannot grow its order's log without end by renewing the lock, nor hold readers open."""
    from processor.app.services.seller_page import MAX_STREAMS

    http = open_order
    one = await session_of(http, secured_processor, "SELLER-001")
    lock = {"OrderReqID": "ORD-001", "ProposalID": "PROP-001", "Seller": "SELLER-001", "Action": "lock"}
    edit_locks = processor_of(secured_processor).edit_locks
    edit_locks._max_locks = 3  # as MAX_EDIT_LOCKS_PER_PROPOSAL=3 would
    token = (await http.post("/api/v1/edit-lock", json=lock, headers=one)).json()["LockToken"]  # taken: 1
    for _ in range(2):  # renewed: 2, 3
        assert (await http.post("/api/v1/edit-lock", json={**lock, "LockToken": token}, headers=one)).status_code == 200
    refused = await http.post("/api/v1/edit-lock", json={**lock, "LockToken": token}, headers=one)
    assert refused.status_code == 429 and "MAX_EDIT_LOCKS_PER_PROPOSAL=3" in refused.json()["detail"]["reason"]

    page = processor_of(secured_processor).seller_page
    held = [page.follow("SELLER-001", "ORD-001", 0) for _ in range(MAX_STREAMS)]
    for stream in held:
        await anext(stream)  # each is open, reading the log
    over = await http.get("/api/v1/orders/ORD-001/sellers/SELLER-001/events", headers=one)
    assert over.status_code == 429
    for stream in held:
        await stream.aclose()
    await page.open_stream("SELLER-001", "ORD-001")  # closed ones make room again
