"""What the Processor tells sellers, and the seam to the adapter that carries it.

Notices go through the priority queue as background work, so they never slow or fail the
request that caused them. The carrier is Google Chat (processor/app/adapters/google_chat.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from shared.utils.task_queue import Priority, PriorityTaskQueue



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
    async def send(self, notice: SellerNotice) -> None: ...


class NoticeDispatcher:
    """Queues each notice as background work on the shared priority queue."""

    def __init__(self, queue: PriorityTaskQueue, notifier: SellerNotifier) -> None:
        self._queue = queue
        self._notifier = notifier

    def dispatch(self, notices: list[SellerNotice]) -> None:
        for notice in notices:
            self._queue.spawn(
                lambda n=notice: self._notifier.send(n), priority=Priority.BACKGROUND, name=f"notice:{notice.kind}"
            )
