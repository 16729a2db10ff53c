"""_UpdateProposals (the seed's name): a seller submits a proposal or updates its own."""
from __future__ import annotations

from processor.app.domain import proposals as rules
from processor.app.domain.orders import require_open_to
from processor.app.schemas.proposals import ProposalReceipt, ProposalSubmission
from processor.app.services.proposal_intake import ProposalIntake
from processor.app.services.proposal_steps import add_proposal, lock_in_force, owned_proposal, receipt
from processor.app.store.unit_of_work import OrderStore
from shared.errors import DomainError
from shared.messaging.topics import Key, Topic, refusal_message
from shared.models.common import utcnow
from shared.models.states import EventType


class ProposalService:
    def __init__(self, *, store: OrderStore, intake: ProposalIntake, max_revisions: int) -> None:
        self._store = store
        self._intake = intake
        self._max_revisions = max_revisions

    async def submit(self, submission: ProposalSubmission) -> ProposalReceipt:
        try:
            # New proposals are decided in batches; the intake hands anything else back (None).
            return await self._intake.submit(submission) or await self._submit(submission)
        except DomainError as refusal:
            # The seller hears why on PRP_FAILURES too (its own transaction: nothing else changed).
            await self._store.record_refusals([refusal_message(
                Topic.PRP_FAILURES, Key.PRP_SUBMISSION, submission.order_req_id, "ProposalSubmission",
                refusal.http_status, refusal.reason,
                submission.model_dump(mode="json", by_alias=True, exclude={"lock_token"}), utcnow(),
            )])
            raise

    async def _submit(self, submission: ProposalSubmission) -> ProposalReceipt:
        """One submission in its own change: the path for updates (and a new proposal the intake handed back)."""
        now = utcnow()
        seller = submission.seller
        async with self._store.change(submission.order_req_id) as change:
            require_open_to(change.existing, seller, await change.is_invited(seller), now)
            if await change.proposal(submission.proposal.proposal_id) is None:
                rules.check_revision_budget(change.order_req_id, seller, await change.revisions_made(seller),
                                            self._max_revisions)
                return receipt(submission, add_proposal(change, submission, now), "created")
            proposal = await owned_proposal(change, submission.proposal.proposal_id, seller)
            lock = await lock_in_force(change, proposal, now)
            data = submission.proposal.as_stored()
            if not rules.is_change(proposal, data, lock, submission.lock_token):
                return receipt(submission, proposal, "unchanged")
            rules.check_revision_budget(change.order_req_id, seller, await change.revisions_made(seller),
                                        self._max_revisions)
            rules.revise(proposal, data, now)
            proposal.last_seq = change.append(EventType.PROPOSAL_UPDATE, rules.payload(proposal)).seq
            return receipt(submission, proposal, "updated")
