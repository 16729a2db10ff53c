"""The production profile as deployed (real processes, PostgreSQL, mutual TLS, each service its
own keys): what it refuses at the edges."""
from __future__ import annotations

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)]
SELLER = {"seller_id": "SELLER-901", "name": "Denver Steel", "industries": ["construction"],
          "lat": 39.7392, "lng": -104.9903, "active": True}


def test_seller_webhooks_go_only_to_google_chat_or_an_allowed_proxy(production_stack, db_backend):
    admin = {"X-Admin-Key": production_stack.admin_key}
    with httpx.Client(base_url=production_stack.stack.processor_url, timeout=10) as http:
        for webhook in ("https://evil.example/hook", "http://chat.googleapis.com/v1/spaces/A/messages",
                        "https://chat.googleapis.com.evil.example/v1/spaces/A/messages"):
            refused = http.post("/api/v1/sellers", json={**SELLER, "gchat_webhook": webhook}, headers=admin)
            assert refused.status_code == 422, (webhook, refused.text)
            assert "GCHAT_WEBHOOK_ALLOWED_PREFIXES" in refused.text
        imported = http.post("/api/v1/sellers/import", headers=admin,
                             json=[{**SELLER, "gchat_webhook": "https://evil.example/hook"}])
        assert imported.status_code == 422, imported.text
        google = "https://chat.googleapis.com/v1/spaces/A/messages?key=k&token=t"
        created = http.post("/api/v1/sellers", json={**SELLER, "gchat_webhook": google}, headers=admin)
        assert created.status_code == 201, created.text
        assert http.get("/api/v1/sellers?limit=100", headers=admin).json()["total"] == 1  # no demo directory


def test_each_service_accepts_only_the_tokens_meant_for_it(production_stack, db_backend):
    running = production_stack.stack
    buyer = {"Authorization": f"Bearer {production_stack.buyer('SESSION-123')}"}
    seller = {"Authorization": f"Bearer {production_stack.seller('SELLER-001')}"}
    with httpx.Client(timeout=10) as http:
        assert http.get(f"{running.requestor_url}/api/v1/orders", headers=buyer).status_code == 200
        on_processor = http.get(f"{running.processor_url}/api/v1/sellers/SELLER-001/invitations", headers=buyer)
        assert on_processor.status_code == 401, on_processor.text
        on_requestor = http.get(f"{running.requestor_url}/api/v1/orders", headers=seller)
        assert on_requestor.status_code == 401, on_requestor.text
        assert http.get(f"{running.requestor_url}/api/v1/orders").status_code == 401
