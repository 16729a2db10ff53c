"""Order details fetched from the main API at API_BASE_URL, served here by a real local HTTP server."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.utils.service_process import free_port
from tests.conftest import processor_of

MAIN_API_ORDERS = {
    "ORD-CHI": {"OrderReqId": "ORD-CHI", "Industry": "food", "Location": {"lat": 41.8781, "lng": -87.6298},
                "MaxSellers": 2, "Buyer": "ACME"},
    "ORD-JUNK": ["not", "an", "object"],
}


class MainApi(BaseHTTPRequestHandler):
    def do_GET(self):
        order_id = self.path.rsplit("/", 1)[-1]
        if not self.path.startswith("/orders/") or order_id not in MAIN_API_ORDERS:
            self.send_response(404)
            self.end_headers()
            return
        body = json.dumps(MAIN_API_ORDERS[order_id]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def main_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), MainApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
async def requestor_with_api(start_requestor, processor, main_api):
    async for running in start_requestor(processor_of(processor).grpc.port, api_base_url=main_api):
        yield running


def initiate(order_id, **extra):
    return {"OrderReqId": order_id, "SessionID": "S-1", "Notification type": "GChat", **extra}


@pytest.mark.usefixtures("db_backend")
async def test_details_come_from_the_main_api(requestor_with_api):
    response = await requestor_with_api.http.post("/api/v1/initiate", json=initiate("ORD-CHI"))
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["Details"]["Industry"] == "food" and body["RankingSource"] == "haversine"
    assert body["Sellers"][0]["SellerID"] == "SELLER-003"  # Chicago Foods
    assert len(body["Sellers"]) == 2


@pytest.mark.usefixtures("db_backend")
async def test_inline_details_win_over_the_main_api(requestor_with_api):
    response = await requestor_with_api.http.post("/api/v1/initiate", json=initiate("ORD-CHI", Industry="textiles"))
    assert response.json()["Details"] == {"Industry": "textiles"}


@pytest.mark.parametrize("order_id, status", [("ORD-MISSING", 404), ("ORD-JUNK", 503)])
async def test_main_api_refusals(requestor_with_api, order_id, status, db_backend):
    response = await requestor_with_api.http.post("/api/v1/initiate", json=initiate(order_id))
    assert response.status_code == status
    assert "main API" in response.json()["detail"]["reason"]


async def test_main_api_down_is_503(start_requestor, processor, db_backend):
    async for requestor in start_requestor(processor_of(processor).grpc.port, api_base_url=f"http://127.0.0.1:{free_port()}"):
        response = await requestor.http.post("/api/v1/initiate", json=initiate("ORD-CHI"))
        assert response.status_code == 503 and "did not answer" in response.json()["detail"]["reason"]
