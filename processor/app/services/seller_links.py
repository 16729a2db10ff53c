"""The link in a seller's Chat card, and the session it opens (issue 17).

A link names one seller and one order, is signed with the Processor's token keys, expires
(SELLER_LINK_HOURS) and is accepted nowhere but here: its audience is its own. It travels in the
URL's fragment (`…/seller/#link=…`), which browsers never send to a server, so no access log,
proxy or Referer ever holds it. The page trades it (`POST /api/v1/seller-sessions`, in a body)
for a session: a seller bearer token scoped to that order (`ord`), which every seller route
checks (Principal.require_seller), living SELLER_SESSION_HOURS.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from shared.auth import Role
from shared.auth.tokens import Audience, TokenSigner
from shared.errors import Unauthorized

LINK_AUDIENCE = f"{Audience.PROCESSOR.value}/seller-link"  # never a bearer token's audience


@dataclass(frozen=True, slots=True)
class SellerSession:
    token: str
    seller_id: str
    order_req_id: str
    expires_at: int


class SellerLinks:
    def __init__(self, signer: TokenSigner, *, page_url: str | None, link_hours: float, session_hours: float) -> None:
        self._signer = signer
        self.page_url = page_url
        self._link_seconds = link_hours * 3600
        self._session_seconds = session_hours * 3600

    def link(self, seller_id: str, order_req_id: str, *, now: float | None = None) -> str | None:
        """The seller page's URL for this seller and order (None: no page URL is configured)."""
        if self.page_url is None:
            return None
        token = self._signer.issue(Role.SELLER, seller_id, ttl_seconds=self._link_seconds, now=now,
                                   audience=LINK_AUDIENCE, claims={"ord": order_req_id})
        return f"{self.page_url}#link={token}"

    def open_session(self, link: str, *, now: float | None = None) -> SellerSession:
        """The session a link opens; Unauthorized if it is not one of ours, was altered or expired."""
        try:
            claims = self._signer.decode(link, audience=LINK_AUDIENCE, now=now)
        except Unauthorized as refused:
            reason = refused.reason.replace("bearer token", "link").replace("the token", "the link")
            raise Unauthorized(f"this seller link cannot be used: {reason}") from None
        seller_id, order_req_id = claims.get("sub"), claims.get("ord")
        if claims.get("role") != Role.SELLER.value or not isinstance(seller_id, str) or not seller_id \
                or not isinstance(order_req_id, str) or not order_req_id:
            raise Unauthorized("this link names no seller and order")
        issued = now if now is not None else time.time()
        token = self._signer.issue(Role.SELLER, seller_id, ttl_seconds=self._session_seconds, now=issued,
                                   claims={"ord": order_req_id})
        return SellerSession(token, seller_id, order_req_id, int(issued) + int(self._session_seconds))
