"""A local HTTP server that answers as Google's Distance Matrix API and Chat webhooks do.

Real sockets, Google's documented JSON; each test scripts the answers it needs.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from shared.utils.geo import haversine_km

Answer = tuple[int, dict, dict[str, str]]  # status, JSON body, headers


def road_answer(origin: str, destinations: list[str]) -> dict:
    """Google's shape: road distance 1.3 × great-circle, at 20 m/s."""
    lat, lng = map(float, origin.split(","))
    elements = []
    for destination in destinations:
        dlat, dlng = map(float, destination.split(","))
        metres = int(haversine_km(lat, lng, dlat, dlng) * 1300)
        elements.append({"status": "OK", "distance": {"text": f"{metres / 1000:.1f} km", "value": metres},
                         "duration": {"text": f"{metres // 1200} mins", "value": metres // 20}})
    return {"status": "OK", "origin_addresses": [origin], "destination_addresses": destinations,
            "rows": [{"elements": elements}]}


@dataclass
class Recorded:
    at: float
    method: str
    path: str
    query: dict[str, list[str]]
    body: dict | None


@dataclass
class FakeGoogle:
    """`distance_matrix(query) -> Answer|None` and `chat(path, body) -> Answer|None` script the replies."""

    requests: list[Recorded] = field(default_factory=list)
    distance_matrix: Callable[[dict], Answer | None] | None = None
    chat: Callable[[str, dict], Answer | None] | None = None
    url: str = ""

    def matrix_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/distancematrix/json")]

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]


def start_fake_google() -> tuple[FakeGoogle, ThreadingHTTPServer]:
    fake = FakeGoogle()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, answer: Answer) -> None:
            status, body, headers = answer
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlparse(self.path)
            query = parse_qs(url.query)
            fake.requests.append(Recorded(time.monotonic(), "GET", url.path, query, None))
            if url.path != "/maps/api/distancematrix/json":
                return self._reply((404, {"error": "not found"}, {}))
            if "key" not in query:
                return self._reply((200, {"status": "REQUEST_DENIED", "error_message": "You must use an API key"}, {}))
            scripted = fake.distance_matrix(query) if fake.distance_matrix else None
            self._reply(scripted or (200, road_answer(query["origins"][0], query["destinations"][0].split("|")), {}))

        def do_POST(self):
            url = urlparse(self.path)
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            fake.requests.append(Recorded(time.monotonic(), "POST", url.path, parse_qs(url.query), body))
            scripted = fake.chat(url.path, body) if fake.chat else None
            self._reply(scripted or (200, {"name": f"{url.path.rsplit('/messages', 1)[0]}/messages/m1",
                                           "text": body.get("text", ""), "thread": body.get("thread", {})}, {}))

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server
