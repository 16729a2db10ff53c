"""Steps several use cases take on an order's proposals inside its change: each applies a rule
(domain/proposals.py) to rows the change loaded, and records the event the rule implies."""
from __future__ import annotations

from datetime import datetime

from processor.app.domain import proposals as rules
from processor.app.schemas.proposals import ProposalReceipt, ProposalSubmission
from processor.app.store.tables import EditLock, Proposal
from processor.app.store.unit_of_work import OrderChange
from shared.models.events import EditLockPayload
from shared.models.states import EventType, ProposalState


def add_proposal(change: OrderChange, submission: ProposalSubmission, now: datetime) -> Proposal:
    """A new proposal and its ProposalSubmissions event."""
    proposal = Proposal(
        proposal_id=submission.proposal.proposal_id, order_req_id=change.order_req_id, seller_id=submission.seller,
        state=ProposalState.SUBMITTED.value, data=submission.proposal.as_stored(), revision=1, locks_taken=0,
        created_at=now, updated_at=now,
    )
    change.add(proposal)
    proposal.last_seq = change.append(EventType.PROPOSAL_SUBMISSIONS, rules.payload(proposal)).seq
    return proposal


async def owned_proposal(change: OrderChange, proposal_id: str, seller_id: str) -> Proposal:
    return rules.check_owned(await change.proposal(proposal_id), change.order_req_id, proposal_id, seller_id)


async def lock_in_force(change: OrderChange, proposal: Proposal, now: datetime) -> EditLock | None:
    """The proposal's edit lock if still held; a lapsed one is released (and logged) here."""
    lock = await change.edit_lock(proposal.proposal_id)
    if lock is None or lock.expires_at > now:
        return lock
    await release_lock(change, proposal, lock, reason="expired")
    return None


async def release_lock(change: OrderChange, proposal: Proposal, lock: EditLock, *, reason: str) -> None:
    await change.delete(lock)
    if proposal.state == ProposalState.LOCKED:
        rules.set_state(proposal, ProposalState.SUBMITTED)
    proposal.last_seq = change.append(EventType.EDIT_LOCK, EditLockPayload(
        proposal_id=proposal.proposal_id, seller_id=proposal.seller_id, locked=False, reason=reason,
    )).seq


async def close_open_proposals(
    change: OrderChange, proposals: dict[str, Proposal], *, keep: str | None = None
) -> list[Proposal]:
    """Close every open proposal but `keep` (its lock, if any, goes with it)."""
    closed = []
    for proposal in proposals.values():
        if proposal.proposal_id == keep or not rules.is_open(proposal):
            continue
        lock = await change.edit_lock(proposal.proposal_id)
        if lock is not None:
            await change.delete(lock)
        rules.set_state(proposal, ProposalState.CLOSED)
        proposal.last_seq = change.append(EventType.PROPOSAL_CLOSED, rules.payload(proposal)).seq
        closed.append(proposal)
    return closed


def receipt(submission: ProposalSubmission, proposal: Proposal, result: str) -> ProposalReceipt:
    return ProposalReceipt(
        order_req_id=submission.order_req_id, proposal_id=proposal.proposal_id, seller=submission.seller,
        state=proposal.state, revision=proposal.revision, result=result, seq=proposal.last_seq,
    )
