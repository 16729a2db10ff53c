"""New proposals that arrive together are decided and written together: the ingestion hot path.

One change per proposal cost about eight statements and 4 ms of CPU each (docs/performance.md).
Here the submissions that queue up while a batch is being written (group commit) are decided in
one change to all their orders: four reads — the orders (locked), their invitations, which
of the proposal ids exist, the revisions their sellers have made there — and one INSERT per
table. The rules are those of a single submission (domain.orders.require_open_to,
domain.proposals.check_revision_budget, proposal_steps.add_proposal). Anything but a new
proposal — an update, an id that exists, an id already in this batch — is handed back (None)
for the one-at-a-time path, as is the whole batch if writing it fails (then nothing of it was written).
"""
from __future__ import annotations

import logging
from contextvars import Context

from processor.app.domain.orders import require_open_to
from processor.app.domain.proposals import check_revision_budget
from processor.app.schemas.proposals import ProposalReceipt, ProposalSubmission
from processor.app.services.proposal_steps import add_proposal, receipt
from processor.app.store.unit_of_work import OrderStore
from shared.errors import DomainError
from shared.models.common import utcnow
from shared.utils.group_commit import GroupCommit

log = logging.getLogger(__name__)
Outcome = ProposalReceipt | DomainError | None


class ProposalIntake:
    def __init__(self, store: OrderStore, *, max_revisions: int, max_batch: int = 200) -> None:
        self._store = store
        self._max_revisions = max_revisions
        # A refusal (DomainError) among the outcomes is raised to its submitter by the group commit.
        self._group: GroupCommit[ProposalSubmission, ProposalReceipt | None] = GroupCommit(
            self._decide, max_batch=max_batch)

    async def submit(self, submission: ProposalSubmission) -> ProposalReceipt | None:
        """The receipt of a new proposal; None when the submission must take the one-at-a-time path."""
        return await self._group.submit(submission)

    async def close(self) -> None:
        await self._group.close()

    async def _decide(self, submissions: list[ProposalSubmission], contexts: list[Context]) -> list[Outcome]:
        try:
            return await self._write(submissions, contexts)
        except Exception:
            log.warning("proposal batch of %d not written; retrying one at a time", len(submissions), exc_info=True)
            return [None] * len(submissions)

    async def _write(self, submissions: list[ProposalSubmission], contexts: list[Context]) -> list[Outcome]:
        now = utcnow()
        outcomes: list[Outcome] = [None] * len(submissions)
        async with self._store.changes(s.order_req_id for s in submissions) as changes:
            invited = await changes.invitations()
            taken = await changes.existing_proposals({s.proposal.proposal_id for s in submissions})
            made = await changes.revisions_made({s.seller for s in submissions})
            for n, submission in enumerate(submissions):
                if submission.proposal.proposal_id in taken:
                    continue  # an update, or a second submission of this id: the one-at-a-time path decides
                change = changes[submission.order_req_id]
                pair = (change.order_req_id, submission.seller)
                try:
                    require_open_to(change.existing, submission.seller, pair in invited, now)
                    check_revision_budget(change.order_req_id, submission.seller, made.get(pair, 0),
                                          self._max_revisions)
                except DomainError as refusal:
                    outcomes[n] = refusal
                    continue
                taken.add(submission.proposal.proposal_id)
                made[pair] = made.get(pair, 0) + 1
                # In its submitter's context: the event keeps that request's trace.
                outcomes[n] = receipt(submission, contexts[n].run(add_proposal, change, submission, now), "created")
        return outcomes
