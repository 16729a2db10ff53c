"""Every event payload, summary and details survive model → protobuf → model unchanged."""
from datetime import UTC, datetime

import pytest

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
from shared.models.orders import Location, OrderDetails, OrderItem, OrderSummary, SelectedSeller
from shared.models.states import EventType, OrderState, ProposalState
from shared.proto import convert

WHEN = datetime(2026, 11, 27, 8, 0, 0, 123000, tzinfo=UTC)
SELLERS = [
    SelectedSeller(seller_id="SELLER-001", name="NY", rank=1, distance_km=1.5, source="haversine"),
    SelectedSeller(seller_id="SELLER-002", name="LA", rank=2, distance_km=None, duration_s=60.0, source="google"),
]
PAYLOADS = [
    (EventType.REQUEST_SUBMISSIONS, OrderStatusPayload(state=OrderState.INITIATED, session_id="S", expires_at=WHEN)),
    (EventType.SELLERS_SELECTED, SellersSelectedPayload(sellers=SELLERS, ranking_source="haversine")),
    (EventType.PROPOSAL_SUBMISSIONS, ProposalPayload(
        proposal_id="P", seller_id="S1", state=ProposalState.SUBMITTED,
        data={"ProposalID": "P", "Price": 10.5, "Qty": 3, "Nested": {"a": [1, "b"]}}, revision=2)),
    (EventType.EDIT_LOCK, EditLockPayload(
        proposal_id="P", seller_id="S1", locked=True, expires_at=WHEN, reason="locked")),
    (EventType.REQUEST_FOLLOW_UP, FollowUpPayload(
        follow_up_id="F", direction="buyer", audience=["P"], recipients=["S1"],
        message=MessageContent(urls=["https://example.com/spec.pdf"], message_type="link", message="see"))),
    (EventType.ORDER_FINALISED, OrderStatusPayload(state=OrderState.FINALISED, winning_proposal_id="P")),
    (EventType.SELLER_NOTICE_FAILED, NoticeFailedPayload(seller_id="S1", kind="invitation", reason="HTTP 503")),
]


@pytest.mark.parametrize("event_type, payload", PAYLOADS, ids=[p[0].value for p in PAYLOADS])
def test_event_round_trip(event_type, payload):
    event = OrderEvent(order_req_id="ORD-1", seq=7, event_id="e-1", event_type=event_type, occurred_at=WHEN,
                       payload=payload)
    assert convert.event_from_pb(convert.event_to_pb(event)) == event


def test_event_type_decides_the_payload_model():
    raw = {"order_req_id": "O", "seq": 1, "event_id": "e", "event_type": "OrderPaused", "occurred_at": WHEN,
           "payload": {"state": "Paused"}}
    assert isinstance(OrderEvent.model_validate(raw).payload, OrderStatusPayload)


def test_details_and_summary_round_trip():
    details = OrderDetails(industry="food", location=Location(lat=1.5, lng=2.5), description="d",
                           items=[OrderItem(name="x", quantity=2, unit="kg")], expiry_minutes=5, max_sellers=3)
    assert convert.details_from_pb(convert.details_to_pb(details)) == details
    assert convert.details_from_pb(convert.details_to_pb(OrderDetails())) == OrderDetails()
    summary = OrderSummary(order_req_id="O", session_id="S", state=OrderState.OPEN, expires_at=WHEN, last_seq=4,
                           sellers=SELLERS)
    assert convert.summary_from_pb(convert.summary_to_pb(summary)) == summary
