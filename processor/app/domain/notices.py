"""What the Processor tells sellers, and the port of the adapter that carries it.

A notice is written with the change that causes it (store/notice_outbox.py) and handed to the
carrier, in the order written (a seller never hears "you won" before "new order"), by the one
replica that sends them (services/notice_sender.py); it never slows or fails the request that
caused it. The carrier is Google Chat (processor/app/adapters/google_chat.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from processor.app.domain.rows import OrderRow
from shared.models.orders import OrderDetails


class NoticeKind(StrEnum):
    INVITATION = "invitation"
    BUYER_FOLLOW_UP = "buyer_follow_up"
    PROPOSAL_ACCEPTED = "proposal_accepted"
    PROPOSAL_CLOSED = "proposal_closed"
    ORDER_PAUSED = "order_paused"
    ORDER_RESUMED = "order_resumed"
    ORDER_EXPIRED = "order_expired"


# A Chat message is at most 32,000 bytes: the card keeps well inside that, whatever the order says
# (and HTML-escaped "&" grows five-fold): at most 20 items of at most 100 characters, the rest
# "and N more"; the description and the buyer's words cut at 800 characters.
MAX_CARD_ITEMS = 20
MAX_ITEM_CHARS = 100
MAX_CARD_TEXT_CHARS = 800
MAX_TEXT_CHARS = 1000


def shortened(words: str, limit: int) -> str:
    return words if len(words) <= limit else words[:limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class NoticeCard:
    """What a notice shows beyond its one line, in no carrier's format: a title, the order's facts
    (label, value) and the buyer's words when there are some. The carrier adds the link to the
    seller page (it is signed when sent, so it never rests in the database)."""

    title: str
    subtitle: str = ""
    facts: tuple[tuple[str, str], ...] = ()
    items: tuple[str, ...] = ()
    message: str = ""
    expires_at: datetime | None = None  # the order's: the link to the seller page lives a little past it

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "subtitle": self.subtitle, "facts": [list(f) for f in self.facts],
                "items": list(self.items), "message": self.message,
                "expires_at": self.expires_at.isoformat() if self.expires_at else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NoticeCard:
        expires = data.get("expires_at")
        return cls(str(data["title"]), str(data.get("subtitle", "")),
                   tuple((str(label), str(value)) for label, value in data.get("facts", [])),
                   tuple(map(str, data.get("items", []))), str(data.get("message", "")),
                   datetime.fromisoformat(expires) if expires else None)


TITLES = {
    NoticeKind.INVITATION: ("New order {order}", "You are invited to send a proposal"),
    NoticeKind.BUYER_FOLLOW_UP: ("The buyer asks about order {order}", "Reply or update your proposal"),
    NoticeKind.PROPOSAL_ACCEPTED: ("Your proposal won order {order}", "The buyer accepted it"),
    NoticeKind.PROPOSAL_CLOSED: ("Order {order} went to another proposal", "Yours was closed"),
    NoticeKind.ORDER_PAUSED: ("Order {order} is paused", "Proposals wait until the buyer resumes it"),
    NoticeKind.ORDER_RESUMED: ("Order {order} is open again", "You can send or update your proposal"),
    NoticeKind.ORDER_EXPIRED: ("Order {order} expired", "It takes no more proposals"),
}


def order_card(kind: NoticeKind, order_req_id: str, details: OrderDetails, expires_at: datetime, *,
               distance_km: float | None = None, message: str = "") -> NoticeCard:
    """The card of a notice about an order: what is asked (description, items and quantities), how
    far, until when."""
    title, subtitle = TITLES[kind]
    facts: list[tuple[str, str]] = []
    if details.description:
        facts.append(("Description", shortened(details.description, MAX_CARD_TEXT_CHARS)))
    if details.industry:
        facts.append(("Industry", details.industry))
    if distance_km is not None:
        facts.append(("Distance", f"{distance_km:,.1f} km"))
    facts.append(("Expires", expires_at.strftime("%d %b %Y, %H:%M UTC")))
    items = [shortened(f"{item.quantity:g} {item.unit or '×'} {item.name}", MAX_ITEM_CHARS) for item in details.items]
    if len(items) > MAX_CARD_ITEMS:
        items = [*items[:MAX_CARD_ITEMS], f"and {len(items) - MAX_CARD_ITEMS} more"]
    return NoticeCard(title.format(order=order_req_id), subtitle, tuple(facts), tuple(items),
                      shortened(message, MAX_CARD_TEXT_CHARS), expires_at)


def notice(kind: NoticeKind, order: OrderRow, seller_id: str, text: str, *, distance_km: float | None = None,
           message: str = "") -> SellerNotice:
    """A notice about `order` to one seller: `text` its one line, the card the order's facts."""
    card = order_card(kind, order.order_req_id, OrderDetails.model_validate(order.details), order.expires_at,
                      distance_km=distance_km, message=message)
    return SellerNotice(order.order_req_id, seller_id, kind, text, card=card)


@dataclass(frozen=True)
class SellerNotice:
    order_req_id: str
    seller_id: str
    kind: NoticeKind
    text: str
    notice_id: int | None = None  # its row, once written
    traceparent: str | None = None  # the trace of the change that wrote it: its delivery continues it
    card: NoticeCard | None = None  # shown by carriers that render cards; `text` is the fallback


class SellerNotifier(Protocol):
    def enqueue(self, notice: SellerNotice) -> None:
        """Take the notice now, deliver it later, in the order notices were enqueued; report it
        settled (delivered, or given up on) to the callback the carrier was built with."""

    async def discard(self) -> None:
        """Forget every notice taken and not yet settled (another replica sends them now)."""
