"""_UpdateProposals: seller submissions, updates and edit locks on the Processor."""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from processor.app.config import ProcessorSettings
from processor.app.db.tables import EditLock, Proposal
from processor.app.services.order_store import OrderChange, OrderStore
from processor.app.services.proposal_intake import ProposalIntake, receipt
from processor.app.services.rules import (
    OPEN_ONLY,
    add_proposal,
    check_revision_budget,
    effective_state,
    is_invited,
    live_lock,
    proposal_payload,
    proposal_revisions_made,
    release_lock,
    require_invited,
    require_open_to,
    set_proposal_state,
)
from shared.errors import Conflict, DomainError, Forbidden, NotFound
from shared.messaging.topics import Key, Topic, refusal_message
from shared.models.common import utcnow
from shared.models.events import EditLockPayload
from shared.models.proposals import EditLockReceipt, EditLockRequest, ProposalReceipt, ProposalSubmission
from shared.models.states import OPEN_PROPOSAL_STATES, EventType, ProposalState, require_order_state


async def owned_proposal(change: OrderChange, proposal_id: str, seller_id: str) -> Proposal:
    proposal = await change.session.get(Proposal, proposal_id)
    if proposal is None or proposal.order_req_id != change.order_req_id:
        raise NotFound(f"proposal {proposal_id} not found in order {change.order_req_id}")
    if proposal.seller_id != seller_id:
        raise Forbidden(f"proposal {proposal_id} belongs to another seller")
    return proposal


class ProposalService:
    def __init__(self, store: OrderStore, settings: ProcessorSettings) -> None:
        self._store = store
        self._settings = settings
        self._intake = ProposalIntake(store, max_revisions=settings.max_proposal_revisions)

    async def close(self) -> None:
        await self._intake.close()

    async def submit(self, submission: ProposalSubmission) -> ProposalReceipt:
        try:
            # New proposals are decided in batches; the intake hands anything else back (None).
            return await self._intake.submit(submission) or await self._submit(submission)
        except DomainError as refusal:
            # The seller hears why on PRP_FAILURES too (its own transaction: nothing else changed).
            await self._store.messaging.record([refusal_message(
                Topic.PRP_FAILURES, Key.PRP_SUBMISSION, submission.order_req_id, "ProposalSubmission",
                refusal.http_status, refusal.reason,
                submission.model_dump(mode="json", by_alias=True, exclude={"lock_token"}), utcnow(),
            )])
            raise

    async def _submit(self, submission: ProposalSubmission) -> ProposalReceipt:
        """One submission in its own change: the path for updates (and a new proposal the intake handed back)."""
        now = utcnow()
        proposal_id = submission.proposal.proposal_id
        data = submission.proposal.as_stored()
        async with self._store.change(submission.order_req_id) as change:
            require_open_to(change, submission.seller, await is_invited(change, submission.seller), now)
            proposal = await change.session.get(Proposal, proposal_id)
            if proposal is None:
                self._check_revision_budget(submission, await proposal_revisions_made(change, submission.seller))
                return receipt(submission, add_proposal(change, submission, now), "created")
            proposal = await owned_proposal(change, proposal_id, submission.seller)
            if ProposalState(proposal.state) not in OPEN_PROPOSAL_STATES:
                raise Conflict(f"proposal {proposal_id} is {proposal.state}; it can no longer change")
            lock = await live_lock(change, proposal, now)
            if proposal.data == data:
                return receipt(submission, proposal, "unchanged")
            if lock is not None and submission.lock_token != lock.token:
                raise Conflict(
                    f"proposal {proposal_id} is edit-locked until {lock.expires_at.isoformat()}; "
                    "send the lock's LockToken to update it"
                )
            self._check_revision_budget(submission, await proposal_revisions_made(change, submission.seller))
            proposal.data = data
            proposal.revision += 1
            proposal.updated_at = now
            proposal.last_seq = change.append(EventType.PROPOSAL_UPDATE, proposal_payload(proposal)).seq
            return receipt(submission, proposal, "updated")

    def _check_revision_budget(self, submission: ProposalSubmission, made: int) -> None:
        check_revision_budget(submission.order_req_id, submission.seller, made, self._settings.max_proposal_revisions)

    async def edit_lock(self, request: EditLockRequest) -> EditLockReceipt:
        now = utcnow()
        async with self._store.change(request.order_req_id) as change:
            await require_invited(change, request.seller)
            proposal = await owned_proposal(change, request.proposal_id, request.seller)
            lock = await live_lock(change, proposal, now)
            if request.action == "unlock":
                if lock is None:
                    return self._receipt(request, None, proposal.last_seq)
                if request.lock_token != lock.token:
                    raise Conflict(f"proposal {request.proposal_id}'s lock can only be released with its LockToken")
                await release_lock(change, proposal, lock, reason="released")
                return self._receipt(request, None, proposal.last_seq)

            require_order_state(change.order_req_id, effective_state(change.existing, now), OPEN_ONLY,
                                "edit-lock proposals")
            expires_at = now + timedelta(seconds=request.lock_seconds or self._settings.edit_lock_seconds)
            if lock is None:
                set_proposal_state(change, proposal, ProposalState.LOCKED)
                lock = EditLock(
                    proposal_id=proposal.proposal_id, order_req_id=change.order_req_id, seller_id=request.seller,
                    token=secrets.token_urlsafe(24), expires_at=expires_at,
                )
                change.session.add(lock)
                reason = "locked"
            elif request.lock_token == lock.token:
                lock.expires_at = expires_at
                reason = "renewed"
            else:
                raise Conflict(
                    f"proposal {request.proposal_id} is already edit-locked until {lock.expires_at.isoformat()}")
            proposal.last_seq = change.append(EventType.EDIT_LOCK, EditLockPayload(
                proposal_id=proposal.proposal_id, seller_id=request.seller, locked=True,
                expires_at=expires_at, reason=reason,
            )).seq
            return self._receipt(request, lock, proposal.last_seq)

    @staticmethod
    def _receipt(request: EditLockRequest, lock: EditLock | None, seq: int) -> EditLockReceipt:
        return EditLockReceipt(
            proposal_id=request.proposal_id, seller=request.seller, locked=lock is not None,
            lock_token=lock.token if lock else None, expires_at=lock.expires_at if lock else None, seq=seq,
        )

    async def release_lapsed_locks(self, order_req_id: str) -> None:
        """Called by the sweeper: record every lapsed lease of the order as released."""
        now = utcnow()
        async with self._store.change(order_req_id) as change:
            lapsed = (await change.session.scalars(
                select(EditLock).where(EditLock.order_req_id == order_req_id, EditLock.expires_at <= now)
            )).all()
            for lock in lapsed:
                proposal = await change.session.get_one(Proposal, lock.proposal_id)  # a lock's proposal exists (FK)
                await release_lock(change, proposal, lock, reason="expired")
