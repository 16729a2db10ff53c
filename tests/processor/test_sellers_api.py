"""The seller directory's admin REST: create, replace, deactivate, list, import JSON and CSV."""
import asyncio

import pytest

from processor.app.services.orders import InitiateCommand
from shared.models.orders import Location, OrderDetails
from tests.conftest import processor_of

pytestmark = pytest.mark.usefixtures("db_backend")
ADMIN = {"X-Admin-Key": "dev-admin-key"}
DENVER = {"seller_id": "SELLER-901", "name": "Denver Builders", "industries": ["Construction"],
          "lat": 39.7392, "lng": -104.9903, "gchat_webhook": None, "active": True}


async def test_admin_key_is_required(processor):
    for headers in ({}, {"X-Admin-Key": "wrong"}):
        response = await processor.http.get("/api/v1/sellers", headers=headers)
        assert response.status_code == 403 and "X-Admin-Key" in response.json()["detail"]["reason"]


async def test_create_replace_deactivate_and_list(processor):
    created = await processor.http.post("/api/v1/sellers", json=DENVER, headers=ADMIN)
    assert created.status_code == 201 and created.json()["industries"] == ["construction"]
    assert (await processor.http.post("/api/v1/sellers", json=DENVER, headers=ADMIN)).status_code == 409
    replaced = await processor.http.put("/api/v1/sellers/SELLER-901", json={**DENVER, "name": "Denver Steel"},
                                        headers=ADMIN)
    assert replaced.status_code == 200 and replaced.json()["name"] == "Denver Steel"
    mismatch = await processor.http.put("/api/v1/sellers/SELLER-902", json=DENVER, headers=ADMIN)
    assert mismatch.status_code == 422 and mismatch.json()["detail"]["field"] == "seller_id"

    listed = (await processor.http.get("/api/v1/sellers?industry=construction&limit=100", headers=ADMIN)).json()
    assert "SELLER-901" in [s["seller_id"] for s in listed["sellers"]] and listed["total"] == 11  # 10 demo + 1

    denver = Location(lat=39.7392, lng=-104.9903)
    orders = processor_of(processor).orders
    in_denver = OrderDetails(industry="construction", location=denver)
    chosen = await orders.initiate(InitiateCommand("ORD-D1", "S", "GChat", in_denver))
    assert chosen.sellers[0].seller_id == "SELLER-901" and chosen.sellers[0].distance_km == 0

    gone = await processor.http.delete("/api/v1/sellers/SELLER-901", headers=ADMIN)
    assert gone.status_code == 200 and gone.json()["active"] is False
    later = await orders.initiate(InitiateCommand("ORD-D2", "S", "GChat", in_denver))
    assert "SELLER-901" not in [s.seller_id for s in later.sellers]
    assert (await processor.http.delete("/api/v1/sellers/NOPE", headers=ADMIN)).status_code == 404


async def test_bulk_import_json_and_csv(processor):
    as_json = [{**DENVER, "seller_id": f"IMP-{n}"} for n in range(3)]
    response = await processor.http.post("/api/v1/sellers/import", json=as_json, headers=ADMIN)
    assert response.status_code == 200 and response.json() == {"imported": 3}
    csv_body = "seller_id,name,industries,lat,lng\nIMP-C1,Reno Foods,food;logistics,39.53,-119.81\n"
    response = await processor.http.post("/api/v1/sellers/import", content=csv_body,
                                         headers={**ADMIN, "Content-Type": "text/csv"})
    assert response.status_code == 200 and response.json() == {"imported": 1}
    imported = (await processor.http.get("/api/v1/sellers/IMP-C1", headers=ADMIN)).json()
    assert imported["industries"] == ["food", "logistics"]

    bad = await processor.http.post("/api/v1/sellers/import", json=[{**DENVER, "lat": 123}], headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "0.lat"
    wrong_type = await processor.http.post("/api/v1/sellers/import", content="x",
                                           headers={**ADMIN, "Content-Type": "text/plain"})
    assert wrong_type.status_code == 422


async def test_notices_reach_the_sellers_chat_space_in_one_thread(start_processor, fake_google):
    async for processor in start_processor(api_google_chat_url=fake_google.url, gchat_messages_per_second=50):
        webhook = "/v1/spaces/SPACE1/messages?key=k&token=t"
        seller = {**DENVER, "industries": ["aerospace"], "gchat_webhook": None}
        await processor.http.put("/api/v1/sellers/SELLER-901", json=seller, headers=ADMIN)
        with_hook = {**seller, "gchat_webhook": f"{fake_google.url}{webhook}"}
        hooked = await processor.http.put("/api/v1/sellers/SELLER-901", json=with_hook, headers=ADMIN)
        assert hooked.status_code == 200
        orders = processor_of(processor).orders
        await orders.initiate(InitiateCommand("ORD-CHAT", "S", "GChat", OrderDetails(industry="aerospace")))
        body = {"OrderReqID": "ORD-CHAT", "Seller": "SELLER-901",
                "ProposalDictObj": {"ProposalID": "P-CHAT", "Price": 5}}
        assert (await processor.http.post("/api/v1/proposal-submissions", json=body)).status_code == 201
        await orders.finalize("ORD-CHAT", "P-CHAT")
        chat = processor_of(processor).chat
        for _ in range(100):
            if chat.stats.sent == 2:
                break
            await asyncio.sleep(0.02)
        sent = fake_google.chat_requests()
        assert [r.path for r in sent] == ["/v1/spaces/SPACE1/messages"] * 2
        assert [r.body["thread"]["threadKey"] for r in sent] == ["ORD-CHAT", "ORD-CHAT"]
        assert "please send a proposal" in sent[0].body["text"] and "won" in sent[1].body["text"]
        stats = (await processor.http.get("/api/v1/admin/notices", headers=ADMIN)).json()
        assert (stats["sent"], stats["failed"]) == (2, 0)


async def test_a_notice_that_gives_up_is_written_to_the_order_log(start_processor, fake_google):
    fake_google.chat = lambda path, body: (503, {"error": "unavailable"}, {"Retry-After": "0"})
    async for processor in start_processor(api_google_chat_url=fake_google.url, gchat_max_attempts=2):
        seller = {**DENVER, "industries": ["aerospace"],
                  "gchat_webhook": f"{fake_google.url}/v1/spaces/S2/messages?key=k&token=t"}
        await processor.http.put("/api/v1/sellers/SELLER-901", json=seller, headers=ADMIN)
        await processor_of(processor).orders.initiate(
            InitiateCommand("ORD-FAIL", "S", "GChat", OrderDetails(industry="aerospace")))
        log = processor_of(processor).events
        async with asyncio.timeout(10):
            while not (failed := [e for e in await log.read_after("ORD-FAIL", 0)
                                  if e.event_type == "SellerNoticeFailed"]):
                await asyncio.sleep(0.05)
        assert failed[0].payload.model_dump() == {"seller_id": "SELLER-901", "kind": "invitation", "reason": "HTTP 503"}
        assert len(fake_google.chat_requests()) == 2


async def test_an_offset_beyond_a_sql_integer_is_422_not_500(processor):
    # Found by schemathesis: SQLite cannot bind it, which was a 500.
    response = await processor.http.get("/api/v1/sellers?offset=17220343913957303357800448", headers=ADMIN)
    assert response.status_code == 422 and "offset" in response.text


async def test_a_nul_character_anywhere_in_a_seller_is_a_422_not_a_database_error(processor):
    """PostgreSQL text and JSONB cannot hold one (the fuzzer found a 503 for it in industries)."""
    for field, value in [("industries", ["steel\x00"]), ("name", "Reno\x00Foods")]:
        refused = await processor.http.post("/api/v1/sellers", json={**DENVER, field: value}, headers=ADMIN)
        assert refused.status_code == 422 and "NUL" in refused.text, refused.text
    imported = await processor.http.post("/api/v1/sellers/import", json=[{**DENVER, "industries": ["a\x00"]}],
                                         headers=ADMIN)
    assert imported.status_code == 422, imported.text


async def test_sellers_sharing_a_chat_space_are_named_in_a_warning_without_the_webhook(processor, caplog):
    """They would see each other's cards and seller-page links."""
    space = "https://chat.googleapis.com/v1/spaces/SHARED/messages?key=k&token=secret-token"
    for seller_id in ("SELLER-951", "SELLER-952"):
        body = {**DENVER, "seller_id": seller_id, "gchat_webhook": space}
        assert (await processor.http.post("/api/v1/sellers", json=body, headers=ADMIN)).status_code == 201
    warned = [r.getMessage() for r in caplog.records if "share one Google Chat space" in r.getMessage()]
    assert warned and "SELLER-951, SELLER-952" in warned[-1] and "secret-token" not in warned[-1]
