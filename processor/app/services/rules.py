"""Rules used by several Processor services while they hold an order's change (OrderChange)."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select

from processor.app.db.tables import EditLock, Invitation, Order, Proposal
from processor.app.services.order_store import OrderChange
from shared.errors import TooManyRequests, order_not_found
from shared.models.events import EditLockPayload, ProposalPayload
from shared.models.proposals import ProposalSubmission
from shared.models.states import (
    OPEN_PROPOSAL_STATES,
    EventType,
    OrderState,
    ProposalState,
    check_proposal_transition,
    require_order_state,
)

log = logging.getLogger(__name__)

ACTIVE_ORDER_STATES = frozenset({OrderState.INITIATED, OrderState.OPEN, OrderState.PAUSED})
OPEN_ONLY = frozenset({OrderState.OPEN})


def effective_state(order: Order, now: datetime) -> OrderState:
    """An active order past its expiry is treated as expired before the sweeper records it."""
    state = OrderState(order.state)
    if state in ACTIVE_ORDER_STATES and order.expires_at <= now:
        return OrderState.EXPIRED
    return state


def check_invited(change: OrderChange, seller_id: str, invited: bool) -> None:
    """A seller not invited to the order is told it does not exist, word for word as for an unknown
    order (issue 14): a 403 "not invited" would confirm to anyone holding a seller token that the
    order id exists. With authentication on, `seller_id` is the caller's own: the edge has already
    compared the body's Seller with the token (a 403 that never looks the order up, so no oracle).
    The real reason is logged for operators."""
    change.existing  # noqa: B018 - an unknown order: the same refusal, raised by the store
    if not invited:
        log.info("seller %s refused on order %s: not invited (answered as not found)", seller_id, change.order_req_id)
        raise order_not_found(change.order_req_id)


async def is_invited(change: OrderChange, seller_id: str) -> bool:
    return await change.session.get(Invitation, (change.order_req_id, seller_id)) is not None


async def require_invited(change: OrderChange, seller_id: str) -> None:
    check_invited(change, seller_id, await is_invited(change, seller_id))


def require_open_to(change: OrderChange, seller_id: str, invited: bool, now: datetime) -> None:
    """A seller may propose only on an order that invited it and is open (not paused, not past expiry)."""
    check_invited(change, seller_id, invited)
    require_order_state(change.order_req_id, effective_state(change.existing, now), OPEN_ONLY, "accept proposals")


def check_revision_budget(order_req_id: str, seller_id: str, made: int, limit: int) -> None:
    """MAX_PROPOSAL_REVISIONS: every write a seller makes to its proposals on one order counts (a new
    proposal is its revision 1, each change one more), so neither fresh ProposalIDs nor endless
    updates grow an order's log and stream without bound. It does not lift with time (429, no Retry-After)."""
    if made >= limit:
        raise TooManyRequests(
            f"seller {seller_id} has made {made} proposal revisions on order {order_req_id}, "
            f"the most allowed (MAX_PROPOSAL_REVISIONS={limit})")


async def proposal_revisions_made(change: OrderChange, seller_id: str) -> int:
    """The seller's proposal writes on this order so far: the sum of its proposals' revisions."""
    made = await change.session.scalar(select(func.coalesce(func.sum(Proposal.revision), 0)).where(
        Proposal.order_req_id == change.order_req_id, Proposal.seller_id == seller_id))
    return int(made or 0)


def add_proposal(change: OrderChange, submission: ProposalSubmission, now: datetime) -> Proposal:
    """A new proposal and its ProposalSubmissions event."""
    proposal = Proposal(
        proposal_id=submission.proposal.proposal_id, order_req_id=change.order_req_id, seller_id=submission.seller,
        state=ProposalState.SUBMITTED.value, data=submission.proposal.as_stored(), revision=1,
        created_at=now, updated_at=now,
    )
    change.session.add(proposal)
    proposal.last_seq = change.append(EventType.PROPOSAL_SUBMISSIONS, proposal_payload(proposal)).seq
    return proposal


def proposal_payload(proposal: Proposal) -> ProposalPayload:
    return ProposalPayload(
        proposal_id=proposal.proposal_id, seller_id=proposal.seller_id,
        state=ProposalState(proposal.state), data=proposal.data, revision=proposal.revision,
    )


def set_proposal_state(change: OrderChange, proposal: Proposal, target: ProposalState) -> None:
    check_proposal_transition(proposal.proposal_id, ProposalState(proposal.state), target)
    proposal.state = target.value


async def live_lock(change: OrderChange, proposal: Proposal, now: datetime) -> EditLock | None:
    """The proposal's edit lock if still held; a lapsed one is released (and logged) here."""
    lock = await change.session.get(EditLock, proposal.proposal_id)
    if lock is None or lock.expires_at > now:
        return lock
    await release_lock(change, proposal, lock, reason="expired")
    return None


async def release_lock(change: OrderChange, proposal: Proposal, lock: EditLock, *, reason: str) -> None:
    await change.session.delete(lock)
    if proposal.state == ProposalState.LOCKED:
        set_proposal_state(change, proposal, ProposalState.SUBMITTED)
    event = change.append(EventType.EDIT_LOCK, EditLockPayload(
        proposal_id=proposal.proposal_id, seller_id=proposal.seller_id, locked=False, reason=reason,
    ))
    proposal.last_seq = event.seq


async def order_proposals(change: OrderChange) -> dict[str, Proposal]:
    rows = await change.session.scalars(
        select(Proposal).where(Proposal.order_req_id == change.order_req_id).order_by(Proposal.created_at)
    )
    return {p.proposal_id: p for p in rows}


async def close_open_proposals(
    change: OrderChange, proposals: dict[str, Proposal], *, keep: str | None = None
) -> list[Proposal]:
    """Close every open proposal but `keep` (its lock, if any, goes with it)."""
    closed = []
    for proposal in proposals.values():
        if proposal.proposal_id == keep or ProposalState(proposal.state) not in OPEN_PROPOSAL_STATES:
            continue
        lock = await change.session.get(EditLock, proposal.proposal_id)
        if lock is not None:
            await change.session.delete(lock)
        set_proposal_state(change, proposal, ProposalState.CLOSED)
        proposal.last_seq = change.append(EventType.PROPOSAL_CLOSED, proposal_payload(proposal)).seq
        closed.append(proposal)
    return closed
