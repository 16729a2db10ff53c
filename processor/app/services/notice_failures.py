"""A seller notice that gave up is recorded in the order's log (SellerNoticeFailed), so the buyer
and operators see who was not told — while the order is live (after its terminal event the
stream has ended; the Chat adapter's statistics keep it then)."""
from __future__ import annotations

from processor.app.domain.notices import SellerNotice
from processor.app.domain.orders import is_live
from processor.app.store.unit_of_work import OrderStore
from shared.models.events import NoticeFailedPayload
from shared.models.states import EventType


class NoticeFailures:
    def __init__(self, store: OrderStore) -> None:
        self._store = store

    async def record(self, notice: SellerNotice, reason: str) -> None:
        async with self._store.change(notice.order_req_id) as change:
            if not is_live(change.order):
                return
            change.append(EventType.SELLER_NOTICE_FAILED, NoticeFailedPayload(
                seller_id=notice.seller_id, kind=notice.kind.value, reason=reason,
            ))
