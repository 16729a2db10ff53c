"""Proposal rules: ownership, what may change, the revision budget, edit-lock tokens."""
from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from processor.app.domain.rows import EditLockRow, ProposalRow
from shared.errors import Conflict, Forbidden, NotFound, TooManyRequests
from shared.models.events import ProposalPayload
from shared.models.states import OPEN_PROPOSAL_STATES, ProposalState, check_proposal_transition

P = TypeVar("P", bound=ProposalRow)


def check_owned(proposal: P | None, order_req_id: str, proposal_id: str, seller_id: str) -> P:
    if proposal is None or proposal.order_req_id != order_req_id:
        raise NotFound(f"proposal {proposal_id} not found in order {order_req_id}")
    if proposal.seller_id != seller_id:
        raise Forbidden(f"proposal {proposal_id} belongs to another seller")
    return proposal


def require_changeable(proposal: ProposalRow) -> None:
    if ProposalState(proposal.state) not in OPEN_PROPOSAL_STATES:
        raise Conflict(f"proposal {proposal.proposal_id} is {proposal.state}; it can no longer change")


def is_open(proposal: ProposalRow) -> bool:
    return ProposalState(proposal.state) in OPEN_PROPOSAL_STATES


def check_revision_budget(order_req_id: str, seller_id: str, made: int, limit: int) -> None:
    """MAX_PROPOSAL_REVISIONS: every write a seller makes to its proposals on one order counts (a new
    proposal is its revision 1, each change one more), so neither fresh ProposalIDs nor endless
    updates grow an order's log and stream without bound. It does not lift with time (429, no Retry-After)."""
    if made >= limit:
        raise TooManyRequests(
            f"seller {seller_id} has made {made} proposal revisions on order {order_req_id}, "
            f"the most allowed (MAX_PROPOSAL_REVISIONS={limit})")


def count_lock(proposal: ProposalRow, limit: int) -> None:
    """MAX_EDIT_LOCKS_PER_PROPOSAL: each take or renewal of the edit lock is an event in the order's
    log and stream, so a proposal has a budget of them, like its revisions (429, no Retry-After)."""
    if proposal.locks_taken >= limit:
        raise TooManyRequests(
            f"the edit lock on proposal {proposal.proposal_id} was taken or renewed {proposal.locks_taken} times, "
            f"the most allowed (MAX_EDIT_LOCKS_PER_PROPOSAL={limit})")
    proposal.locks_taken += 1


def is_change(proposal: ProposalRow, data: dict, lock: EditLockRow | None, lock_token: str | None) -> bool:
    """Whether `data` changes the proposal. An identical resubmission is no change (a seller's
    client may retry blindly); a change needs an open proposal and, while it is edit-locked,
    the lock's token."""
    require_changeable(proposal)
    if proposal.data == data:
        return False
    check_update_token(proposal, lock, lock_token)
    return True


def check_update_token(proposal: ProposalRow, lock: EditLockRow | None, lock_token: str | None) -> None:
    """While a proposal is edit-locked, only the lock's holder (its LockToken) may update it."""
    if lock is not None and lock_token != lock.token:
        raise Conflict(
            f"proposal {proposal.proposal_id} is edit-locked until {lock.expires_at.isoformat()}; "
            "send the lock's LockToken to update it"
        )


def revise(proposal: ProposalRow, data: dict, now: datetime) -> None:
    proposal.data = data
    proposal.revision += 1
    proposal.updated_at = now


def set_state(proposal: ProposalRow, target: ProposalState) -> None:
    check_proposal_transition(proposal.proposal_id, ProposalState(proposal.state), target)
    proposal.state = target.value


def payload(proposal: ProposalRow) -> ProposalPayload:
    return ProposalPayload(
        proposal_id=proposal.proposal_id, seller_id=proposal.seller_id,
        state=ProposalState(proposal.state), data=proposal.data, revision=proposal.revision,
    )



def lock_outcome(proposal_id: str, lock: EditLockRow | None, lock_token: str | None) -> str:
    """Taking an edit lock: "locked" when free, "renewed" by its holder, refused to anyone else."""
    if lock is None:
        return "locked"
    if lock_token == lock.token:
        return "renewed"
    raise Conflict(f"proposal {proposal_id} is already edit-locked until {lock.expires_at.isoformat()}")


def check_release(proposal_id: str, lock: EditLockRow, lock_token: str | None) -> None:
    if lock_token != lock.token:
        raise Conflict(f"proposal {proposal_id}'s lock can only be released with its LockToken")
