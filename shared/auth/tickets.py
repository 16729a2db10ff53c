"""Stream tickets: a short-lived, single-purpose credential a browser can put in a URL.

A browser's EventSource cannot set headers, and a bearer token in a URL ends up in proxies'
and servers' access logs for its whole life. So the buyer trades its bearer token (in a header)
for a ticket that opens one order's stream only, only for a minute, and carries the bearer
token's own expiry: the stream it opens ends when that token would have.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from shared.auth.principal import Principal, Role
from shared.auth.tokens import TokenSigner
from shared.errors import Unauthorized


@dataclass(frozen=True, slots=True)
class StreamTicket:
    ticket: str
    expires_at: float


class StreamTickets:
    def __init__(self, signer: TokenSigner, *, audience: str, ttl_seconds: float) -> None:
        self._signer = signer
        self._audience = f"{audience}/stream"  # never accepted where a bearer token is
        self._ttl = ttl_seconds

    def issue(self, caller: Principal, order_req_id: str, *, now: float | None = None) -> StreamTicket:
        issued = now if now is not None else time.time()
        ttl = self._ttl if caller.expires_at is None else max(0.0, min(self._ttl, caller.expires_at - issued))
        stream_until = caller.expires_at if caller.expires_at is not None else issued + self._ttl
        ticket = self._signer.issue(
            Role.BUYER, caller.subject or "development", ttl_seconds=ttl, now=issued, audience=self._audience,
            claims={"ord": order_req_id, "until": int(stream_until)},
        )
        return StreamTicket(ticket, int(issued) + int(ttl))

    def redeem(self, ticket: str, order_req_id: str, *, now: float | None = None) -> Principal:
        """The buyer a ticket names, for this order's stream only; its expiry is the stream's end."""
        claims = self._signer.decode(ticket, audience=self._audience, now=now)
        if claims.get("ord") != order_req_id:
            raise Unauthorized("this stream ticket opens another order's stream")
        until = claims.get("until")
        if type(until) is not int:
            raise Unauthorized("the stream ticket is malformed")
        return Principal(Role.BUYER, str(claims["sub"]), expires_at=float(until))
