"""Order details fetched from the main API at API_BASE_URL, served here by a real local HTTP server."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from devtools.service_process import free_port
from tests.conftest import processor_of

LIMIT = 1024 * 1024  # the documented cap on the main API's answer (README, docs/security.md)
MAIN_API_ORDERS = {
    "ORD-CHI": {"OrderReqId": "ORD-CHI", "Industry": "food", "Location": {"lat": 41.8781, "lng": -87.6298},
                "MaxSellers": 2, "Buyer": "ACME"},
    "ORD-JUNK": ["not", "an", "object"],
}
TRICKLE_INTERVAL = 0.05  # seconds between two bytes: far below any per-read timeout used here
TRICKLE_BYTES = 200  # so a trickle lasts 10 s, unless the reader hangs up
DEEP = 100_000  # levels of nesting in ORD-DEEP-*


class MainApi(BaseHTTPRequestHandler):
    requests_seen: ClassVar[list] = []  # (path, headers) of every request; each test's server has its own
    redirect_to = ""  # where ORD-MOVED-* points
    endless_done: ClassVar[threading.Event] = threading.Event()
    endless_completed = False
    trickle_done: ClassVar[threading.Event] = threading.Event()
    trickle_completed = False

    def do_GET(self):
        self.requests_seen.append((self.path, dict(self.headers)))
        order_id = self.path.rsplit("/", 1)[-1]
        if order_id.startswith("ORD-MOVED-"):  # ORD-MOVED-302 answers a 302, and so on
            self.send_response(int(order_id.rsplit("-", 1)[-1]))
            self.send_header("Location", self.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if order_id == "ORD-HUGE":  # valid details, one byte over the limit, its length declared
            padding = "x" * (LIMIT + 1 - len(json.dumps({"Industry": "food", "Notes": ""})))
            self.send_json({"Industry": "food", "Notes": padding})
            return
        if order_id == "ORD-ENDLESS":  # no Content-Length: 64 MiB of valid JSON, unless the reader stops
            self.send_endless()
            return
        if order_id in ("ORD-TRICKLE-HEADERS", "ORD-TRICKLE-BODY"):  # valid details, a byte at a time
            self.send_trickle(headers_too=order_id == "ORD-TRICKLE-HEADERS")
            return
        if order_id.startswith("ORD-DEEP-"):  # ORD-DEEP-LIST is [[[…]]], ORD-DEEP-OBJECT {"a": {"a": …}}
            opening, closing = ("[", "]") if order_id == "ORD-DEEP-LIST" else ('{"a": ', "}")
            self.send_body((opening * DEEP + "0" + closing * DEEP).encode())
            return
        if not self.path.startswith("/orders/") or order_id not in MAIN_API_ORDERS:
            self.send_response(404)
            self.end_headers()
            return
        self.send_json(MAIN_API_ORDERS[order_id])

    def send_json(self, document):
        self.send_body(json.dumps(document).encode())

    def send_body(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_endless(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(b'{"Industry": "food", "Notes": "')
            for _ in range(1024):
                self.wfile.write(b"x" * 65536)
            self.wfile.write(b'"}')
            type(self).endless_completed = True
        except OSError:
            pass  # the reader hung up
        finally:
            self.close_connection = True
            type(self).endless_done.set()

    def send_trickle(self, *, headers_too):
        """ORD-CHI's details, every byte on time for a per-read timeout, the whole far too late."""
        body = json.dumps(MAIN_API_ORDERS["ORD-CHI"]).encode()
        padding = b"x" * (TRICKLE_BYTES - len(body)) if not headers_too else b""
        body = body[:-1] + (b', "Padding": "' + padding + b'"}' if padding else b"}")
        head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + (b"X-Padding: " + b"x" * TRICKLE_BYTES + b"\r\n" if headers_too else b"")
                + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
        slow, fast = (head, body) if headers_too else (body, b"")
        try:
            if not headers_too:
                self.wfile.write(head)
            for byte in slow:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(TRICKLE_INTERVAL)
            self.wfile.write(fast)
            type(self).trickle_completed = True
        except OSError:
            pass  # the reader hung up
        finally:
            self.close_connection = True
            type(self).trickle_done.set()

    def log_message(self, *args):
        pass


def serve(handler):
    """A real HTTP server on a free port, in a thread; returns (base URL, stop)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server.shutdown


@pytest.fixture
def main_api_handler():
    class Handler(MainApi):
        requests_seen: ClassVar[list] = []
        endless_done: ClassVar[threading.Event] = threading.Event()
        trickle_done: ClassVar[threading.Event] = threading.Event()
    return Handler


@pytest.fixture
def elsewhere():
    """Another server, holding the same orders: a redirect's target, which must never be asked."""
    class Elsewhere(MainApi):
        requests_seen: ClassVar[list] = []
    url, stop = serve(Elsewhere)
    yield url, Elsewhere.requests_seen
    stop()


@pytest.fixture
def main_api(main_api_handler, elsewhere):
    main_api_handler.redirect_to = f"{elsewhere[0]}/orders/ORD-CHI"
    url, stop = serve(main_api_handler)
    yield url
    stop()


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


# --- issue 14, part B: no redirects, a size cap, the buyer's identity -----------------------------

@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_a_redirect_is_refused_and_its_target_never_asked(requestor_with_api, elsewhere, status, db_backend):
    response = await requestor_with_api.http.post("/api/v1/initiate", json=initiate(f"ORD-MOVED-{status}"))
    assert response.status_code == 503, response.text
    assert response.json()["detail"]["reason"] == (
        f"main API (API_BASE_URL) answered HTTP {status}, a redirect: redirects are not followed")
    assert elsewhere[1] == []  # the redirect's target was never contacted
    assert (await requestor_with_api.http.get(f"/api/v1/orders/ORD-MOVED-{status}")).status_code == 404


@pytest.mark.parametrize("order_id", ["ORD-HUGE", "ORD-ENDLESS"])
async def test_an_answer_over_the_size_limit_is_refused(requestor_with_api, main_api_handler, order_id, db_backend):
    response = await requestor_with_api.http.post("/api/v1/initiate", json=initiate(order_id))
    assert response.status_code == 503, response.text
    assert response.json()["detail"]["reason"] == (
        "main API (API_BASE_URL) sent more than 1048576 bytes (1 MiB) of order details: refused")
    assert (await requestor_with_api.http.get(f"/api/v1/orders/{order_id}")).status_code == 404
    if order_id == "ORD-ENDLESS":  # reading stopped at the limit: the server could not send it all
        assert main_api_handler.endless_done.wait(10)
        assert main_api_handler.endless_completed is False


@pytest.mark.usefixtures("db_backend")
async def test_the_buyers_session_is_passed_on_to_the_main_api(requestor_with_api, main_api_handler):
    body = {**initiate("ORD-CHI"), "SessionID": "SESSION-77"}
    assert (await requestor_with_api.http.post("/api/v1/initiate", json=body)).status_code == 202
    [(path, headers)] = main_api_handler.requests_seen
    assert path == "/orders/ORD-CHI" and headers["X-Session-ID"] == "SESSION-77"
    assert "Authorization" not in headers  # the buyer's token is for the Requestor alone


# --- issue 14, security review: an overall deadline, nesting -------------------------------------

@pytest.mark.parametrize("order_id", ["ORD-TRICKLE-BODY", "ORD-TRICKLE-HEADERS"])
async def test_a_trickling_answer_is_refused_at_api_timeout_seconds(
        start_requestor, processor, main_api, main_api_handler, order_id, db_backend):
    """Every byte comes well within the per-read timeout; the whole answer would take 10 s: the
    fetch as a whole (connect, headers, body) is held to API_TIMEOUT_SECONDS."""
    async for requestor in start_requestor(processor_of(processor).grpc.port, api_base_url=main_api,
                                           api_timeout_seconds=1):
        started = time.monotonic()
        response = await requestor.http.post("/api/v1/initiate", json=initiate(order_id))
        elapsed = time.monotonic() - started
        assert response.status_code == 503, response.text
        assert response.json()["detail"]["reason"] == (
            "main API (API_BASE_URL) did not send the order details within API_TIMEOUT_SECONDS (1 s): refused")
        assert elapsed < 2.5, elapsed  # about API_TIMEOUT_SECONDS, nowhere near the 10 s trickle
        assert (await requestor.http.get(f"/api/v1/orders/{order_id}")).status_code == 404
        assert main_api_handler.trickle_done.wait(5)  # the connection was dropped, not left open
        assert main_api_handler.trickle_completed is False


@pytest.mark.parametrize("order_id", ["ORD-DEEP-LIST", "ORD-DEEP-OBJECT"])
async def test_a_deeply_nested_answer_is_refused(requestor_with_api, order_id, db_backend):
    response = await requestor_with_api.http.post("/api/v1/initiate", json=initiate(order_id))
    assert response.status_code == 503, response.text
    assert response.json()["detail"]["reason"] == (
        "main API (API_BASE_URL) sent unusable order details: RecursionError")
    assert (await requestor_with_api.http.get(f"/api/v1/orders/{order_id}")).status_code == 404
