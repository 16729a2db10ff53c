"""New proposals that arrive together are decided and written together: the ingestion hot path.

One change per proposal cost about eight statements and 4 ms of CPU each (docs/performance.md).
Here the submissions that queue up while a batch is being written (group commit) are decided in
one change to all their orders: three reads — the orders (locked), their invitations, which
of the proposal ids exist — and one INSERT per table. The rules are those of a single
submission (rules.require_open_to, rules.add_proposal). Anything but a new proposal — an
update, an id that exists, an id already in this batch — is handed back (None) for the
one-at-a-time path, as is the whole batch if writing it fails (then nothing of it was written).
"""
from __future__ import annotations

import logging

from sqlalchemy import select

from processor.app.db.tables import Invitation, Proposal
from processor.app.services.order_store import OrderStore
from processor.app.services.rules import add_proposal, require_open_to
from shared.errors import DomainError
from shared.models.common import utcnow
from shared.models.proposals import ProposalReceipt, ProposalSubmission
from shared.utils.group_commit import GroupCommit

log = logging.getLogger(__name__)
Outcome = ProposalReceipt | DomainError | None


def receipt(submission: ProposalSubmission, proposal: Proposal, result: str) -> ProposalReceipt:
    return ProposalReceipt(
        order_req_id=submission.order_req_id, proposal_id=proposal.proposal_id, seller=submission.seller,
        state=proposal.state, revision=proposal.revision, result=result, seq=proposal.last_seq,
    )


class ProposalIntake:
    def __init__(self, store: OrderStore, *, max_batch: int = 200) -> None:
        self._store = store
        # A refusal (DomainError) among the outcomes is raised to its submitter by the group commit.
        self._group: GroupCommit[ProposalSubmission, ProposalReceipt | None] = GroupCommit(
            self._decide, max_batch=max_batch)

    async def submit(self, submission: ProposalSubmission) -> ProposalReceipt | None:
        """The receipt of a new proposal; None when the submission must take the one-at-a-time path."""
        return await self._group.submit(submission)

    async def close(self) -> None:
        await self._group.close()

    async def _decide(self, submissions: list[ProposalSubmission]) -> list[Outcome]:
        try:
            return await self._write(submissions)
        except Exception:
            log.warning("proposal batch of %d not written; retrying one at a time", len(submissions), exc_info=True)
            return [None] * len(submissions)

    async def _write(self, submissions: list[ProposalSubmission]) -> list[Outcome]:
        now = utcnow()
        outcomes: list[Outcome] = [None] * len(submissions)
        async with self._store.changes(s.order_req_id for s in submissions) as changes:
            session = next(iter(changes.values())).session
            invited = {tuple(row) for row in await session.execute(
                select(Invitation.order_req_id, Invitation.seller_id).where(Invitation.order_req_id.in_(changes))
            )}
            taken = set(await session.scalars(select(Proposal.proposal_id).where(
                Proposal.proposal_id.in_({s.proposal.proposal_id for s in submissions}))))
            for n, submission in enumerate(submissions):
                change = changes[submission.order_req_id]
                try:
                    require_open_to(change, submission.seller, (change.order_req_id, submission.seller) in invited, now)
                except DomainError as refusal:
                    outcomes[n] = refusal
                    continue
                if submission.proposal.proposal_id in taken:
                    continue
                taken.add(submission.proposal.proposal_id)
                outcomes[n] = receipt(submission, add_proposal(change, submission, now), "created")
        return outcomes
