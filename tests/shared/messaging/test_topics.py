"""Which order event goes to which (topic, key), on each side — the mapping in docs/kafka.md."""
from datetime import UTC, datetime

import pytest

from shared.config import CommonSettings
from shared.messaging.topics import Key, Topic, processor_messages, requestor_messages, topic_names
from shared.models.events import (
    EditLockPayload,
    FollowUpPayload,
    NoticeFailedPayload,
    OrderEvent,
    OrderStatusPayload,
    ProposalPayload,
    SellersSelectedPayload,
)
from shared.models.messages import MessageContent
from shared.models.orders import SelectedSeller
from shared.models.states import EventType, OrderState, ProposalState

E = EventType
WHEN = datetime(2026, 11, 27, tzinfo=UTC)
STATUS = OrderStatusPayload(state=OrderState.OPEN)
PROPOSAL = ProposalPayload(proposal_id="P1", seller_id="S1", state=ProposalState.SUBMITTED, data={"ProposalID": "P1"})
SELLERS = SellersSelectedPayload(ranking_source="directory", sellers=[
    SelectedSeller(seller_id="S1", rank=1, source="directory"),
    SelectedSeller(seller_id="S2", rank=2, source="directory")])
BUYER_FOLLOW_UP = FollowUpPayload(follow_up_id="F", direction="buyer", audience=["P1", "P2"], recipients=["S1", "S2"],
                                  message=MessageContent(message="hi"))
SELLER_FOLLOW_UP = FollowUpPayload(follow_up_id="F", direction="seller", seller_id="S1",
                                   message=MessageContent(message="hi"))
LOCK = EditLockPayload(proposal_id="P1", seller_id="S1", locked=True)
PAYLOADS = {
    E.REQUEST_SUBMISSIONS: STATUS, E.SELLERS_SELECTED: SELLERS, E.ORDER_FAILED: STATUS,
    E.PROPOSAL_SUBMISSIONS: PROPOSAL, E.PROPOSAL_UPDATE: PROPOSAL, E.PROPOSAL_ACCEPTED: PROPOSAL,
    E.PROPOSAL_CLOSED: PROPOSAL, E.EDIT_LOCK: LOCK, E.REQUEST_FOLLOW_UP: BUYER_FOLLOW_UP,
    E.SELLER_FOLLOW_UP: SELLER_FOLLOW_UP, E.ORDER_PAUSED: STATUS, E.ORDER_RESUMED: STATUS,
    E.ORDER_FINALISED: STATUS, E.ORDER_EXPIRED: STATUS,
    E.SELLER_NOTICE_FAILED: NoticeFailedPayload(seller_id="S1", kind="invitation", reason="HTTP 503"),
}
assert set(PAYLOADS) == set(EventType)

BUYER_NOTIFY = [("BUYER_NOTIFY", "ORD_UPDATES")]
REQUESTOR = {
    E.REQUEST_SUBMISSIONS: [("BUYER_ACKNOWLEDGEMENTS", "ORD_SUBMISSION")],
    E.ORDER_FAILED: [("REQ_failures", "ORD_SUBMISSION")],
    **dict.fromkeys((E.SELLERS_SELECTED, E.PROPOSAL_SUBMISSIONS, E.PROPOSAL_UPDATE, E.SELLER_FOLLOW_UP, E.EDIT_LOCK,
                     E.ORDER_PAUSED, E.ORDER_RESUMED, E.ORDER_FINALISED, E.ORDER_EXPIRED), BUYER_NOTIFY),
}
SELLER_NOTIFY = ("SELLER_NOTIFY", "PRP_REQUEST")
PROCESSOR = {
    E.SELLERS_SELECTED: [SELLER_NOTIFY, SELLER_NOTIFY],
    E.PROPOSAL_SUBMISSIONS: [("SELLER_ACKNOWLEDGEMENTS", "PRP_SUBMISSION")],
    E.PROPOSAL_UPDATE: [("SELLER_ACKNOWLEDGEMENTS", "PRP_SUBMISSION")],
    E.PROPOSAL_ACCEPTED: [SELLER_NOTIFY], E.PROPOSAL_CLOSED: [SELLER_NOTIFY],
    E.REQUEST_FOLLOW_UP: [SELLER_NOTIFY, SELLER_NOTIFY],
}


def event(event_type):
    return OrderEvent(order_req_id="ORD-1", seq=3, event_id="5f0c7a52-33b6-4c55-9b3f-0e1f0c1a2b3c",
                      event_type=event_type, occurred_at=WHEN, payload=PAYLOADS[event_type])


@pytest.mark.parametrize("event_type", list(EventType))
def test_requestor_routes(event_type):
    routes = [(m.topic.value, m.key.value) for m in requestor_messages(event(event_type))]
    assert routes == REQUESTOR.get(event_type, [])


@pytest.mark.parametrize("event_type", list(EventType))
def test_processor_routes(event_type):
    messages = processor_messages(event(event_type), {"Industry": "food"})
    assert [(m.topic.value, m.key.value) for m in messages] == PROCESSOR.get(event_type, [])


def test_fan_out_gets_distinct_stable_ids_and_names_each_seller():
    invitations = processor_messages(event(E.SELLERS_SELECTED), {"Industry": "food"})
    assert [m.payload["seller_id"] for m in invitations] == ["S1", "S2"]
    assert invitations[0].payload["order_details"] == {"Industry": "food"}
    assert invitations[0].payload["kind"] == "invitation" and invitations[0].payload["seq"] == 3
    for invitation in invitations:  # least knowledge: no seller learns who else was invited
        assert "sellers" not in invitation.payload
        assert invitation.payload["invitation"]["seller_id"] == invitation.payload["seller_id"]
        assert all(other not in str(invitation.payload) for other in {"S1", "S2"} - {invitation.payload["seller_id"]})
    follow_ups = processor_messages(event(E.REQUEST_FOLLOW_UP), {})
    for follow_up in follow_ups:
        assert "recipients" not in follow_up.payload and "audience" not in follow_up.payload  # others' proposals
    ids = [m.event_id for m in invitations]
    assert len(set(ids)) == 2 and ids == [m.event_id for m in processor_messages(event(E.SELLERS_SELECTED), {})]
    buyer_side = requestor_messages(event(E.PROPOSAL_SUBMISSIONS))[0]
    seller_side = processor_messages(event(E.PROPOSAL_SUBMISSIONS), {})[0]
    assert buyer_side.event_id != seller_side.event_id  # same order event, two topics, two messages
    assert buyer_side.payload["seq"] == seller_side.payload["seq"] == 3


def test_topic_names_are_settings_with_the_seed_defaults():
    assert topic_names(CommonSettings(_env_file=None)) == {t: t.value for t in Topic}
    renamed = CommonSettings(_env_file=None, kafka_topic_prp_failures="prod.PRP_FAILURES")
    assert topic_names(renamed)[Topic.PRP_FAILURES] == "prod.PRP_FAILURES"
    assert {k.value for k in Key} == {"ORD_SUBMISSION", "ORD_UPDATES", "PRP_SUBMISSION", "PRP_REQUEST"}
