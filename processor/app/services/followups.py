"""Follow-ups on the Processor: the buyer's (from the Requestor, over gRPC) and the sellers' (REST)."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from processor.app.db.tables import FollowUp, Proposal
from processor.app.services.notify import NoticeDispatcher, NoticeKind, SellerNotice
from processor.app.services.order_store import OrderChange, OrderStore
from processor.app.services.proposals import owned_proposal
from processor.app.services.rules import effective_state, require_invited
from shared.errors import Conflict, TooManyRequests
from shared.models.common import utcnow
from shared.models.events import FollowUpPayload
from shared.models.messages import MessageContent
from shared.models.proposals import AudienceMiss, FollowUpReceipt, SellerFollowUp
from shared.models.states import OPEN_PROPOSAL_STATES, EventType, OrderState, ProposalState, require_order_state

CONVERSATION_STATES = frozenset({OrderState.OPEN, OrderState.PAUSED})


def _record(change: OrderChange, payload: FollowUpPayload, event_type: EventType) -> int:
    change.session.add(FollowUp(
        follow_up_id=payload.follow_up_id, order_req_id=change.order_req_id, direction=payload.direction,
        seller_id=payload.seller_id, proposal_id=payload.proposal_id, audience=payload.audience,
        message=payload.message.model_dump(mode="json", by_alias=True), created_at=utcnow(),
    ))
    return change.append(event_type, payload).seq


async def _require_room(change: OrderChange, limit: int, *, seller_id: str = "") -> None:
    """MAX_FOLLOWUPS_PER_ORDER for each party: the buyer, and each seller on its own — so no seller
    can spend the buyer's or another seller's share. Each is stored, logged, streamed and shown in
    the buyer's view for the order's life; the limit does not lift with time (429, no Retry-After)."""
    sender = FollowUp.seller_id == seller_id if seller_id else FollowUp.direction == "buyer"
    count = await change.session.scalar(
        select(func.count()).select_from(FollowUp).where(FollowUp.order_req_id == change.order_req_id, sender))
    if (count or 0) >= limit:
        who = f"seller {seller_id} has" if seller_id else "the buyer has"
        raise TooManyRequests(f"on order {change.order_req_id} {who} sent {count} follow-ups, the most allowed "
                              f"(MAX_FOLLOWUPS_PER_ORDER={limit})")


class FollowUpService:
    def __init__(self, store: OrderStore, notices: NoticeDispatcher, *, max_per_order: int) -> None:
        self._store = store
        self._notices = notices
        self._max_per_order = max_per_order

    async def from_buyer(self, order_req_id: str, audience: list[str], message: MessageContent) -> FollowUpReceipt:
        """Send to each audience proposal's seller; say who was reached and why others were not."""
        reached: list[Proposal] = []
        missed: list[AudienceMiss] = []
        async with self._store.change(order_req_id) as change:
            require_order_state(order_req_id, effective_state(change.existing, utcnow()), CONVERSATION_STATES,
                                "send follow-ups")
            for proposal_id in dict.fromkeys(audience):
                proposal = await change.session.get(Proposal, proposal_id)
                if proposal is None or proposal.order_req_id != order_req_id:
                    missed.append(AudienceMiss(proposal_id=proposal_id, reason="unknown proposal"))
                elif ProposalState(proposal.state) not in OPEN_PROPOSAL_STATES:
                    missed.append(AudienceMiss(proposal_id=proposal_id, reason=f"proposal is {proposal.state}"))
                else:
                    reached.append(proposal)
            if not reached:
                detail = "; ".join(f"{m.proposal_id}: {m.reason}" for m in missed)
                raise Conflict(f"no audience member of order {order_req_id} can be reached ({detail})")
            await _require_room(change, self._max_per_order)
            payload = FollowUpPayload(
                follow_up_id=str(uuid.uuid4()), direction="buyer",
                audience=[p.proposal_id for p in reached], message=message,
                recipients=list(dict.fromkeys(p.seller_id for p in reached)),
            )
            seq = _record(change, payload, EventType.REQUEST_FOLLOW_UP)
        self._notices.dispatch([
            SellerNotice(order_req_id, p.seller_id, NoticeKind.BUYER_FOLLOW_UP, message.message) for p in reached
        ])
        return FollowUpReceipt(
            order_req_id=order_req_id, follow_up_id=payload.follow_up_id, seq=seq,
            reached=payload.audience, not_reached=missed,
        )

    async def from_seller(self, request: SellerFollowUp) -> FollowUpReceipt:
        async with self._store.change(request.order_req_id) as change:
            await require_invited(change, request.seller)
            require_order_state(change.order_req_id, effective_state(change.existing, utcnow()), CONVERSATION_STATES,
                                "send follow-ups")
            if request.proposal_id:
                await owned_proposal(change, request.proposal_id, request.seller)
            await _require_room(change, self._max_per_order, seller_id=request.seller)
            payload = FollowUpPayload(
                follow_up_id=str(uuid.uuid4()), direction="seller", seller_id=request.seller,
                proposal_id=request.proposal_id or "", message=request.message.content,
            )
            seq = _record(change, payload, EventType.SELLER_FOLLOW_UP)
        return FollowUpReceipt(order_req_id=request.order_req_id, follow_up_id=payload.follow_up_id, seq=seq)
