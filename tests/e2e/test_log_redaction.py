"""Nothing secret in the logs of the real services (issue 14), as `main.py` starts them.

Both services run as processes with INFO logging, a Google API key, sellers whose Chat webhooks carry
key= and token=, and a service token; an order is initiated (Distance Matrix and Chat calls to a local
fake Google), and a buyer opens an event stream with ?ticket= and a Bearer header. Their logs
show each of those requests, and none of the secrets.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from devtools.service_process import ENDED_BY_ITSELF, launch_stack
from tests.shared.test_log_redaction import BUYER_JWT, GOOGLE_API_KEY, JWT_SIGNATURE, WEBHOOK_KEY, WEBHOOK_TOKEN

pytestmark = pytest.mark.e2e
DEMO_SELLERS = Path(__file__).resolve().parents[2] / "processor" / "data" / "sellers.json"
SERVICE_TOKEN = "opaque-service-token-for-the-e2e-log-test-0123456789"
WAIT_SECONDS = 60


def test_service_logs_hold_no_keys_webhook_tokens_or_bearer_tokens(tmp_path, fake_google):
    sellers = json.loads(DEMO_SELLERS.read_text())
    for seller in sellers:
        seller["gchat_webhook"] = (f"{fake_google.url}/v1/spaces/{seller['seller_id']}/messages"
                                   f"?key={WEBHOOK_KEY}&token={WEBHOOK_TOKEN}")
    (tmp_path / "sellers.json").write_text(json.dumps(sellers))
    env = {"LOG_LEVEL": "INFO", "KAFKA_ENABLED": "false", "SELLERS_FILE": str(tmp_path / "sellers.json"),
           "API_GOOGLE_BOT_URL": fake_google.url, "GOOGLE_API_KEY": GOOGLE_API_KEY,
           "GCHAT_MESSAGES_PER_SECOND": "50", "PROCESSOR_AUTH_TOKEN": SERVICE_TOKEN}
    stack = launch_stack(f"sqlite+aiosqlite:///{tmp_path}/processor.db", f"sqlite+aiosqlite:///{tmp_path}/requestor.db",
                         "127.0.0.1:9", tmp_path, env=env)
    try:
        with httpx.Client(base_url=stack.requestor_url, timeout=WAIT_SECONDS) as buyer:
            initiate = {"OrderReqId": "ORD-LOGS", "SessionID": "S-LOGS", "Notification type": "GChat",
                        "Location": {"lat": 41.8781, "lng": -87.6298}}  # ranked by road: Distance Matrix
            assert buyer.post("/api/v1/initiate", json=initiate).status_code == 202
            deadline = time.monotonic() + WAIT_SECONDS
            while not (fake_google.matrix_requests() and fake_google.chat_requests()):
                assert time.monotonic() < deadline, "no Distance Matrix and Chat calls"
                time.sleep(0.1)
            response = buyer.get(f"/api/v1/orders/ORD-NONE/events?ticket={BUYER_JWT}",
                                 headers={"Authorization": f"Bearer {BUYER_JWT}"})
            assert response.status_code == 404
    finally:
        exit_codes = stack.stop()
    assert set(exit_codes.values()) <= ENDED_BY_ITSELF, exit_codes
    assert fake_google.matrix_requests()[0].query["key"] == [GOOGLE_API_KEY]  # the secrets were used …
    processor_log = (tmp_path / "processor.log").read_text()
    requestor_log = (tmp_path / "requestor.log").read_text()
    # … and each request was logged: httpx's lines for Google, uvicorn's access line for the stream
    assert "HTTP Request: GET http://127.0.0.1" in processor_log and "distancematrix/json?" in processor_log
    assert "HTTP Request: POST http://127.0.0.1" in processor_log and "key=REDACTED&token=REDACTED" in processor_log
    assert '"GET /api/v1/orders/ORD-NONE/events?ticket=REDACTED HTTP/1.1" 404' in requestor_log
    for secret in (GOOGLE_API_KEY, WEBHOOK_KEY, WEBHOOK_TOKEN, WEBHOOK_TOKEN.replace("%3D", "="), BUYER_JWT,
                   JWT_SIGNATURE, SERVICE_TOKEN):
        assert secret not in processor_log and secret not in requestor_log, secret
