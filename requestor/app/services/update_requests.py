"""_UpdateRequests: apply each streamed event to the buyer's view, exactly once, in seq order.

The buyer's Kafka messages (BUYER_ACKNOWLEDGEMENTS, BUYER_NOTIFY, REQ_failures) are staged in
the same transaction, so each goes out once per event, however often the stream replays it.

An event is applied in the same transaction as the order's `last_seq` (events arriving together on
several streams share one transaction); one at or below it is a
duplicate (a resumed stream replays nothing new, but at-least-once delivery is assumed), one
beyond `last_seq + 1` means a gap, and the stream is reopened from `last_seq`.
"""
from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import AbstractContextManager
from contextvars import Context

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import load_only

from requestor.app.grpc_client.stream_manager import SequenceGap
from requestor.app.store.tables import FollowUp, Order, OrderEventRow, Proposal
from shared.db.engine import write_session
from shared.db.notifications import Notifications
from shared.db.order_log import TailableOrderLog
from shared.db.tail import Subscription
from shared.messaging.service import Messaging
from shared.messaging.topics import requestor_messages
from shared.models.common import utcnow
from shared.models.events import (
    EditLockPayload,
    FollowUpPayload,
    OrderEvent,
    OrderStatusPayload,
    ProposalPayload,
    SellersSelectedPayload,
)
from shared.models.states import TERMINAL_ORDER_STATES, EventType, OrderState, ProposalState
from shared.utils.group_commit import GroupCommit


def _apply_status(order: Order, payload: OrderStatusPayload) -> None:
    order.state = payload.state.value
    if payload.reason:
        order.reason = payload.reason
    if payload.winning_proposal_id:
        order.winning_proposal_id = payload.winning_proposal_id
    if payload.expires_at:
        order.expires_at = payload.expires_at


def _apply_proposal(session: AsyncSession, proposals: dict[str, Proposal], event: OrderEvent,
                    payload: ProposalPayload) -> None:
    proposal = proposals.get(payload.proposal_id)
    if proposal is None:
        proposal = Proposal(proposal_id=payload.proposal_id, order_req_id=event.order_req_id, first_seq=event.seq)
        session.add(proposal)
        proposals[payload.proposal_id] = proposal
    proposal.seller_id = payload.seller_id
    proposal.state = payload.state.value
    proposal.data = payload.data
    proposal.revision = payload.revision
    proposal.updated_seq = event.seq
    if payload.state is not ProposalState.LOCKED:
        proposal.locked_until = None


def _apply_lock(proposals: dict[str, Proposal], event: OrderEvent, payload: EditLockPayload) -> None:
    proposal = proposals.get(payload.proposal_id)
    if proposal is None:
        return
    proposal.state = (ProposalState.LOCKED if payload.locked else ProposalState.SUBMITTED).value
    proposal.locked_until = payload.expires_at if payload.locked else None
    proposal.updated_seq = event.seq


def _apply_follow_up(session: AsyncSession, event: OrderEvent, payload: FollowUpPayload) -> None:
    session.add(FollowUp(
        follow_up_id=payload.follow_up_id, order_req_id=event.order_req_id, seq=event.seq,
        direction=payload.direction, seller_id=payload.seller_id, proposal_id=payload.proposal_id,
        audience=payload.audience, message=payload.message.model_dump(mode="json", by_alias=True),
        occurred_at=event.occurred_at,
    ))


class RequestUpdater:
    def __init__(self, sessions: async_sessionmaker, messaging: Messaging, *, poll_seconds: float = 5.0,
                 notifications: Notifications | None = None) -> None:
        self._sessions = sessions
        self._messaging = messaging
        # Read and tailed by SSE and by actions waiting for their event; woken after each apply,
        # here or (announced through PostgreSQL) in another replica.
        self._log = TailableOrderLog(sessions, Order, OrderEventRow, poll_seconds=poll_seconds,
                                     notifications=notifications, channel="requestor_order_events")
        self._group = GroupCommit(self.apply_batch)

    def start(self) -> None:
        """Start polling for events another replica applied, so this one's readers see them too."""
        self._log.start()

    def close_readers(self) -> None:
        """End every SSE stream (shutdown): browsers reconnect with Last-Event-ID, here or elsewhere."""
        self._log.close()

    @property
    def events_applied(self) -> int:
        return self._log.events_committed

    @property
    def readers(self) -> int:
        """SSE streams and actions waiting for their event, in this process."""
        return self._log.readers

    def follow(self, order_req_id: str, after_seq: int) -> AsyncGenerator[OrderEvent]:
        """The order's applied events after `after_seq`, then live ones; ends after the terminal one."""
        return self._log.follow(order_req_id, after_seq)

    def applied_wakeups(self, order_req_id: str) -> AbstractContextManager[Subscription]:
        """Woken whenever an event of the order is applied: for an action waiting for its own."""
        return self._log.subscribe(order_req_id)

    async def resume_point(self, order_req_id: str) -> int | None:
        """The seq to resume the order's stream after, or None when there is nothing to follow."""
        async with self._sessions() as session:
            order = await session.get(Order, order_req_id)
        if order is None or OrderState(order.state) in TERMINAL_ORDER_STATES:
            return None
        return order.last_seq

    async def apply(self, event: OrderEvent) -> bool:
        """Apply one event; False when it was a duplicate. Events that arrive together on
        different streams are applied together, in one transaction (group commit)."""
        return await self._group.submit(event)

    async def close(self) -> None:
        await self._group.close()

    async def apply_batch(self, events: list[OrderEvent], _contexts: list[Context]) -> list[bool | Exception]:
        """Apply events (at most one per order: each stream waits for its last one) in one
        transaction. Per event: True applied, False duplicate, or the refusal (gap, unknown order).
        Nothing here is written on a caller's behalf (each event keeps its own trace), so the
        submitters' contexts are not needed."""
        outcomes: list[bool | Exception] = []
        async with write_session(self._sessions) as session:
            order_ids = {e.order_req_id for e in events}
            # Only what the checks read: applying sets columns, it never reads them (no JSON decoded).
            orders = {o.order_req_id: o for o in (await session.scalars(
                select(Order).options(load_only(Order.order_req_id, Order.last_seq))
                .where(Order.order_req_id.in_(order_ids)).order_by(Order.order_req_id).with_for_update()))}
            # A ProposalSubmissions event brings a new proposal: only later events need the stored row.
            proposal_ids = {e.payload.proposal_id for e in events
                            if isinstance(e.payload, (ProposalPayload, EditLockPayload))
                            and e.event_type is not EventType.PROPOSAL_SUBMISSIONS}
            proposals = {p.proposal_id: p for p in (await session.scalars(
                select(Proposal).where(Proposal.proposal_id.in_(proposal_ids))))} if proposal_ids else {}
            now, applied = utcnow(), []
            for event in events:
                order = orders.get(event.order_req_id)
                if order is None:
                    outcomes.append(LookupError(f"event for unknown order {event.order_req_id}"))
                elif event.seq <= order.last_seq:
                    outcomes.append(False)
                elif event.seq != order.last_seq + 1:
                    outcomes.append(SequenceGap(
                        f"{event.order_req_id}: expected seq {order.last_seq + 1}, got {event.seq}"))
                else:
                    self._apply(session, order, proposals, event)
                    order.last_seq, order.updated_at = event.seq, now
                    applied.append(event)
                    outcomes.append(True)
            if applied:  # one INSERT per table for the whole batch
                await OrderEventRow.insert_all(session, applied)
                await self._messaging.stage(session, [m for e in applied for m in requestor_messages(e)])
        self._messaging.written()
        for event, outcome in zip(events, outcomes, strict=True):  # one outcome per event
            if outcome is True:
                self._log.committed(event.order_req_id, [event])
        return outcomes

    def _apply(self, session: AsyncSession, order: Order, proposals: dict[str, Proposal], event: OrderEvent) -> None:
        payload = event.payload
        if isinstance(payload, OrderStatusPayload):
            _apply_status(order, payload)
        elif isinstance(payload, SellersSelectedPayload):
            order.sellers = [s.model_dump(mode="json", by_alias=True) for s in payload.sellers]
            order.ranking_source = payload.ranking_source
            order.state = OrderState.OPEN.value
        elif isinstance(payload, ProposalPayload):
            _apply_proposal(session, proposals, event, payload)
        elif isinstance(payload, EditLockPayload):
            _apply_lock(proposals, event, payload)
        elif isinstance(payload, FollowUpPayload):
            _apply_follow_up(session, event, payload)
