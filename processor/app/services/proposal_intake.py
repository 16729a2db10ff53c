"""New proposals that arrive together are decided and written together: the ingestion hot path.

One change per proposal cost about eight statements and 4 ms of CPU each (docs/performance.md).
Here the submissions that queue up while a batch is being written (group commit) are decided in
one change to all their orders: four reads — the orders (locked), their invitations, which
of the proposal ids exist, the revisions their sellers have made there — and one INSERT per
table. The rules are those of a single submission (rules.require_open_to,
rules.check_revision_budget, rules.add_proposal). Anything but a new proposal — an
update, an id that exists, an id already in this batch — is handed back (None) for the
one-at-a-time path, as is the whole batch if writing it fails (then nothing of it was written).
"""
from __future__ import annotations

import logging

from sqlalchemy import func, select

from processor.app.db.tables import Invitation, Proposal
from processor.app.services.order_store import OrderStore
from processor.app.services.rules import add_proposal, check_revision_budget, require_open_to
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
            made: dict[tuple[str, str], int] = {(order, seller): int(count) for order, seller, count in (
                await session.execute(
                    select(Proposal.order_req_id, Proposal.seller_id, func.sum(Proposal.revision))
                    .where(Proposal.order_req_id.in_(changes),
                           Proposal.seller_id.in_({s.seller for s in submissions}))
                    .group_by(Proposal.order_req_id, Proposal.seller_id)
                ))}
            for n, submission in enumerate(submissions):
                if submission.proposal.proposal_id in taken:
                    continue  # an update, or a second submission of this id: the one-at-a-time path decides
                change = changes[submission.order_req_id]
                pair = (change.order_req_id, submission.seller)
                try:
                    require_open_to(change, submission.seller, pair in invited, now)
                    check_revision_budget(change.order_req_id, submission.seller, made.get(pair, 0),
                                          self._max_revisions)
                except DomainError as refusal:
                    outcomes[n] = refusal
                    continue
                taken.add(submission.proposal.proposal_id)
                made[pair] = made.get(pair, 0) + 1
                outcomes[n] = receipt(submission, add_proposal(change, submission, now), "created")
        return outcomes
