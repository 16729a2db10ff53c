"""The order and proposal state machines, and the event types of the per-order log."""
from __future__ import annotations

from enum import StrEnum

from shared.errors import Conflict


class OrderState(StrEnum):
    INITIATED = "Initiated"
    OPEN = "Open"
    PAUSED = "Paused"
    FINALISED = "Finalised"
    EXPIRED = "Expired"
    FAILED = "Failed"


class ProposalState(StrEnum):
    SUBMITTED = "Submitted"
    LOCKED = "Locked"
    ACCEPTED = "Accepted"
    CLOSED = "Closed"


class EventType(StrEnum):
    """The seed's _UpdateRequests / _UpdateProposals names, plus the transitions they lack."""

    REQUEST_SUBMISSIONS = "RequestSubmissions"
    SELLERS_SELECTED = "SellersSelected"
    ORDER_FAILED = "OrderFailed"
    PROPOSAL_SUBMISSIONS = "ProposalSubmissions"
    PROPOSAL_UPDATE = "ProposalUpdate"
    PROPOSAL_ACCEPTED = "ProposalAccepted"
    PROPOSAL_CLOSED = "ProposalClosed"
    EDIT_LOCK = "EditLock"
    REQUEST_FOLLOW_UP = "RequestFollowUp"
    SELLER_FOLLOW_UP = "SellerFollowUp"
    ORDER_PAUSED = "OrderPaused"
    ORDER_RESUMED = "OrderResumed"
    ORDER_FINALISED = "OrderFinalised"
    ORDER_EXPIRED = "OrderExpired"
    SELLER_NOTICE_FAILED = "SellerNoticeFailed"


ORDER_TRANSITIONS: dict[OrderState, frozenset[OrderState]] = {
    OrderState.INITIATED: frozenset({OrderState.OPEN, OrderState.FAILED, OrderState.EXPIRED}),
    OrderState.OPEN: frozenset({OrderState.PAUSED, OrderState.FINALISED, OrderState.EXPIRED}),
    OrderState.PAUSED: frozenset({OrderState.OPEN, OrderState.FINALISED, OrderState.EXPIRED}),
}
TERMINAL_ORDER_STATES = frozenset({OrderState.FINALISED, OrderState.EXPIRED, OrderState.FAILED})

PROPOSAL_TRANSITIONS: dict[ProposalState, frozenset[ProposalState]] = {
    ProposalState.SUBMITTED: frozenset({ProposalState.LOCKED, ProposalState.ACCEPTED, ProposalState.CLOSED}),
    ProposalState.LOCKED: frozenset({ProposalState.SUBMITTED, ProposalState.CLOSED}),
}
OPEN_PROPOSAL_STATES = frozenset({ProposalState.SUBMITTED, ProposalState.LOCKED})


def check_order_transition(order_req_id: str, current: OrderState, target: OrderState) -> None:
    if target not in ORDER_TRANSITIONS.get(current, frozenset()):
        raise Conflict(f"order {order_req_id} is {current.value}; it cannot become {target.value}")


def check_proposal_transition(proposal_id: str, current: ProposalState, target: ProposalState) -> None:
    if target not in PROPOSAL_TRANSITIONS.get(current, frozenset()):
        if current is ProposalState.LOCKED and target is ProposalState.ACCEPTED:
            raise Conflict(f"proposal {proposal_id} is edit-locked; it can be awarded once released or expired")
        raise Conflict(f"proposal {proposal_id} is {current.value}; it cannot become {target.value}")


def require_order_state(order_req_id: str, current: OrderState, allowed: frozenset[OrderState], action: str) -> None:
    """Refuse an action (not itself a transition) that the order's state does not allow."""
    if current not in allowed:
        raise Conflict(f"order {order_req_id} is {current.value}: cannot {action}")
