"""Write docs/asyncapi.yaml: the Kafka topics, keys and payload schemas, generated from the code.

The (topic, key, event type) rows come from running the routing functions of
shared/messaging/topics.py on one sample event of every type, and the payload schemas from the
Pydantic models, so the document cannot drift from what is published.
tests/test_generated_files.py fails when it is stale.
"""
from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path

import yaml

from shared.messaging.topics import Key, Topic, processor_messages, requestor_messages
from shared.models.events import (
    PAYLOAD_TYPE,
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

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "asyncapi.yaml"
SAMPLES = {
    OrderStatusPayload: OrderStatusPayload(state=OrderState.OPEN),
    SellersSelectedPayload: SellersSelectedPayload(ranking_source="directory", sellers=[
        SelectedSeller(seller_id="SELLER-001", rank=1, source="directory")]),
    ProposalPayload: ProposalPayload(proposal_id="PROP-001", seller_id="SELLER-001", state=ProposalState.SUBMITTED,
                                     data={}),
    FollowUpPayload: FollowUpPayload(follow_up_id="f", direction="buyer", audience=["PROP-001"],
                                     recipients=["SELLER-001"], message=MessageContent(message="hi")),
    EditLockPayload: EditLockPayload(proposal_id="PROP-001", seller_id="SELLER-001", locked=True),
    NoticeFailedPayload: NoticeFailedPayload(seller_id="SELLER-001", kind="invitation", reason="HTTP 503"),
}
REFUSALS = [
    (Topic.PRP_FAILURES, Key.PRP_SUBMISSION, "ProposalSubmissionRefused", "processor"),
    (Topic.REQ_FAILURES, Key.ORD_SUBMISSION, "InitiateRefused", "requestor"),
    *[(Topic.REQ_FAILURES, Key.ORD_UPDATES, f"{action}Refused", "requestor")
      for action in ("FollowUp", "Finalize", "Pause", "Resume")],
]
REFUSAL_SCHEMA = {"type": "object", "required": ["action", "status", "reason", "request"], "properties": {
    "action": {"type": "string"}, "status": {"type": "integer", "description": "the HTTP status answered"},
    "reason": {"type": "string"}, "request": {"type": "object", "description": "the refused request's body"}}}


# Keys a message adds to its event's payload (a message to one seller says what it is and whose).
ADDED_KEYS = {
    "kind": {"type": "string", "description": "what this message tells the seller"},
    "seller_id": {"type": "string", "description": "the seller this message is for"},
    # Dumped by field name (as every payload is), not by the REST aliases.
    "invitation": {**SelectedSeller.model_json_schema(by_alias=False), "description": "this seller's own invitation"},
    "order_details": {"type": "object", "description": "the order's details, as sellers quote on them"},
}
SAMPLE_KEYS: dict[tuple[Topic, str], set[str]] = {}  # (topic, event type) -> the keys its message carries


def routes() -> list[tuple[Topic, Key, str, str]]:
    rows: list[tuple[Topic, Key, str, str]] = []
    for event_type in EventType:
        payload = SAMPLES[PAYLOAD_TYPE[event_type]]
        event = OrderEvent(order_req_id="ORD-001", seq=1, event_id="5f0c7a52-33b6-4c55-9b3f-0e1f0c1a2b3c",
                           event_type=event_type, occurred_at=datetime(2026, 1, 1, tzinfo=UTC), payload=payload)
        for source, messages in (("processor", processor_messages(event, {})),
                                 ("requestor", requestor_messages(event))):
            rows.extend((message.topic, message.key, event_type.value, source) for message in messages)
            SAMPLE_KEYS.update({(m.topic, event_type.value): set(m.payload) for m in messages})
    return list(dict.fromkeys(rows + REFUSALS))


def payload_schema(topic: Topic, event_type: str) -> dict:
    """The event payload's schema, as this topic's message carries it: fields a message to one
    seller leaves out (who else was invited) gone, the keys it adds there."""
    if event_type.endswith("Refused"):
        return REFUSAL_SCHEMA
    schema = PAYLOAD_TYPE[EventType(event_type)].model_json_schema()
    properties = schema.setdefault("properties", {})
    properties["seq"] = {"type": "integer", "description": "the order event's seq"}
    carried = SAMPLE_KEYS[(topic, event_type)]
    for name in set(properties) - carried:
        del properties[name]
    properties.update({name: copy.deepcopy(ADDED_KEYS[name]) for name in sorted(carried - set(properties))})
    if "required" in schema:
        schema["required"] = [name for name in schema["required"] if name in carried]
    return schema


def document() -> dict:
    rows = routes()
    channels, messages = {}, {}
    for topic in Topic:
        on_topic = [r for r in rows if r[0] is topic]
        channels[topic.value] = {
            "address": topic.value,
            "description": f"Kafka topic {topic.value} (its name is the setting KAFKA_TOPIC_{topic.name}).",
            "messages": {event_type: {"$ref": f"#/components/messages/{topic.value}.{event_type}"}
                         for _, _, event_type, _ in on_topic},
        }
        for _, key, event_type, source in on_topic:
            messages[f"{topic.value}.{event_type}"] = {
                "name": event_type,
                "summary": f"published by the {source}",
                "bindings": {"kafka": {"key": {"type": "string", "const": key.value}}},
                "headers": {"type": "object",
                            "properties": {"event_id": {"type": "string"}, "event_type": {"type": "string"}}},
                "payload": {"type": "object",
                            "required": ["event_id", "event_type", "order_req_id", "occurred_at", "source", "payload"],
                            "properties": {"event_id": {"type": "string", "description": "drop duplicates by this"},
                                           "event_type": {"type": "string", "const": event_type},
                                           "order_req_id": {"type": "string"},
                                           "occurred_at": {"type": "string", "format": "date-time"},
                                           "source": {"type": "string", "enum": ["processor", "requestor"]},
                                           "payload": payload_schema(topic, event_type)}},
            }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "dCent Communicator Kafka topics", "version": "0.1.0",
                 "description": "Generated by scripts/generate_asyncapi.py from shared/messaging/topics.py "
                                "and the Pydantic models."},
        "channels": channels,
        "components": {"messages": dict(sorted(messages.items()))},
    }


def render() -> str:
    return yaml.safe_dump(document(), sort_keys=False, allow_unicode=True, width=110)


if __name__ == "__main__":
    TARGET.write_text(render())
    print(f"wrote {TARGET}")
