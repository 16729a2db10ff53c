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
  length or streams without one (the body is read in chunks and reading stops at the limit).
"""
from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import requests
from pydantic import ValidationError

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
        try:
            with requests.get(url, timeout=self._timeout, headers=headers, allow_redirects=False,
                              stream=True) as response:
                if 300 <= response.status_code < 400:
                    raise Unavailable(f"main API (API_BASE_URL) answered HTTP {response.status_code}, "
                                      "a redirect: redirects are not followed")
                if response.status_code == 404:
                    raise NotFound(f"order {order_req_id} not found at the main API (API_BASE_URL)")
                if response.status_code != 200:
                    raise Unavailable(f"main API (API_BASE_URL) answered HTTP {response.status_code}")
                body = _read_capped(response)
        except requests.RequestException as exc:
            raise Unavailable(f"main API (API_BASE_URL) did not answer: {type(exc).__name__}") from None
        try:
            document: Any = json.loads(body)
            # The main API may carry more than details (ids, audit fields): keep what we know.
            return OrderDetails.model_validate({k: v for k, v in document.items() if k in _DETAIL_KEYS})
        except (ValueError, AttributeError, ValidationError) as exc:
            raise Unavailable(f"main API (API_BASE_URL) sent unusable order details: {type(exc).__name__}") from None


def _read_capped(response: requests.Response) -> bytes:
    """The body, or a refusal as soon as it is known to exceed MAX_DETAILS_BYTES (decoded bytes
    are counted, so a compressed answer is held to the same limit)."""
    too_big = Unavailable(f"main API (API_BASE_URL) sent more than {MAX_DETAILS_BYTES} bytes "
                          f"({MAX_DETAILS_BYTES / 2**20:g} MiB) of order details: refused")
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_DETAILS_BYTES:
        raise too_big
    body = bytearray()
    for chunk in response.iter_content(chunk_size=_CHUNK_BYTES):
        body += chunk
        if len(body) > MAX_DETAILS_BYTES:
            raise too_big
    return bytes(body)
