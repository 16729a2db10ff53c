"""The one place where protobuf messages and Pydantic models meet."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import cast

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from shared.models.events import (
    W3C_TRACEPARENT,
    EditLockPayload,
    EventPayload,
    FollowUpPayload,
    NoticeFailedPayload,
    OrderEvent,
    OrderStatusPayload,
    ProposalPayload,
    SellersSelectedPayload,
)
from shared.models.followups import AudienceMiss, FollowUpReceipt
from shared.models.messages import MessageContent
from shared.models.orders import Location, OrderDetails, OrderItem, OrderSummary, SelectedSeller
from shared.models.states import OrderState, ProposalState
from shared.proto import communicator_pb2 as pb

# protoc's .pyi types EnumTypeWrapper.Value() as a plain int; the value is the enum's.
_ORDER_STATE_TO_PB = {
    state: cast(pb.OrderState, pb.OrderState.Value(f"ORDER_STATE_{state.name}")) for state in OrderState
}
_ORDER_STATE_FROM_PB = {v: k for k, v in _ORDER_STATE_TO_PB.items()}
_PROPOSAL_STATE_TO_PB = {
    state: cast(pb.ProposalState, pb.ProposalState.Value(f"PROPOSAL_STATE_{state.name}")) for state in ProposalState
}
_PROPOSAL_STATE_FROM_PB = {v: k for k, v in _PROPOSAL_STATE_TO_PB.items()}


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def _dt(message: Message, field: str) -> datetime | None:
    if not message.HasField(field):
        return None
    return getattr(message, field).ToDatetime(tzinfo=UTC)


# --- order details and summaries ------------------------------------------------------------

def details_to_pb(details: OrderDetails) -> pb.OrderDetails:
    return pb.OrderDetails(
        industry=details.industry or "",
        location=pb.Location(lat=details.location.lat, lng=details.location.lng) if details.location else None,
        description=details.description or "",
        items=[pb.OrderItem(name=i.name, quantity=i.quantity, unit=i.unit) for i in details.items],
        expiry_minutes=details.expiry_minutes or 0,
        max_sellers=details.max_sellers or 0,
    )


def details_from_pb(message: pb.OrderDetails) -> OrderDetails:
    return OrderDetails(
        industry=message.industry or None,
        location=Location(lat=message.location.lat, lng=message.location.lng) if message.HasField("location") else None,
        description=message.description or None,
        items=[OrderItem(name=i.name, quantity=i.quantity, unit=i.unit) for i in message.items],
        expiry_minutes=message.expiry_minutes or None,
        max_sellers=message.max_sellers or None,
    )


def seller_to_pb(seller: SelectedSeller) -> pb.SelectedSeller:
    return pb.SelectedSeller(
        seller_id=seller.seller_id, name=seller.name, rank=seller.rank,
        distance_km=seller.distance_km, duration_s=seller.duration_s, source=seller.source,
    )


def seller_from_pb(message: pb.SelectedSeller) -> SelectedSeller:
    return SelectedSeller(
        seller_id=message.seller_id, name=message.name, rank=message.rank,
        distance_km=message.distance_km if message.HasField("distance_km") else None,
        duration_s=message.duration_s if message.HasField("duration_s") else None,
        source=message.source,
    )


def summary_to_pb(summary: OrderSummary) -> pb.OrderSummary:
    return pb.OrderSummary(
        order_req_id=summary.order_req_id, session_id=summary.session_id,
        state=_ORDER_STATE_TO_PB[summary.state], expires_at=_ts(summary.expires_at),
        last_seq=summary.last_seq, reason=summary.reason,
        sellers=[seller_to_pb(s) for s in summary.sellers],
    )


def summary_from_pb(message: pb.OrderSummary) -> OrderSummary:
    return OrderSummary(
        order_req_id=message.order_req_id, session_id=message.session_id,
        state=_ORDER_STATE_FROM_PB[message.state], expires_at=_dt(message, "expires_at"),
        last_seq=message.last_seq, reason=message.reason,
        sellers=[seller_from_pb(s) for s in message.sellers],
    )


# --- follow-ups -------------------------------------------------------------------------------

def message_to_pb(content: MessageContent) -> pb.FollowUpMessage:
    return pb.FollowUpMessage(
        urls=[str(u) for u in content.urls], message_type=content.message_type, message=content.message)


def message_from_pb(message: pb.FollowUpMessage) -> MessageContent:
    return MessageContent(urls=list(message.urls), message_type=message.message_type or "text", message=message.message)


def follow_up_receipt_to_pb(receipt: FollowUpReceipt) -> pb.FollowUpResponse:
    return pb.FollowUpResponse(
        order_req_id=receipt.order_req_id, seq=receipt.seq, follow_up_id=receipt.follow_up_id,
        reached=receipt.reached,
        not_reached=[pb.AudienceMiss(proposal_id=m.proposal_id, reason=m.reason) for m in receipt.not_reached],
    )


def follow_up_receipt_from_pb(message: pb.FollowUpResponse) -> FollowUpReceipt:
    return FollowUpReceipt(
        order_req_id=message.order_req_id, seq=message.seq, follow_up_id=message.follow_up_id,
        reached=list(message.reached),
        not_reached=[AudienceMiss(proposal_id=m.proposal_id, reason=m.reason) for m in message.not_reached],
    )


# --- stream events ----------------------------------------------------------------------------

def event_to_pb(event: OrderEvent) -> pb.OrderStreamResponse:
    response = pb.OrderStreamResponse(
        order_req_id=event.order_req_id, seq=event.seq, event_id=event.event_id,
        event_type=event.event_type.value, occurred_at=_ts(event.occurred_at), traceparent=event.traceparent or "",
    )
    p = event.payload
    if isinstance(p, OrderStatusPayload):
        response.status.CopyFrom(pb.OrderStatusChanged(
            state=_ORDER_STATE_TO_PB[p.state], reason=p.reason, winning_proposal_id=p.winning_proposal_id,
            expires_at=_ts(p.expires_at), session_id=p.session_id,
        ))
    elif isinstance(p, SellersSelectedPayload):
        response.sellers_selected.CopyFrom(pb.SellersSelected(
            sellers=[seller_to_pb(s) for s in p.sellers], ranking_source=p.ranking_source,
        ))
    elif isinstance(p, ProposalPayload):
        response.proposal.CopyFrom(pb.ProposalEvent(
            proposal_id=p.proposal_id, seller_id=p.seller_id, state=_PROPOSAL_STATE_TO_PB[p.state],
            data_json=json.dumps(p.data, separators=(",", ":")), revision=p.revision,
        ))
    elif isinstance(p, FollowUpPayload):
        response.follow_up.CopyFrom(pb.FollowUpEvent(
            follow_up_id=p.follow_up_id, direction=p.direction, seller_id=p.seller_id,
            proposal_id=p.proposal_id, audience=p.audience, message=message_to_pb(p.message),
            recipients=p.recipients,
        ))
    elif isinstance(p, EditLockPayload):
        response.edit_lock.CopyFrom(pb.EditLockEvent(
            proposal_id=p.proposal_id, seller_id=p.seller_id, locked=p.locked,
            expires_at=_ts(p.expires_at), reason=p.reason,
        ))
    elif isinstance(p, NoticeFailedPayload):
        response.notice_failed.CopyFrom(pb.NoticeFailedEvent(seller_id=p.seller_id, kind=p.kind, reason=p.reason))
    return response


def _payload_from_pb(message: pb.OrderStreamResponse) -> EventPayload:
    kind = message.WhichOneof("payload")
    if kind == "status":
        status = message.status
        return OrderStatusPayload(
            state=_ORDER_STATE_FROM_PB[status.state], reason=status.reason,
            winning_proposal_id=status.winning_proposal_id, expires_at=_dt(status, "expires_at"),
            session_id=status.session_id,
        )
    if kind == "sellers_selected":
        selected = message.sellers_selected
        return SellersSelectedPayload(
            sellers=[seller_from_pb(x) for x in selected.sellers], ranking_source=selected.ranking_source,
        )
    if kind == "proposal":
        p = message.proposal
        return ProposalPayload(
            proposal_id=p.proposal_id, seller_id=p.seller_id, state=_PROPOSAL_STATE_FROM_PB[p.state],
            data=json.loads(p.data_json or "{}"), revision=p.revision,
        )
    if kind == "follow_up":
        f = message.follow_up
        return FollowUpPayload(
            follow_up_id=f.follow_up_id, direction=f.direction, seller_id=f.seller_id,
            proposal_id=f.proposal_id, audience=list(f.audience), message=message_from_pb(f.message),
            recipients=list(f.recipients),
        )
    if kind == "edit_lock":
        e = message.edit_lock
        return EditLockPayload(
            proposal_id=e.proposal_id, seller_id=e.seller_id, locked=e.locked,
            expires_at=_dt(e, "expires_at"), reason=e.reason,
        )
    if kind == "notice_failed":
        n = message.notice_failed
        return NoticeFailedPayload(seller_id=n.seller_id, kind=n.kind, reason=n.reason)
    raise ValueError(f"stream message {message.order_req_id}#{message.seq} carries no payload")


def event_from_pb(message: pb.OrderStreamResponse) -> OrderEvent:
    return OrderEvent(
        order_req_id=message.order_req_id, seq=message.seq, event_id=message.event_id,
        event_type=message.event_type, occurred_at=_dt(message, "occurred_at"),
        payload=_payload_from_pb(message),
        # Not a W3C traceparent: dropped, never a reason to refuse the event (its stream would stall).
        traceparent=message.traceparent if W3C_TRACEPARENT.fullmatch(message.traceparent) else None,
    )
