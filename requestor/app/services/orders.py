"""The buyer's orders on the Requestor: initiate, follow up, finalize, pause, resume, read."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from requestor.app.adapters.order_details import OrderDetailsSource
from requestor.app.grpc_client.client import ProcessorClient
from requestor.app.schemas.requests import BuyerFollowUp, ControlRequest, FinalizeRequest, InitiateRequest
from requestor.app.schemas.views import (
    FollowUpView,
    OrderList,
    OrderListItem,
    OrderView,
    ProposalView,
    TimelineEntry,
)
from requestor.app.services.stream_ownership import StreamOwnership
from requestor.app.services.update_requests import RequestUpdater
from requestor.app.store.tables import FollowUp, Order, OrderEventRow, Proposal
from shared.auth import ANYONE, Principal
from shared.db.engine import write_session
from shared.errors import Conflict, DomainError, Forbidden, order_not_found
from shared.messaging.service import Messaging
from shared.messaging.topics import Key, Topic, refusal_message
from shared.models.common import utcnow
from shared.models.followups import FollowUpReceipt
from shared.models.orders import OrderSummary
from shared.models.states import TERMINAL_ORDER_STATES, OrderState

PROPOSALS_PAGE = 100  # proposals in one order view unless the buyer asks for another page size
PROPOSALS_PAGE_MAX = 1000


def _list_item(order: Order) -> dict[str, Any]:
    return {
        "order_req_id": order.order_req_id, "session_id": order.session_id, "state": order.state,
        "reason": order.reason, "expires_at": order.expires_at, "created_at": order.created_at,
        "last_seq": order.last_seq,
    }


class BuyerOrders:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker,
        processor: ProcessorClient,
        ownership: StreamOwnership,
        updater: RequestUpdater,
        details_source: OrderDetailsSource | None,
        messaging: Messaging,
        action_wait_seconds: float,
    ) -> None:
        self._sessions = sessions
        self._processor = processor
        self._ownership = ownership
        self._updater = updater
        self._details_source = details_source
        self._messaging = messaging
        self._action_wait = action_wait_seconds

    async def initiate(self, request: InitiateRequest, buyer: Principal = ANYONE) -> OrderView:
        """Idempotent: the same OrderReqId from the same session answers the order as it stands."""
        async with self._refusals_published("Initiate", Key.ORD_SUBMISSION, request.order_req_id, request):
            buyer.require_session(request.session_id, what=f"SessionID {request.session_id}")
            return await self._initiate(request)

    async def _initiate(self, request: InitiateRequest) -> OrderView:
        existing = await self._get(request.order_req_id)
        if existing is not None:
            if existing.session_id != request.session_id:
                # Unavoidably tells that the id is taken (it cannot be created twice); it names
                # neither the other session nor anything of its order.
                raise Conflict(f"order {request.order_req_id} was initiated by another session")
            self._follow_if_open(existing)
            return await self.view(request.order_req_id)

        details = request.details()
        if details.is_empty() and self._details_source is not None:
            # On the buyer's behalf: the main API hears which session asks (X-Session-ID).
            details = await self._details_source.fetch(request.order_req_id, session_id=request.session_id)
        summary = await self._processor.initiate(
            request.order_req_id, request.session_id, request.notification_type, details
        )
        now = utcnow()
        try:
            async with write_session(self._sessions) as session:
                session.add(Order(
                    order_req_id=request.order_req_id, session_id=request.session_id,
                    notification_type=request.notification_type, state=OrderState.INITIATED.value, reason="",
                    details=details.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True),
                    sellers=[], expires_at=summary.expires_at, created_at=now, updated_at=now, last_seq=0,
                ))
        except IntegrityError:
            pass  # a concurrent identical initiate stored it first
        self._ownership.opened(request.order_req_id)
        await self._caught_up(request.order_req_id, summary.last_seq)
        return await self.view(request.order_req_id)

    async def follow_up(self, request: BuyerFollowUp, buyer: Principal = ANYONE) -> FollowUpReceipt:
        order_req_id = request.order_req_id
        async with self._refusals_published("FollowUp", Key.ORD_UPDATES, order_req_id, request):
            await self.require(order_req_id, buyer)
            receipt = await self._processor.follow_up(order_req_id, request.audience, request.message.content)
            await self._caught_up(order_req_id, receipt.seq)
            return receipt

    async def finalize(self, order_req_id: str, request: FinalizeRequest, buyer: Principal = ANYONE) -> OrderView:
        async with self._refusals_published("Finalize", Key.ORD_UPDATES, order_req_id, request):
            await self.require(order_req_id, buyer)
            return await self._after_action(
                order_req_id, await self._processor.finalize(order_req_id, request.proposal_id))

    async def pause(self, order_req_id: str, request: ControlRequest, buyer: Principal = ANYONE) -> OrderView:
        async with self._refusals_published("Pause", Key.ORD_UPDATES, order_req_id, request):
            await self.require(order_req_id, buyer)
            return await self._after_action(order_req_id, await self._processor.pause(order_req_id, request.reason))

    async def resume(self, order_req_id: str, request: ControlRequest, buyer: Principal = ANYONE) -> OrderView:
        async with self._refusals_published("Resume", Key.ORD_UPDATES, order_req_id, request):
            await self.require(order_req_id, buyer)
            return await self._after_action(order_req_id, await self._processor.resume(order_req_id, request.reason))

    # --- reads -----------------------------------------------------------------------------

    async def view(
        self, order_req_id: str, *, proposals_limit: int = PROPOSALS_PAGE, proposals_offset: int = 0
    ) -> OrderView:
        """The buyer's view with one page of proposals, in arrival order (the seq of their first event).
        Pages are by offset, as the order list's: a proposal is never removed and a new one always
        sorts last, so walking the pages misses none and repeats none, even while proposals arrive."""
        async with self._sessions() as session:
            order = await session.get(Order, order_req_id)
            if order is None:
                raise order_not_found(order_req_id)
            of_order = Proposal.order_req_id == order_req_id
            proposals_total = await session.scalar(select(func.count()).select_from(Proposal).where(of_order)) or 0
            proposals = (await session.scalars(
                select(Proposal).where(of_order).order_by(Proposal.first_seq)
                .limit(proposals_limit).offset(proposals_offset)
            )).all()
            follow_ups = (await session.scalars(
                select(FollowUp).where(FollowUp.order_req_id == order_req_id).order_by(FollowUp.seq)
            )).all()
            events = (await session.scalars(
                select(OrderEventRow).where(OrderEventRow.order_req_id == order_req_id).order_by(OrderEventRow.seq)
            )).all()
        return OrderView(
            **_list_item(order),
            notification_type=order.notification_type, details=order.details, ranking_source=order.ranking_source,
            sellers=order.sellers, winning_proposal_id=order.winning_proposal_id,
            proposals=[
                ProposalView(proposal_id=p.proposal_id, seller=p.seller_id, state=p.state, revision=p.revision,
                             locked_until=p.locked_until, proposal=p.data, seq=p.updated_seq)
                for p in proposals
            ],
            follow_ups=[
                FollowUpView(follow_up_id=f.follow_up_id, direction=f.direction, seller=f.seller_id,
                             proposal_id=f.proposal_id, audience=f.audience, message=f.message, seq=f.seq,
                             occurred_at=f.occurred_at)
                for f in follow_ups
            ],
            timeline=[
                TimelineEntry(seq=e.seq, event_id=e.event_id, event_type=e.event_type, occurred_at=e.occurred_at)
                for e in events
            ],
            proposals_total=proposals_total,
            next_proposals_offset=(
                proposals_offset + len(proposals) if proposals_offset + len(proposals) < proposals_total else None),
        )

    async def list(
        self, *, state: OrderState | None, limit: int, offset: int, session_id: str | None = None
    ) -> OrderList:
        query = select(Order)
        if state is not None:
            query = query.where(Order.state == state.value)
        if session_id is not None:
            query = query.where(Order.session_id == session_id)
        async with self._sessions() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery()))
            rows = (await session.scalars(
                query.order_by(Order.created_at.desc(), Order.order_req_id).limit(limit).offset(offset)
            )).all()
        return OrderList(orders=[OrderListItem(**_list_item(o)) for o in rows], total=total or 0)

    # --- helpers ---------------------------------------------------------------------------

    @asynccontextmanager
    async def _refusals_published(
        self, action: str, key: Key, order_req_id: str, request: BaseModel
    ) -> AsyncIterator[None]:
        """A refused buyer request also goes to REQ_failures, with its reason."""
        try:
            yield
        except DomainError as refusal:
            await self._messaging.record([refusal_message(
                Topic.REQ_FAILURES, key, order_req_id, action, refusal.http_status, refusal.reason,
                request.model_dump(mode="json", by_alias=True), utcnow(),
            )])
            raise

    async def _get(self, order_req_id: str) -> Order | None:
        async with self._sessions() as session:
            return await session.get(Order, order_req_id)

    async def require(self, order_req_id: str, buyer: Principal = ANYONE) -> Order:
        """The order, if it exists and `buyer` may act on it.

        Another session's order is refused exactly as an unknown one (404, same words: issue 14),
        so a buyer cannot probe which order ids exist. (A body naming another session — initiate's
        SessionID — stays 403: that compares the token with the body and looks up no order.)"""
        order = await self._get(order_req_id)
        if order is None:
            raise order_not_found(order_req_id)
        try:
            buyer.require_session(order.session_id, what=f"order {order_req_id}")
        except Forbidden:
            raise order_not_found(order_req_id) from None
        return order

    def _follow_if_open(self, order: Order) -> None:
        if OrderState(order.state) not in TERMINAL_ORDER_STATES:
            self._ownership.opened(order.order_req_id)

    async def _caught_up(self, order_req_id: str, seq: int) -> None:
        """Read-your-writes: wait (bounded) until the stream has applied the action's event."""
        with self._updater.applied_wakeups(order_req_id) as subscription:
            try:
                async with asyncio.timeout(self._action_wait):
                    while True:
                        subscription.wake.clear()  # before reading, so an event applied meanwhile is not missed
                        if (await self.require(order_req_id)).last_seq >= seq:
                            return
                        await subscription.wake.wait()
            except TimeoutError:
                pass  # answer with what the stream has delivered so far

    async def _after_action(self, order_req_id: str, result: tuple[OrderSummary, int]) -> OrderView:
        _summary, seq = result
        await self._caught_up(order_req_id, seq)
        return await self.view(order_req_id)
