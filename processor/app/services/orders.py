"""Order lifecycle on the Processor: initiate → select → Open ⇄ Paused → Finalised | Expired."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from processor.app.domain import proposals as proposal_rules
from processor.app.domain.notices import NoticeKind, notice
from processor.app.domain.orders import (
    awaits_selection,
    check_action,
    check_initiator,
    is_due_to_expire,
    transition,
)
from processor.app.services.proposal_steps import close_open_proposals, lock_in_force
from processor.app.services.seller_selection import SellerSelector
from processor.app.store.tables import Invitation, Order
from processor.app.store.unit_of_work import OrderStore
from shared.errors import NotFound
from shared.models.common import utcnow
from shared.models.events import OrderStatusPayload, SellersSelectedPayload
from shared.models.orders import OrderDetails, OrderSummary, SelectedSeller
from shared.models.states import EventType, OrderState, ProposalState
from shared.utils.task_queue import Priority, PriorityTaskQueue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InitiateCommand:
    order_req_id: str
    session_id: str
    notification_type: str
    details: OrderDetails


class OrderService:
    def __init__(
        self, *, store: OrderStore, selector: SellerSelector, queue: PriorityTaskQueue, expiry_minutes: float,
    ) -> None:
        self._store = store
        self._selector = selector
        self._queue = queue
        self._expiry_minutes = expiry_minutes

    # --- reads -----------------------------------------------------------------------------

    async def summary(self, order_req_id: str) -> OrderSummary:
        """The full view — buyer's SessionID, every invited seller — for the Requestor (service
        token, over gRPC) and for development with authentication off. A seller reads the order as
        its own invitation instead (SellerViews.invitation): it must not learn the buyer's session
        nor its competitors (issue 14)."""
        order, invitations = await self._store.with_invitations(order_req_id)
        return OrderSummary(
            order_req_id=order.order_req_id, session_id=order.session_id, state=order.state,
            expires_at=order.expires_at, last_seq=order.last_seq, reason=order.reason,
            sellers=[
                SelectedSeller(seller_id=i.seller_id, name=i.name, rank=i.rank, distance_km=i.distance_km,
                               duration_s=i.duration_s, source=i.source)
                for i in invitations
            ],
        )

    # --- initiate and select ---------------------------------------------------------------

    async def initiate(self, command: InitiateCommand) -> OrderSummary:
        """Idempotent: the same id from the same session returns the order as it stands."""
        async with self._store.change(command.order_req_id) as change:
            order = change.order
            if order is None:
                now = utcnow()
                minutes = command.details.expiry_minutes or self._expiry_minutes
                order = Order(
                    order_req_id=command.order_req_id, session_id=command.session_id,
                    notification_type=command.notification_type, state=OrderState.INITIATED.value, reason="",
                    details=command.details.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
                    expires_at=now + timedelta(minutes=minutes), created_at=now, last_seq=0,
                )
                change.create(order)
                change.append(EventType.REQUEST_SUBMISSIONS, OrderStatusPayload(
                    state=OrderState.INITIATED, session_id=order.session_id, expires_at=order.expires_at,
                ))
            else:
                check_initiator(order, command.session_id)
            needs_selection = awaits_selection(order)
            deadline = order.expires_at.timestamp()
        if needs_selection:
            await self._queue.run(
                lambda: self._select_and_open(command.order_req_id),
                priority=Priority.NEW_WORK, deadline=deadline, name=f"select:{command.order_req_id}",
            )
        return await self.summary(command.order_req_id)

    async def _select_and_open(self, order_req_id: str) -> None:
        order = await self._store.get(order_req_id)
        details = OrderDetails.model_validate(order.details)
        selection = await self._selector.select(details)
        if selection.note:
            log.info("order %s: sellers ranked by %s; %s", order_req_id, selection.ranking_source, selection.note)
        async with self._store.change(order_req_id) as change:
            order = change.existing
            if not awaits_selection(order):
                return  # a concurrent initiate already selected
            if not selection.sellers:
                transition(order, OrderState.FAILED)
                order.reason = self._selector.why_none(details)
                change.append(EventType.ORDER_FAILED, OrderStatusPayload(state=OrderState.FAILED, reason=order.reason))
                return
            for seller in selection.sellers:
                change.add(Invitation(
                    order_req_id=order_req_id, seller_id=seller.seller_id, name=seller.name, rank=seller.rank,
                    distance_km=seller.distance_km, duration_s=seller.duration_s, source=seller.source,
                ))
            transition(order, OrderState.OPEN)
            change.append(EventType.SELLERS_SELECTED, SellersSelectedPayload(
                sellers=selection.sellers, ranking_source=selection.ranking_source,
            ))
            change.notify([
                notice(NoticeKind.INVITATION, order, s.seller_id, f"New order {order_req_id}: please send a proposal",
                       distance_km=s.distance_km)
                for s in selection.sellers
            ])

    # --- buyer control actions -------------------------------------------------------------

    async def finalize(self, order_req_id: str, proposal_id: str) -> tuple[OrderSummary, int]:
        now = utcnow()
        async with self._store.change(order_req_id) as change:
            order = change.existing
            check_action(order, OrderState.FINALISED, now)
            proposals = await change.proposals()
            winner = proposals.get(proposal_id)
            if winner is None:
                raise NotFound(f"proposal {proposal_id} not found in order {order_req_id}")
            await lock_in_force(change, winner, now)
            proposal_rules.set_state(winner, ProposalState.ACCEPTED)
            closed = await close_open_proposals(change, proposals, keep=proposal_id)
            winner.last_seq = change.append(EventType.PROPOSAL_ACCEPTED, proposal_rules.payload(winner)).seq
            transition(order, OrderState.FINALISED)
            change.append(EventType.ORDER_FINALISED, OrderStatusPayload(
                state=OrderState.FINALISED, winning_proposal_id=proposal_id,
            ))
            change.notify(
                [notice(NoticeKind.PROPOSAL_ACCEPTED, order, winner.seller_id, f"Your proposal {proposal_id} won")]
                + [notice(NoticeKind.PROPOSAL_CLOSED, order, p.seller_id, f"Proposal {p.proposal_id} was not chosen")
                   for p in closed]
            )
            seq = change.last_seq
        return await self.summary(order_req_id), seq

    async def pause(self, order_req_id: str, reason: str = "") -> tuple[OrderSummary, int]:
        return await self._pause_or_resume(
            order_req_id, OrderState.PAUSED, EventType.ORDER_PAUSED, NoticeKind.ORDER_PAUSED, reason)

    async def resume(self, order_req_id: str, reason: str = "") -> tuple[OrderSummary, int]:
        return await self._pause_or_resume(
            order_req_id, OrderState.OPEN, EventType.ORDER_RESUMED, NoticeKind.ORDER_RESUMED, reason)

    async def _pause_or_resume(
        self, order_req_id: str, target: OrderState, event_type: EventType, kind: NoticeKind, reason: str
    ) -> tuple[OrderSummary, int]:
        async with self._store.change(order_req_id) as change:
            order = change.existing
            check_action(order, target, utcnow())
            transition(order, target)
            seq = change.append(event_type, OrderStatusPayload(state=target, reason=reason)).seq
            change.notify([notice(kind, order, seller, f"Order {order_req_id} is now {target.value}")
                           for seller in await change.invited_sellers()])
        return await self.summary(order_req_id), seq

    # --- expiry ----------------------------------------------------------------------------

    async def expire_if_due(self, order_req_id: str) -> bool:
        now = utcnow()
        async with self._store.change(order_req_id) as change:
            if not is_due_to_expire(change.order, now):
                return False
            await close_open_proposals(change, await change.proposals())
            transition(change.existing, OrderState.EXPIRED)
            change.append(EventType.ORDER_EXPIRED, OrderStatusPayload(state=OrderState.EXPIRED, reason="order expired"))
            change.notify([notice(NoticeKind.ORDER_EXPIRED, change.existing, seller, f"Order {order_req_id} expired")
                           for seller in await change.invited_sellers()])
        return True
