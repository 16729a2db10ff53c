"""Seller webhooks the directory refuses (whitespace, control and invisible characters), so a
bad one never reaches the Chat notifier's routing; real ones still pass."""
import pytest
from pydantic import ValidationError

from processor.app.store.seller_directory import SellerRecord

SELLER = {"seller_id": "SELLER-WH", "name": "Webhook Works", "industries": ["aerospace"], "lat": 39.7, "lng": -105.0}


@pytest.mark.parametrize("webhook", [
    "http://host/spaces/bad\n/messages", "https://chat.googleapis.com/v1/spaces/x\n", "https://chat.googleapis.com/v1/spaces/x\r",
    "https://chat.googleapis.com/v1/spaces/ x", "https://chat.googleapis.com/v1/spaces/x\t", "https://chat.googleapis.com/\x00x",
    "https://chat.googleapis.com/\x7fx", "https://chat.googleapis.com/\x85x", "https://chat.googleapis.com/\u00a0x",
    "https://chat.googleapis.com/\u200bx", "https://chat.googleapis.com/\u2028x", "https://chat.googleapis.com/\ufeffx",
    "https://", "ftp://chat.googleapis.com/x",
])
def test_the_directory_refuses_a_webhook_with_whitespace_or_control_characters(webhook):
    with pytest.raises(ValidationError, match="gchat_webhook"):
        SellerRecord(**SELLER, gchat_webhook=webhook)


def test_the_directory_still_takes_real_webhooks():
    for webhook in ["https://chat.googleapis.com/v1/spaces/AAAA/messages?key=k-1_x&token=t%3D",
                    "http://127.0.0.1:8080/v1/spaces/S1/messages?key=k&token=t", "https://h/v1/spaces/é", None]:
        assert SellerRecord(**SELLER, gchat_webhook=webhook).gchat_webhook == webhook


@pytest.mark.usefixtures("db_backend")
async def test_the_admin_api_answers_422_for_a_webhook_with_a_newline(processor):
    admin = {"X-Admin-Key": "dev-admin-key"}
    for webhook in ["http://host/spaces/bad\n/messages", "https://chat.googleapis.com/v1/spaces/x\n"]:
        response = await processor.http.put("/api/v1/sellers/SELLER-WH", json={**SELLER, "gchat_webhook": webhook},
                                            headers=admin)
        assert response.status_code == 422 and "gchat_webhook" in response.text  # the field is named
        imported = await processor.http.post("/api/v1/sellers/import", json=[{**SELLER, "gchat_webhook": webhook}],
                                             headers=admin)
        assert imported.status_code == 422 and "0.gchat_webhook" in imported.text
    assert (await processor.http.get("/api/v1/sellers/SELLER-WH", headers=admin)).status_code == 404
