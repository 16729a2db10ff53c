"""Follow-ups on the Processor: the buyer's (from the Requestor, over gRPC) and the sellers' (REST)."""
from __future__ import annotations

import uuid

from processor.app.domain import followups as followup_rules
from processor.app.domain.notices import NoticeKind, notice
from processor.app.domain.orders import check_invited, require_conversation
from processor.app.schemas.proposals import SellerFollowUp
from processor.app.services.proposal_steps import owned_proposal
from processor.app.store.tables import FollowUp
from processor.app.store.unit_of_work import OrderChange, OrderStore
from shared.models.common import utcnow
from shared.models.events import FollowUpPayload
from shared.models.followups import FollowUpReceipt
from shared.models.messages import MessageContent
from shared.models.states import EventType


def _record(change: OrderChange, payload: FollowUpPayload, event_type: EventType) -> int:
    change.add(FollowUp(
        follow_up_id=payload.follow_up_id, order_req_id=change.order_req_id, direction=payload.direction,
        seller_id=payload.seller_id, proposal_id=payload.proposal_id, audience=payload.audience,
        message=payload.message.model_dump(mode="json", by_alias=True), created_at=utcnow(),
    ))
    return change.append(event_type, payload).seq


class FollowUpService:
    def __init__(self, *, store: OrderStore, max_per_order: int) -> None:
        self._store = store
        self._max_per_order = max_per_order

    async def from_buyer(self, order_req_id: str, audience: list[str], message: MessageContent) -> FollowUpReceipt:
        """Send to each audience proposal's seller; say who was reached and why others were not."""
        async with self._store.change(order_req_id) as change:
            require_conversation(change.existing, utcnow())
            asked = {proposal_id: await change.proposal(proposal_id) for proposal_id in dict.fromkeys(audience)}
            reached, missed = followup_rules.audience(order_req_id, asked)
            followup_rules.check_room(order_req_id, await change.follow_ups_sent(), self._max_per_order)
            payload = FollowUpPayload(
                follow_up_id=str(uuid.uuid4()), direction="buyer",
                audience=[p.proposal_id for p in reached], message=message,
                recipients=list(dict.fromkeys(p.seller_id for p in reached)),
            )
            seq = _record(change, payload, EventType.REQUEST_FOLLOW_UP)
            change.notify([notice(NoticeKind.BUYER_FOLLOW_UP, change.existing, p.seller_id, message.message,
                                  message=message.message) for p in reached])
        return FollowUpReceipt(
            order_req_id=order_req_id, follow_up_id=payload.follow_up_id, seq=seq,
            reached=payload.audience, not_reached=missed,
        )

    async def from_seller(self, request: SellerFollowUp) -> FollowUpReceipt:
        async with self._store.change(request.order_req_id) as change:
            check_invited(change.existing, request.seller, await change.is_invited(request.seller))
            require_conversation(change.existing, utcnow())
            if request.proposal_id:
                await owned_proposal(change, request.proposal_id, request.seller)
            followup_rules.check_room(request.order_req_id, await change.follow_ups_sent(seller_id=request.seller),
                                     self._max_per_order, seller_id=request.seller)
            payload = FollowUpPayload(
                follow_up_id=str(uuid.uuid4()), direction="seller", seller_id=request.seller,
                proposal_id=request.proposal_id or "", message=request.message.content,
            )
            seq = _record(change, payload, EventType.SELLER_FOLLOW_UP)
        return FollowUpReceipt(order_req_id=request.order_req_id, follow_up_id=payload.follow_up_id, seq=seq)
