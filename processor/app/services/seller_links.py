"""The link in a seller's Chat card, and the session it opens (issue 17).

A link names one seller and one order, is signed with the Processor's token keys, expires
(SELLER_LINK_HOURS) and is accepted nowhere but here: its audience is its own. It travels in the
URL's fragment (`…/seller/#link=…`), which browsers never send to a server, so no access log,
proxy or Referer ever holds it. The page trades it (`POST /api/v1/seller-sessions`, in a body)
for a session: a seller bearer token scoped to that order (`ord`), which every seller route
checks (Principal.require_seller), living SELLER_SESSION_HOURS and never past the link. A link is
worth something while the order is (it lives until a day after the order's expiry at most) and
only for a seller still active and invited (SellerPage.open_session). It does stay in the browser's
history: its short life is what bounds that.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.auth import Role
from shared.auth.tokens import Audience, TokenSigner
from shared.errors import Unauthorized

LINK_AUDIENCE = f"{Audience.PROCESSOR.value}/seller-link"  # never a bearer token's audience
AFTER_THE_ORDER = timedelta(hours=24)  # a link still opens the page this long after the order's expiry


@dataclass(frozen=True, slots=True)
class SellerSession:
    token: str
    seller_id: str
    order_req_id: str
    expires_at: int


@dataclass(frozen=True, slots=True)
class LinkClaims:
    seller_id: str
    order_req_id: str
    expires_at: int


class SellerLinks:
    """Signs links and sessions; whether the seller may still have one is SellerPage.open_session's."""

    def __init__(self, signer: TokenSigner, *, page_url: str | None, link_hours: float, session_hours: float) -> None:
        self._signer = signer
        self.page_url = page_url
        self._link_seconds = link_hours * 3600
        self._session_seconds = session_hours * 3600

    def link(self, seller_id: str, order_req_id: str, order_expires_at: datetime | None = None, *,
             now: float | None = None) -> str | None:
        """The seller page's URL for this seller and order (None: no page URL is configured). It
        lives SELLER_LINK_HOURS, and no longer than a day past the order's expiry (time to read the
        outcome): a link found later in a browser's history or a notification is worth nothing."""
        if self.page_url is None:
            return None
        issued = now if now is not None else time.time()
        ttl = self._link_seconds
        if order_expires_at is not None:
            ttl = min(ttl, order_expires_at.timestamp() + AFTER_THE_ORDER.total_seconds() - issued)
        token = self._signer.issue(Role.SELLER, seller_id, ttl_seconds=max(ttl, 60.0), now=issued,
                                   audience=LINK_AUDIENCE, claims={"ord": order_req_id})
        return f"{self.page_url}#link={token}"

    def verify(self, link: str, *, now: float | None = None) -> LinkClaims:
        """Whom and which order a link names; Unauthorized if it is not one of ours, was altered or expired."""
        try:
            claims = self._signer.decode(link, audience=LINK_AUDIENCE, now=now)
        except Unauthorized as refused:
            reason = refused.reason.replace("bearer token", "link").replace("the token", "the link")
            raise Unauthorized(f"this seller link cannot be used: {reason}") from None
        seller_id, order_req_id = claims.get("sub"), claims.get("ord")
        if claims.get("role") != Role.SELLER.value or not isinstance(seller_id, str) or not seller_id \
                or not isinstance(order_req_id, str) or not order_req_id:
            raise Unauthorized("this link names no seller and order")
        return LinkClaims(seller_id, order_req_id, int(claims["exp"]))

    def session(self, claims: LinkClaims, *, now: float | None = None) -> SellerSession:
        """A session for what the link names, living SELLER_SESSION_HOURS and never past the link."""
        issued = int(now if now is not None else time.time())
        ttl = int(min(self._session_seconds, claims.expires_at - issued))
        token = self._signer.issue(Role.SELLER, claims.seller_id, ttl_seconds=ttl, now=issued,
                                   claims={"ord": claims.order_req_id})
        return SellerSession(token, claims.seller_id, claims.order_req_id, issued + ttl)
