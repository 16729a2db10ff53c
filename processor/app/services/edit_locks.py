"""Edit locks: a seller takes, renews or releases a time-limited lock on its proposal while it
edits; the sweeper records lapsed ones as released."""
from __future__ import annotations

import secrets
from datetime import timedelta

from processor.app.domain import proposals as rules
from processor.app.domain.orders import check_invited, require_open
from processor.app.schemas.proposals import EditLockReceipt, EditLockRequest
from processor.app.services.proposal_steps import lock_in_force, owned_proposal, release_lock
from processor.app.store.tables import EditLock
from processor.app.store.unit_of_work import OrderStore
from shared.models.common import utcnow
from shared.models.events import EditLockPayload
from shared.models.states import EventType, ProposalState


class EditLockService:
    def __init__(self, *, store: OrderStore, default_seconds: int, max_locks: int) -> None:
        self._store = store
        self._default_seconds = default_seconds
        self._max_locks = max_locks

    async def edit_lock(self, request: EditLockRequest) -> EditLockReceipt:
        now = utcnow()
        async with self._store.change(request.order_req_id) as change:
            check_invited(change.existing, request.seller, await change.is_invited(request.seller))
            proposal = await owned_proposal(change, request.proposal_id, request.seller)
            lock = await lock_in_force(change, proposal, now)
            if request.action == "unlock":
                if lock is not None:
                    rules.check_release(request.proposal_id, lock, request.lock_token)
                    await release_lock(change, proposal, lock, reason="released")
                return _receipt(request, None, proposal.last_seq)

            require_open(change.existing, now, "edit-lock proposals")
            reason = rules.lock_outcome(request.proposal_id, lock, request.lock_token)
            rules.count_lock(proposal, self._max_locks)
            expires_at = now + timedelta(seconds=request.lock_seconds or self._default_seconds)
            if lock is None:
                rules.set_state(proposal, ProposalState.LOCKED)
                lock = EditLock(
                    proposal_id=proposal.proposal_id, order_req_id=change.order_req_id, seller_id=request.seller,
                    token=secrets.token_urlsafe(24), expires_at=expires_at,
                )
                change.add(lock)
            else:
                lock.expires_at = expires_at
            proposal.last_seq = change.append(EventType.EDIT_LOCK, EditLockPayload(
                proposal_id=proposal.proposal_id, seller_id=request.seller, locked=True,
                expires_at=expires_at, reason=reason,
            )).seq
            return _receipt(request, lock, proposal.last_seq)

    async def release_lapsed(self, order_req_id: str) -> None:
        """Called by the sweeper: record every lapsed lock of the order as released."""
        async with self._store.change(order_req_id) as change:
            for lock, proposal in await change.lapsed_locks(utcnow()):
                await release_lock(change, proposal, lock, reason="expired")


def _receipt(request: EditLockRequest, lock: EditLock | None, seq: int) -> EditLockReceipt:
    return EditLockReceipt(
        proposal_id=request.proposal_id, seller=request.seller, locked=lock is not None,
        lock_token=lock.token if lock else None, expires_at=lock.expires_at if lock else None, seq=seq,
    )
