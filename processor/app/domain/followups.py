"""Follow-up rules: whom a buyer's follow-up reaches, and how many each party may send on one order."""
from __future__ import annotations

from typing import TypeVar

from processor.app.domain.proposals import is_open
from processor.app.domain.rows import ProposalRow
from shared.errors import Conflict, TooManyRequests
from shared.models.followups import AudienceMiss

P = TypeVar("P", bound=ProposalRow)


def audience(order_req_id: str, proposals: dict[str, P | None]) -> tuple[list[P], list[AudienceMiss]]:
    """The open proposals of the order among those asked for, and why each other one is missed; a
    follow-up that reaches nobody is refused (409, each miss's reason) rather than stored unheard."""
    reached: list[P] = []
    missed: list[AudienceMiss] = []
    for proposal_id, proposal in proposals.items():
        if proposal is None or proposal.order_req_id != order_req_id:
            missed.append(AudienceMiss(proposal_id=proposal_id, reason="unknown proposal"))
        elif not is_open(proposal):
            missed.append(AudienceMiss(proposal_id=proposal_id, reason=f"proposal is {proposal.state}"))
        else:
            reached.append(proposal)
    if not reached:
        detail = "; ".join(f"{m.proposal_id}: {m.reason}" for m in missed)
        raise Conflict(f"no audience member of order {order_req_id} can be reached ({detail})")
    return reached, missed


def check_room(order_req_id: str, sent: int, limit: int, *, seller_id: str = "") -> None:
    """MAX_FOLLOWUPS_PER_ORDER for each party: the buyer, and each seller on its own — so no seller
    can spend the buyer's or another seller's share. Each is stored, logged, streamed and shown in
    the buyer's view for the order's life; the limit does not lift with time (429, no Retry-After)."""
    if sent >= limit:
        who = f"seller {seller_id} has" if seller_id else "the buyer has"
        raise TooManyRequests(f"on order {order_req_id} {who} sent {sent} follow-ups, the most allowed "
                              f"(MAX_FOLLOWUPS_PER_ORDER={limit})")
