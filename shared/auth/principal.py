"""The caller of a request, and the ownership rules every edge applies the same way."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.errors import Forbidden


class Role(StrEnum):
    SELLER = "seller"      # subject = seller id; acts on its own proposals, on orders it was invited to
    BUYER = "buyer"        # subject = the buyer's SessionID; acts on the orders that session initiated
    SERVICE = "service"    # the Requestor calling the Processor over gRPC
    ANYONE = "anyone"      # authentication off (development profile): every check passes


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    subject: str
    expires_at: float | None = None  # when the credential that named it expires (epoch seconds)
    order_scope: str | None = None  # a seller session opened from an order's link acts on that order only

    @property
    def unrestricted(self) -> bool:
        return self.role is Role.ANYONE

    def require_seller(self, seller_id: str, order_req_id: str | None = None) -> None:
        """A seller acts only as itself: the body's Seller (or the path's seller id) is its own; a
        session opened from an order's link, only on that order (`order_req_id` None: across orders)."""
        if self.unrestricted:
            return
        if self.role is not Role.SELLER or self.subject != seller_id:
            raise Forbidden(f"this credential may not act as seller {seller_id}", field="Seller")
        if self.order_scope is not None and order_req_id != self.order_scope:
            raise Forbidden(f"this session is for order {self.order_scope} only")

    def require_session(self, session_id: str, *, what: str) -> None:
        """A buyer acts only on the orders its own session initiated."""
        if self.unrestricted:
            return
        if self.role is not Role.BUYER or self.subject != session_id:
            raise Forbidden(f"{what} belongs to another buyer session")

    @property
    def session_filter(self) -> str | None:
        """The SessionID a buyer's listings are limited to (None: no limit)."""
        return None if self.unrestricted else self.subject


ANYONE = Principal(Role.ANYONE, "")
