"""What the Processor tells sellers, and the seam to the adapter that carries it.

Enqueuing is synchronous and in order (a seller never hears "you won" before "new order");
delivery happens later, as background work on the priority queue, so a notice never slows or
fails the request that caused it. The carrier is Google Chat (processor/app/adapters/google_chat.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class NoticeKind(StrEnum):
    INVITATION = "invitation"
    BUYER_FOLLOW_UP = "buyer_follow_up"
    PROPOSAL_ACCEPTED = "proposal_accepted"
    PROPOSAL_CLOSED = "proposal_closed"
    ORDER_PAUSED = "order_paused"
    ORDER_RESUMED = "order_resumed"
    ORDER_EXPIRED = "order_expired"


@dataclass(frozen=True)
class SellerNotice:
    order_req_id: str
    seller_id: str
    kind: NoticeKind
    text: str


class SellerNotifier(Protocol):
    def enqueue(self, notice: SellerNotice) -> None:
        """Take the notice now, deliver it later, in the order notices were enqueued."""


class NoticeDispatcher:
    """Hands notices to the carrier in the order the services produce them."""

    def __init__(self, notifier: SellerNotifier) -> None:
        self._notifier = notifier

    def dispatch(self, notices: list[SellerNotice]) -> None:
        for notice in notices:
            self._notifier.enqueue(notice)
