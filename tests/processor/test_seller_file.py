"""SELLERS_FILE, loaded at every start, never undoes an admin's deactivation (issue 14)."""
import pytest

from processor.app.config import DEMO_SELLERS_FILE

pytestmark = pytest.mark.usefixtures("db_backend")
ADMIN = {"X-Admin-Key": "dev-admin-key"}


async def test_a_restart_does_not_reactivate_a_seller_the_admin_deactivated(start_processor):
    async for running in start_processor(sellers_file=DEMO_SELLERS_FILE):
        assert (await running.http.delete("/api/v1/sellers/SELLER-001", headers=ADMIN)).status_code == 200
    async for running in start_processor(sellers_file=DEMO_SELLERS_FILE):  # same database, file loaded again
        seller = await running.http.get("/api/v1/sellers/SELLER-001", headers=ADMIN)
        assert seller.json()["active"] is False, seller.text
        assert (await running.http.get("/api/v1/sellers/SELLER-002", headers=ADMIN)).json()["active"] is True
        initiated = await running.http.get("/api/v1/sellers?active=true&limit=1000", headers=ADMIN)
        assert "SELLER-001" not in [s["seller_id"] for s in initiated.json()["sellers"]]
