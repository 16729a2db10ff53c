"""Order details from the main API (API_BASE_URL), fetched with synchronous `requests`.

The seed asks for `requests` here; each call runs in a worker thread (off the event loop),
bounded by the priority queue, so a slow main API never stalls other requests.
"""
from __future__ import annotations

import asyncio
from urllib.parse import quote

import requests
from pydantic import ValidationError

from shared.errors import NotFound, Unavailable
from shared.models.orders import OrderDetails
from shared.utils.task_queue import Priority, PriorityTaskQueue

_DETAIL_KEYS = {field.alias or name for name, field in OrderDetails.model_fields.items()}


class OrderDetailsSource:
    def __init__(self, base_url: str, *, timeout: float, queue: PriorityTaskQueue) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._queue = queue

    async def fetch(self, order_req_id: str) -> OrderDetails:
        return await self._queue.run(
            lambda: asyncio.to_thread(self._fetch_blocking, order_req_id),
            priority=Priority.NEW_WORK, name=f"details:{order_req_id}",
        )

    def _fetch_blocking(self, order_req_id: str) -> OrderDetails:
        url = f"{self._base_url}/orders/{quote(order_req_id, safe='')}"
        try:
            response = requests.get(url, timeout=self._timeout, headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise Unavailable(f"main API (API_BASE_URL) did not answer: {type(exc).__name__}") from None
        if response.status_code == 404:
            raise NotFound(f"order {order_req_id} not found at the main API (API_BASE_URL)")
        if response.status_code != 200:
            raise Unavailable(f"main API (API_BASE_URL) answered HTTP {response.status_code}")
        try:
            body = response.json()
            # The main API may carry more than details (ids, audit fields): keep what we know.
            return OrderDetails.model_validate({k: v for k, v in body.items() if k in _DETAIL_KEYS})
        except (ValueError, AttributeError, ValidationError) as exc:
            raise Unavailable(f"main API (API_BASE_URL) sent unusable order details: {type(exc).__name__}") from None
