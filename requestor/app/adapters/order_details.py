"""Order details from the main API (API_BASE_URL), fetched with synchronous `requests`.

The seed asks for `requests` here; each call runs in a worker thread (off the event loop),
bounded by the priority queue, so a slow main API never stalls other requests.

What is asked, and what is accepted (issue 14, docs/security.md):
- the buyer's identity goes along: `X-Session-ID: <SessionID>` of the initiate being served
  (with authentication on, the session its buyer token names), so the main API can answer only
  for that buyer's own orders. The buyer's bearer token does not: it is for the Requestor alone;
- no redirect is followed: a 3xx is refused (503 naming API_BASE_URL), so the identity and the
  request never go to a host other than the one configured;
- at most MAX_DETAILS_BYTES of body is read: a larger answer is refused, whether it declares its
  length or streams without one (the body is read in chunks and reading stops at the limit);
- the whole fetch (connect, TLS, headers, body) ends within API_TIMEOUT_SECONDS, not each read:
  `timeout=` bounds one socket read, and an answer trickling a byte now and then satisfies it
  forever. A timer shuts the connection down at the deadline, which ends a read blocked anywhere
  (headers included), and the body reader checks the deadline between chunks (503 naming
  API_BASE_URL). The initiate's bound (the Idempotency-Key's claim) counts on this. Left out:
  name resolution, which no timeout of `requests` bounds either;
- nesting too deep to decode (RecursionError) is unusable details, a 503 like any other.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from typing import Any, cast
from urllib.parse import quote

import requests
from pydantic import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool, HTTPConnectionPool

from shared.errors import NotFound, Unavailable
from shared.models.orders import OrderDetails
from shared.utils.task_queue import Priority, PriorityTaskQueue

_DETAIL_KEYS = {field.alias or name for name, field in OrderDetails.model_fields.items()}
# Order details are a few KiB (200 items and a 4,000-character description at most): 1 MiB is
# far beyond any real answer, and bounds what a broken or hostile main API can make us hold.
MAX_DETAILS_BYTES = 1024 * 1024
SESSION_HEADER = "X-Session-ID"
_CHUNK_BYTES = 64 * 1024


class OrderDetailsSource:
    def __init__(self, base_url: str, *, timeout: float, queue: PriorityTaskQueue) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._queue = queue

    async def fetch(self, order_req_id: str, *, session_id: str) -> OrderDetails:
        """The details of `order_req_id`, asked on behalf of the buyer session `session_id`."""
        return await self._queue.run(
            lambda: asyncio.to_thread(self._fetch_blocking, order_req_id, session_id),
            priority=Priority.NEW_WORK, name=f"details:{order_req_id}",
        )

    def _fetch_blocking(self, order_req_id: str, session_id: str) -> OrderDetails:
        url = f"{self._base_url}/orders/{quote(order_req_id, safe='')}"
        headers = {"Accept": "application/json", SESSION_HEADER: session_id}
        too_slow = Unavailable(f"main API (API_BASE_URL) did not send the order details within "
                               f"API_TIMEOUT_SECONDS ({self._timeout:g} s): refused")
        with _Deadline(self._timeout) as deadline, requests.Session() as session:
            adapter = _DeadlineAdapter(deadline)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            try:
                body = self._get(session, url, headers, order_req_id, deadline, too_slow)
            except requests.RequestException as exc:
                if deadline.passed():  # the timer shut the connection: say why, not how it broke
                    raise too_slow from None
                raise Unavailable(f"main API (API_BASE_URL) did not answer: {type(exc).__name__}") from None
            if deadline.passed():  # a body without a length ends "normally" when its connection is shut
                raise too_slow
        try:
            document: Any = json.loads(body)
            # The main API may carry more than details (ids, audit fields): keep what we know.
            return OrderDetails.model_validate({k: v for k, v in document.items() if k in _DETAIL_KEYS})
        except (ValueError, AttributeError, RecursionError, ValidationError) as exc:
            raise Unavailable(f"main API (API_BASE_URL) sent unusable order details: {type(exc).__name__}") from None

    def _get(self, session: requests.Session, url: str, headers: dict[str, str], order_req_id: str,
             deadline: _Deadline, too_slow: Unavailable) -> bytes:
        with session.get(url, timeout=self._timeout, headers=headers, allow_redirects=False,
                         stream=True) as response:
            if 300 <= response.status_code < 400:
                raise Unavailable(f"main API (API_BASE_URL) answered HTTP {response.status_code}, "
                                  "a redirect: redirects are not followed")
            if response.status_code == 404:
                raise NotFound(f"order {order_req_id} not found at the main API (API_BASE_URL)")
            if response.status_code != 200:
                raise Unavailable(f"main API (API_BASE_URL) answered HTTP {response.status_code}")
            return _read_capped(response, deadline, too_slow)


class _Deadline:
    """The end of one fetch: at `seconds` from now, every connection it watches is shut down
    (both ways), which ends any read blocked on it, wherever urllib3 or http.client is in it."""

    def __init__(self, seconds: float) -> None:
        self._at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._watched: list[socket.socket] = []
        self._fired = False  # the timer has shut the watched connections
        self._over = False  # the fetch has ended: nothing more to watch or shut
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        with self._lock:
            self._over = True
            for sock in self._watched:
                sock.close()
            self._watched.clear()

    def passed(self) -> bool:
        return self._fired or time.monotonic() >= self._at

    def watch(self, sock: socket.socket) -> socket.socket:
        """Shut `sock` down at the deadline (now, if it has passed). A duplicate is kept: TLS
        detaches the socket object it wraps, and shutting one descriptor shuts the connection."""
        with self._lock:
            if self._fired:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            elif not self._over:
                self._watched.append(sock.dup())
        return sock

    def _fire(self) -> None:
        with self._lock:
            if self._over:
                return
            self._fired = True
            for sock in self._watched:
                with contextlib.suppress(OSError):  # already closed by its peer
                    sock.shutdown(socket.SHUT_RDWR)


class _DeadlineAdapter(HTTPAdapter):
    """requests' adapter, whose connections are watched by `deadline` from their creation."""

    def __init__(self, deadline: _Deadline) -> None:
        self._deadline = deadline
        super().__init__()

    def get_connection_with_tls_context(self, *args: Any, **kwargs: Any) -> ConnectionPool:
        # Every pool a PoolManager or ProxyManager makes, http or https, is an HTTPConnectionPool.
        pool = cast(HTTPConnectionPool, super().get_connection_with_tls_context(*args, **kwargs))
        deadline, base = self._deadline, cast(Any, pool.ConnectionCls)

        class Watched(base):  # type: ignore[misc, valid-type]  # the pool's own class (proxies, TLS)
            def _new_conn(self) -> socket.socket:
                return deadline.watch(super()._new_conn())

        pool.ConnectionCls = Watched  # this session's pool alone: the session lasts one fetch
        return pool


def _read_capped(response: requests.Response, deadline: _Deadline, too_slow: Unavailable) -> bytes:
    """The body, or a refusal as soon as it is known to exceed MAX_DETAILS_BYTES (decoded bytes
    are counted, so a compressed answer is held to the same limit) or the deadline has passed."""
    too_big = Unavailable(f"main API (API_BASE_URL) sent more than {MAX_DETAILS_BYTES} bytes "
                          f"({MAX_DETAILS_BYTES / 2**20:g} MiB) of order details: refused")
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_DETAILS_BYTES:
        raise too_big
    body = bytearray()
    for chunk in response.iter_content(chunk_size=_CHUNK_BYTES):
        if deadline.passed():
            raise too_slow
        body += chunk
        if len(body) > MAX_DETAILS_BYTES:
            raise too_big
    return bytes(body)
