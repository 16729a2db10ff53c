"""The order and proposal state machines: every edge allowed, everything else refused."""
import pytest

from shared.errors import Conflict
from shared.models.states import (
    ORDER_TRANSITIONS,
    PROPOSAL_TRANSITIONS,
    OrderState,
    ProposalState,
    check_order_transition,
    check_proposal_transition,
)

O = OrderState  # noqa: E741 - one-letter aliases keep the transition tables readable
P = ProposalState
ALLOWED_ORDER = {
    (O.INITIATED, O.OPEN), (O.INITIATED, O.FAILED), (O.INITIATED, O.EXPIRED),
    (O.OPEN, O.PAUSED), (O.OPEN, O.FINALISED), (O.OPEN, O.EXPIRED),
    (O.PAUSED, O.OPEN), (O.PAUSED, O.FINALISED), (O.PAUSED, O.EXPIRED),
}
ALLOWED_PROPOSAL = {
    (P.SUBMITTED, P.LOCKED), (P.LOCKED, P.SUBMITTED),
    (P.SUBMITTED, P.ACCEPTED), (P.SUBMITTED, P.CLOSED), (P.LOCKED, P.CLOSED),
}


@pytest.mark.parametrize("current", list(O))
@pytest.mark.parametrize("target", list(O))
def test_order_transitions(current, target):
    if (current, target) in ALLOWED_ORDER:
        check_order_transition("ORD-1", current, target)
    else:
        with pytest.raises(Conflict, match=f"ORD-1 is {current.value}"):
            check_order_transition("ORD-1", current, target)


@pytest.mark.parametrize("current", list(P))
@pytest.mark.parametrize("target", list(P))
def test_proposal_transitions(current, target):
    if (current, target) in ALLOWED_PROPOSAL:
        check_proposal_transition("PROP-1", current, target)
    else:
        with pytest.raises(Conflict, match="PROP-1"):
            check_proposal_transition("PROP-1", current, target)


def test_locked_proposal_cannot_be_awarded_and_says_why():
    with pytest.raises(Conflict, match="edit-locked"):
        check_proposal_transition("PROP-1", P.LOCKED, P.ACCEPTED)


def test_terminal_states_have_no_way_out():
    for state in (O.FINALISED, O.EXPIRED, O.FAILED):
        assert state not in ORDER_TRANSITIONS
    for state in (P.ACCEPTED, P.CLOSED):
        assert state not in PROPOSAL_TRANSITIONS
