"""The seed's six topics and their keys; which event goes where is decided here and only here."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shared.config import CommonSettings
from shared.models.events import FollowUpPayload, OrderEvent, ProposalPayload, SellersSelectedPayload
from shared.models.states import EventType


class Topic(StrEnum):
    """Logical topics; their Kafka names are settings (defaults: the seed's names)."""

    BUYER_ACKNOWLEDGEMENTS = "BUYER_ACKNOWLEDGEMENTS"
    BUYER_NOTIFY = "BUYER_NOTIFY"
    REQ_FAILURES = "REQ_failures"
    SELLER_ACKNOWLEDGEMENTS = "SELLER_ACKNOWLEDGEMENTS"
    SELLER_NOTIFY = "SELLER_NOTIFY"
    PRP_FAILURES = "PRP_FAILURES"


class Key(StrEnum):
    ORD_SUBMISSION = "ORD_SUBMISSION"
    ORD_UPDATES = "ORD_UPDATES"
    PRP_SUBMISSION = "PRP_SUBMISSION"
    PRP_REQUEST = "PRP_REQUEST"


def topic_names(settings: CommonSettings) -> dict[Topic, str]:
    return {topic: getattr(settings, f"kafka_topic_{topic.name.lower()}") for topic in Topic}


@dataclass(frozen=True)
class KafkaMessage:
    """One Kafka message to publish: (topic, key) and the envelope's fields."""

    topic: Topic
    key: Key
    event_id: str
    event_type: str
    order_req_id: str
    occurred_at: Any
    payload: dict[str, Any] = field(default_factory=dict)
    traceparent: str | None = None  # the trace that caused it (None: the trace staging it, if any)


def _from_event(event: OrderEvent, topic: Topic, key: Key, recipient: str = "", *,
                hide: frozenset[str] = frozenset(), **extra: Any) -> KafkaMessage:
    # One order event becomes messages on several topics, and may fan out to several sellers:
    # each message gets its own id, derived from the event's (stable across redeliveries), so a
    # consumer can drop duplicates by event_id alone. (order_req_id, payload.seq) names the event.
    event_id = str(uuid.uuid5(uuid.UUID(event.event_id), f"{topic}:{recipient}"))
    payload = {"seq": event.seq, **event.payload.model_dump(mode="json", exclude=set(hide)), **extra}
    return KafkaMessage(topic, key, event_id, event.event_type.value, event.order_req_id, event.occurred_at, payload,
                        event.traceparent)


BUYER_UPDATES = frozenset({
    EventType.SELLERS_SELECTED, EventType.PROPOSAL_SUBMISSIONS, EventType.PROPOSAL_UPDATE,
    EventType.SELLER_FOLLOW_UP, EventType.EDIT_LOCK, EventType.ORDER_PAUSED, EventType.ORDER_RESUMED,
    EventType.ORDER_FINALISED, EventType.ORDER_EXPIRED,
})


def requestor_messages(event: OrderEvent) -> list[KafkaMessage]:
    """What the Requestor publishes when it applies a streamed event (the buyer's side)."""
    if event.event_type is EventType.REQUEST_SUBMISSIONS:
        return [_from_event(event, Topic.BUYER_ACKNOWLEDGEMENTS, Key.ORD_SUBMISSION)]
    if event.event_type is EventType.ORDER_FAILED:
        return [_from_event(event, Topic.REQ_FAILURES, Key.ORD_SUBMISSION)]
    if event.event_type in BUYER_UPDATES:
        return [_from_event(event, Topic.BUYER_NOTIFY, Key.ORD_UPDATES)]
    return []


def processor_messages(event: OrderEvent, order_details: dict[str, Any]) -> list[KafkaMessage]:
    """What the Processor publishes for an event it appends (the sellers' side)."""
    payload = event.payload
    # A message to one seller carries that seller's part only: never who else was invited.
    if isinstance(payload, SellersSelectedPayload):
        return [
            _from_event(event, Topic.SELLER_NOTIFY, Key.PRP_REQUEST, s.seller_id, hide=frozenset({"sellers"}),
                        kind="invitation", seller_id=s.seller_id, invitation=s.model_dump(mode="json"),
                        order_details=order_details)
            for s in payload.sellers
        ]
    if event.event_type in (EventType.PROPOSAL_SUBMISSIONS, EventType.PROPOSAL_UPDATE):
        return [_from_event(event, Topic.SELLER_ACKNOWLEDGEMENTS, Key.PRP_SUBMISSION)]
    if event.event_type in (EventType.PROPOSAL_ACCEPTED, EventType.PROPOSAL_CLOSED):
        assert isinstance(payload, ProposalPayload)
        kind = "proposal_accepted" if event.event_type is EventType.PROPOSAL_ACCEPTED else "proposal_closed"
        return [_from_event(event, Topic.SELLER_NOTIFY, Key.PRP_REQUEST, payload.seller_id, kind=kind)]
    if event.event_type is EventType.REQUEST_FOLLOW_UP:
        assert isinstance(payload, FollowUpPayload)
        return [
            _from_event(event, Topic.SELLER_NOTIFY, Key.PRP_REQUEST, seller, hide=frozenset({"recipients", "audience"}),
                        kind="buyer_follow_up", seller_id=seller)
            for seller in payload.recipients
        ]
    return []


def refusal_message(topic: Topic, key: Key, order_req_id: str, action: str, status: int, reason: str,
                    request: dict[str, Any], occurred_at: Any) -> KafkaMessage:
    """A refused request (PRP_FAILURES or REQ_failures): what was asked and why it was refused."""
    return KafkaMessage(
        topic, key, str(uuid.uuid4()), f"{action}Refused", order_req_id, occurred_at,
        {"action": action, "status": status, "reason": reason, "request": request},
    )
