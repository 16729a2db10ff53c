"""Idempotency-Key with authentication on: the key belongs to the authenticated principal, a
refused credential stores nothing, and a replay is answered only to a caller that may still act."""
import pytest
from sqlalchemy import func, select

from processor.app.services.orders import InitiateCommand
from processor.app.store.tables import IdempotencyRow
from shared.auth import Role, TokenSigner
from shared.config.settings import DEV_TOKEN_SECRET
from shared.models.orders import OrderDetails
from tests.auth.conftest import bearer
from tests.conftest import processor_of

pytestmark = pytest.mark.usefixtures("db_backend")
URL = "/api/v1/proposal-submissions"


def proposal(seller: str, price: float = 10.0) -> dict:
    return {"OrderReqID": "ORD-1", "Seller": seller, "ProposalDictObj": {"ProposalID": f"P-{seller}", "Price": price}}


async def open_order(running) -> None:
    await processor_of(running).orders.initiate(InitiateCommand("ORD-1", "S", "GChat", OrderDetails()))


async def stored_keys(running) -> int:
    async with processor_of(running).sessions() as session:
        return await session.scalar(select(func.count()).select_from(IdempotencyRow))


async def test_two_sellers_with_one_key_each_get_their_own_answer(secured_processor):
    await open_order(secured_processor)
    for seller in ("SELLER-001", "SELLER-002"):
        headers = {**bearer(Role.SELLER, seller), "Idempotency-Key": "same-key"}
        response = await secured_processor.http.post(URL, json=proposal(seller), headers=headers)
        assert response.status_code == 201, response.text  # not the other's answer, not a 409 mismatch
        assert response.json()["ProposalID"] == f"P-{seller}" and "idempotent-replayed" not in response.headers


@pytest.mark.parametrize("credentials", [
    {}, {"Authorization": "Bearer forged"}, bearer(Role.BUYER, "S"),
    {"Authorization": "Bearer " + TokenSigner({"dev": "another-secret-32-bytes-long-xxxxx"}).issue(
        Role.SELLER, "SELLER-001", ttl_seconds=600)},
], ids=["none", "garbage", "buyer-token", "foreign-secret"])
async def test_a_refused_credential_stores_nothing(secured_processor, credentials):
    await open_order(secured_processor)
    for attempt in range(3):
        response = await secured_processor.http.post(
            URL, json=proposal("SELLER-001"), headers={**credentials, "Idempotency-Key": f"k-{attempt}"})
        assert response.status_code in (401, 403), response.text
    assert await stored_keys(secured_processor) == 0


async def test_a_replay_after_the_secret_was_revoked_is_refused(start_processor):
    headers = {**bearer(Role.SELLER, "SELLER-001"), "Idempotency-Key": "k-1"}
    async for running in start_processor(auth_enabled=True):
        await open_order(running)
        assert (await running.http.post(URL, json=proposal("SELLER-001"), headers=headers)).status_code == 201
    rotated = {"k-new": "a-new-secret-that-replaced-the-dev-one-000000"}
    assert DEV_TOKEN_SECRET not in rotated.values()
    async for running in start_processor(auth_enabled=True, auth_token_secrets=rotated):
        replay = await running.http.post(URL, json=proposal("SELLER-001"), headers=headers)
        assert replay.status_code == 401 and "idempotent-replayed" not in replay.headers, replay.text


@pytest.mark.parametrize("admin_key", ["dév-admin-kéy", "dev-admin-key\u00ff"])
async def test_an_admin_key_in_any_encoding_is_refused_not_an_error(secured_processor, admin_key):
    response = await secured_processor.http.post(
        "/api/v1/sellers/SELLER-001/token", headers={"X-Admin-Key": admin_key.encode(), "Idempotency-Key": "k-1"})
    assert response.status_code == 403, response.text


def test_the_admin_paths_are_exactly_the_admin_routes():
    from fastapi.routing import APIRoute

    from processor.app.api.v1.sellers import require_admin
    from processor.app.container import ADMIN_PATHS
    from processor.app.factory import create_app
    from tests.conftest import processor_settings

    app = create_app(processor_settings("sqlite+aiosqlite:///unused.db"))
    for route in (r for r in app.routes if isinstance(r, APIRoute)):
        admin = any(d.call is require_admin for d in route.dependant.dependencies)
        assert route.path.startswith(ADMIN_PATHS) == admin or not route.methods & {"POST", "PUT"}, route.path


async def test_each_caller_holds_a_bounded_number_of_keys(start_processor):
    async for running in start_processor(auth_enabled=True, idempotency_max_keys_per_caller=3):
        await open_order(running)
        seller_1 = bearer(Role.SELLER, "SELLER-001")
        for attempt in range(3):
            sent = await running.http.post(URL, json=proposal("SELLER-001", 10.0 + attempt),
                                           headers={**seller_1, "Idempotency-Key": f"k-{attempt}"})
            assert sent.status_code in (200, 201), sent.text
        full = await running.http.post(URL, json=proposal("SELLER-001", 20.0),
                                       headers={**seller_1, "Idempotency-Key": "k-3"})
        assert full.status_code == 429 and full.headers["Retry-After"], full.text
        assert "IDEMPOTENCY_MAX_KEYS_PER_CALLER" in full.json()["detail"]["reason"]
        replay = await running.http.post(URL, json=proposal("SELLER-001", 10.0),
                                         headers={**seller_1, "Idempotency-Key": "k-0"})
        assert replay.headers.get("idempotent-replayed") == "true"  # keys it holds still answer
        other = await running.http.post(URL, json=proposal("SELLER-002"),
                                        headers={**bearer(Role.SELLER, "SELLER-002"), "Idempotency-Key": "k-0"})
        assert other.status_code == 201, other.text  # one caller's keys never crowd out another's
        assert await stored_keys(running) == 4
