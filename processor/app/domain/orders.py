"""Order rules: which state an order is really in, who may act on it, and its transitions."""
from __future__ import annotations

import logging
from datetime import datetime

from processor.app.domain.rows import OrderRow
from shared.errors import Conflict, order_not_found
from shared.models.states import TERMINAL_ORDER_STATES, OrderState, check_order_transition, require_order_state

log = logging.getLogger(__name__)

ACTIVE_ORDER_STATES = frozenset({OrderState.INITIATED, OrderState.OPEN, OrderState.PAUSED})
OPEN_ONLY = frozenset({OrderState.OPEN})
CONVERSATION_STATES = frozenset({OrderState.OPEN, OrderState.PAUSED})


def effective_state(order: OrderRow, now: datetime) -> OrderState:
    """An active order past its expiry is treated as expired before the sweeper records it."""
    state = OrderState(order.state)
    if state in ACTIVE_ORDER_STATES and order.expires_at <= now:
        return OrderState.EXPIRED
    return state


def check_invited(order: OrderRow, seller_id: str, invited: bool) -> None:
    """A seller not invited to the order is told it does not exist, word for word as for an unknown
    order (issue 14): a 403 "not invited" would confirm to anyone holding a seller token that the
    order id exists. With authentication on, `seller_id` is the caller's own: the edge has already
    compared the body's Seller with the token (a 403 that never looks the order up, so no oracle).
    The real reason is logged for operators."""
    if not invited:
        log.info("seller %s refused on order %s: not invited (answered as not found)", seller_id, order.order_req_id)
        raise order_not_found(order.order_req_id)


def require_open(order: OrderRow, now: datetime, action: str) -> None:
    """Proposals and their edit locks change only while the order is open (not paused, not past expiry)."""
    require_order_state(order.order_req_id, effective_state(order, now), OPEN_ONLY, action)


def require_open_to(order: OrderRow, seller_id: str, invited: bool, now: datetime) -> None:
    """A seller may propose only on an order that invited it and is open."""
    check_invited(order, seller_id, invited)
    require_open(order, now, "accept proposals")


def check_initiator(order: OrderRow, session_id: str) -> None:
    """Initiating again is idempotent for the session that initiated the order, refused to any other."""
    if order.session_id != session_id:
        raise Conflict(f"order {order.order_req_id} was initiated by another session")


def awaits_selection(order: OrderRow) -> bool:
    return order.state == OrderState.INITIATED.value


def is_live(order: OrderRow | None) -> bool:
    """Still taking events: known, and not yet in a terminal state (its stream has not ended)."""
    return order is not None and OrderState(order.state) not in TERMINAL_ORDER_STATES


def require_conversation(order: OrderRow, now: datetime) -> None:
    """Follow-ups go back and forth while the order is open or paused."""
    require_order_state(order.order_req_id, effective_state(order, now), CONVERSATION_STATES, "send follow-ups")


def check_action(order: OrderRow, target: OrderState, now: datetime) -> None:
    """May the buyer move the order to `target` now? An order past its expiry may not move."""
    current = effective_state(order, now)
    if current is OrderState.EXPIRED and order.state != OrderState.EXPIRED.value:
        raise Conflict(f"order {order.order_req_id} expired at {order.expires_at.isoformat()}")
    check_order_transition(order.order_req_id, current, target)


def transition(order: OrderRow, target: OrderState) -> None:
    check_order_transition(order.order_req_id, OrderState(order.state), target)
    order.state = target.value


def is_due_to_expire(order: OrderRow | None, now: datetime) -> bool:
    """Past its expiry and not yet recorded as expired (the sweeper's work)."""
    return (order is not None and effective_state(order, now) is OrderState.EXPIRED
            and order.state != OrderState.EXPIRED.value)
