"""What the Processor tells sellers, and the port of the adapter that carries it.

A notice is written with the change that causes it (store/notice_outbox.py) and handed to the
carrier, in the order written (a seller never hears "you won" before "new order"), by the one
replica that sends them (services/notice_sender.py); it never slows or fails the request that
caused it. The carrier is Google Chat (processor/app/adapters/google_chat.py).
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
    notice_id: int | None = None  # its row, once written
    traceparent: str | None = None  # the trace of the change that wrote it: its delivery continues it


class SellerNotifier(Protocol):
    def enqueue(self, notice: SellerNotice) -> None:
        """Take the notice now, deliver it later, in the order notices were enqueued; report it
        settled (delivered, or given up on) to the callback the carrier was built with."""

    async def discard(self) -> None:
        """Forget every notice taken and not yet settled (another replica sends them now)."""
