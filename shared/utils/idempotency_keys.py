"""Idempotency-Key on POST and PUT: a retry with the same key gets the original answer, the
same key with a different request gets 409, and a retry while the first still runs gets 409
with Retry-After. Authentication comes first: keys are scoped to the principal the request's
credentials name (role and subject; the admin too), worked out again on every request, so two
callers' keys never meet, a caller whose credentials are refused stores nothing (its request goes
on to be refused by its route), and a replay after the credential was revoked is refused, not
answered. Answers of 5xx (and 401/408/429) are not kept: the retry runs again; nor are answers
marked `Cache-Control: no-store` (issued credentials), for anyone.

A pure ASGI middleware: it reads the body once, hands it on unchanged, and captures the answer.
"""
from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.db.idempotency import CallerFull, Claimed, IdempotencyStore, InProgress, Mismatch, Stored
from shared.errors import DomainError
from shared.utils.http_errors import send_refusal

log = logging.getLogger(__name__)
FIELD = "Idempotency-Key"
MAX_KEY_LENGTH = 255
NOT_KEPT = {401, 408, 429}
PURGE_EVERY_SECONDS = 600.0


def _sha256(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


@dataclass
class IdempotencyCounts:
    """What keys already seen got, for /metrics: the stored answer again, or a 409 because the key
    came with another request."""

    replays: int = 0
    conflicts: int = 0


@dataclass
class _Answer:
    """What the app answered, as it streams out (a 500 unless it says otherwise)."""

    status: int = 500
    content_type: str = ""
    no_store: bool = False
    body: bytearray = field(default_factory=bytearray)


class IdempotentService(Protocol):
    """What the middleware needs of the running service."""

    idempotency: IdempotencyStore
    idempotency_counts: IdempotencyCounts

    def authenticated_caller(self, path: str, headers: Mapping[str, str]) -> str:
        """Who sends this request, as its route will authenticate it ("role:subject", "admin");
        raises the route's refusal (a DomainError) when it names no one this API accepts."""


class IdempotencyKeys:
    def __init__(self, app: ASGIApp, service: Callable[[], IdempotentService | None]) -> None:
        self.app = app
        self._service = service  # None until the lifespan has built it
        self._last_purge = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT"):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        key = headers.get(FIELD)
        service = self._service()
        if key is None or service is None:
            return await self.app(scope, receive, send)
        store = service.idempotency
        try:
            caller = service.authenticated_caller(scope["path"], headers)
        except DomainError:  # refused credentials: the route says so, and nothing is stored for them
            return await self.app(scope, receive, send)
        key_bytes = key.encode("latin-1")
        if not key_bytes or len(key_bytes) > MAX_KEY_LENGTH or not all(0x21 <= c <= 0x7E for c in key_bytes):
            return await send_refusal(send, 422, f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} visible ASCII "
                                                 "characters", field=FIELD)

        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        scope_key = _sha256(caller.encode(), key_bytes)
        fingerprint = _sha256(
            scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), bytes(body))
        await self._maybe_purge(store)

        claim = await store.claim(_sha256(caller.encode()), scope_key, fingerprint)
        if isinstance(claim, CallerFull):
            return await send_refusal(
                send, 429, f"this caller already holds {claim.limit} Idempotency-Keys "
                "(IDEMPOTENCY_MAX_KEYS_PER_CALLER); retry without a key, or once older keys expire "
                "(IDEMPOTENCY_KEEP_HOURS)", field=FIELD, headers=[(b"retry-after", b"60")])
        if isinstance(claim, Mismatch):
            service.idempotency_counts.conflicts += 1
            return await send_refusal(send, 409, "this Idempotency-Key was already used with a different request",
                                      field=FIELD)
        if isinstance(claim, InProgress):
            return await send_refusal(send, 409, "a request with this Idempotency-Key is still being processed; "
                                      "retry shortly", field=FIELD, headers=[(b"retry-after", b"1")])
        if isinstance(claim, Stored):
            service.idempotency_counts.replays += 1
            return await self._replay(send, claim)
        assert isinstance(claim, Claimed)
        await self._run_and_keep(scope, bytes(body), send, store, scope_key)

    async def _run_and_keep(self, scope: Scope, body: bytes, send: Send, store: IdempotencyStore, caller: str) -> None:
        delivered = False

        async def receive_once() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        answer = _Answer()
        settled = False

        async def settle() -> None:
            nonlocal settled
            settled = True
            if answer.status >= 500 or answer.status in NOT_KEPT or answer.no_store:
                await store.release(caller)
            else:
                await store.complete(caller, answer.status, answer.content_type, bytes(answer.body))

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer.status = message["status"]
                response_headers = dict(message.get("headers", []))
                answer.content_type = response_headers.get(b"content-type", b"").decode("latin-1")
                answer.no_store = b"no-store" in response_headers.get(b"cache-control", b"").lower()
            elif message["type"] == "http.response.body":
                answer.body += message.get("body", b"")
                if not message.get("more_body"):
                    # Kept before the client sees the answer end: a retry sent the moment it has
                    # the answer finds it stored, not "still being processed".
                    await settle()
            await send(message)

        try:
            await self.app(scope, receive_once, capture)
        except BaseException:
            if not settled:
                await store.release(caller)
            raise
        if not settled:
            await settle()

    @staticmethod
    async def _replay(send: Send, stored: Stored) -> None:
        headers = [(b"content-length", str(len(stored.body)).encode()), (b"idempotent-replayed", b"true")]
        if stored.content_type:
            headers.append((b"content-type", stored.content_type.encode("latin-1")))
        await send({"type": "http.response.start", "status": stored.status, "headers": headers})
        await send({"type": "http.response.body", "body": stored.body})

    async def _maybe_purge(self, store: IdempotencyStore) -> None:
        now = time.monotonic()
        if now - self._last_purge >= PURGE_EVERY_SECONDS:
            self._last_purge = now
            purged = await store.purge()
            if purged:
                log.info("idempotency keys: %d expired answers removed", purged)
