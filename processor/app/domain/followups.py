"""Follow-up rules: how many each party may send on one order."""
from __future__ import annotations

from shared.errors import TooManyRequests


def check_room(order_req_id: str, sent: int, limit: int, *, seller_id: str = "") -> None:
    """MAX_FOLLOWUPS_PER_ORDER for each party: the buyer, and each seller on its own — so no seller
    can spend the buyer's or another seller's share. Each is stored, logged, streamed and shown in
    the buyer's view for the order's life; the limit does not lift with time (429, no Retry-After)."""
    if sent >= limit:
        who = f"seller {seller_id} has" if seller_id else "the buyer has"
        raise TooManyRequests(f"on order {order_req_id} {who} sent {sent} follow-ups, the most allowed "
                              f"(MAX_FOLLOWUPS_PER_ORDER={limit})")
