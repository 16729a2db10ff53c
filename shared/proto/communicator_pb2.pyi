import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATE_UNSPECIFIED: _ClassVar[OrderState]
    ORDER_STATE_INITIATED: _ClassVar[OrderState]
    ORDER_STATE_OPEN: _ClassVar[OrderState]
    ORDER_STATE_PAUSED: _ClassVar[OrderState]
    ORDER_STATE_FINALISED: _ClassVar[OrderState]
    ORDER_STATE_EXPIRED: _ClassVar[OrderState]
    ORDER_STATE_FAILED: _ClassVar[OrderState]

class ProposalState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROPOSAL_STATE_UNSPECIFIED: _ClassVar[ProposalState]
    PROPOSAL_STATE_SUBMITTED: _ClassVar[ProposalState]
    PROPOSAL_STATE_LOCKED: _ClassVar[ProposalState]
    PROPOSAL_STATE_ACCEPTED: _ClassVar[ProposalState]
    PROPOSAL_STATE_CLOSED: _ClassVar[ProposalState]
ORDER_STATE_UNSPECIFIED: OrderState
ORDER_STATE_INITIATED: OrderState
ORDER_STATE_OPEN: OrderState
ORDER_STATE_PAUSED: OrderState
ORDER_STATE_FINALISED: OrderState
ORDER_STATE_EXPIRED: OrderState
ORDER_STATE_FAILED: OrderState
PROPOSAL_STATE_UNSPECIFIED: ProposalState
PROPOSAL_STATE_SUBMITTED: ProposalState
PROPOSAL_STATE_LOCKED: ProposalState
PROPOSAL_STATE_ACCEPTED: ProposalState
PROPOSAL_STATE_CLOSED: ProposalState

class Location(_message.Message):
    __slots__ = ("lat", "lng")
    LAT_FIELD_NUMBER: _ClassVar[int]
    LNG_FIELD_NUMBER: _ClassVar[int]
    lat: float
    lng: float
    def __init__(self, lat: _Optional[float] = ..., lng: _Optional[float] = ...) -> None: ...

class OrderItem(_message.Message):
    __slots__ = ("name", "quantity", "unit")
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    name: str
    quantity: float
    unit: str
    def __init__(self, name: _Optional[str] = ..., quantity: _Optional[float] = ..., unit: _Optional[str] = ...) -> None: ...

class OrderDetails(_message.Message):
    __slots__ = ("industry", "location", "description", "items", "expiry_minutes", "max_sellers")
    INDUSTRY_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_MINUTES_FIELD_NUMBER: _ClassVar[int]
    MAX_SELLERS_FIELD_NUMBER: _ClassVar[int]
    industry: str
    location: Location
    description: str
    items: _containers.RepeatedCompositeFieldContainer[OrderItem]
    expiry_minutes: int
    max_sellers: int
    def __init__(self, industry: _Optional[str] = ..., location: _Optional[_Union[Location, _Mapping]] = ..., description: _Optional[str] = ..., items: _Optional[_Iterable[_Union[OrderItem, _Mapping]]] = ..., expiry_minutes: _Optional[int] = ..., max_sellers: _Optional[int] = ...) -> None: ...

class SelectedSeller(_message.Message):
    __slots__ = ("seller_id", "name", "rank", "distance_km", "duration_s", "source")
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_KM_FIELD_NUMBER: _ClassVar[int]
    DURATION_S_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    seller_id: str
    name: str
    rank: int
    distance_km: float
    duration_s: float
    source: str
    def __init__(self, seller_id: _Optional[str] = ..., name: _Optional[str] = ..., rank: _Optional[int] = ..., distance_km: _Optional[float] = ..., duration_s: _Optional[float] = ..., source: _Optional[str] = ...) -> None: ...

class OrderSummary(_message.Message):
    __slots__ = ("order_req_id", "session_id", "state", "expires_at", "last_seq", "reason", "sellers")
    ORDER_REQ_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQ_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SELLERS_FIELD_NUMBER: _ClassVar[int]
    order_req_id: str
    session_id: str
    state: OrderState
    expires_at: _timestamp_pb2.Timestamp
    last_seq: int
    reason: str
    sellers: _containers.RepeatedCompositeFieldContainer[SelectedSeller]
    def __init__(self, order_req_id: _Optional[str] = ..., session_id: _Optional[str] = ..., state: _Optional[_Union[OrderState, str]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_seq: _Optional[int] = ..., reason: _Optional[str] = ..., sellers: _Optional[_Iterable[_Union[SelectedSeller, _Mapping]]] = ...) -> None: ...

class InitiateOrderRequest(_message.Message):
    __slots__ = ("order_req_id", "session_id", "notification_type", "details")
    ORDER_REQ_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    order_req_id: str
    session_id: str
    notification_type: str
    details: OrderDetails
    def __init__(self, order_req_id: _Optional[str] = ..., session_id: _Optional[str] = ..., notification_type: _Optional[str] = ..., details: _Optional[_Union[OrderDetails, _Mapping]] = ...) -> None: ...

class FinalizeOrderRequest(_message.Message):
    __slots__ = ("order_req_id", "proposal_id")
    ORDER_REQ_ID_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_ID_FIELD_NUMBER: _ClassVar[int]
    order_req_id: str
    proposal_id: str
    def __init__(self, order_req_id: _Optional[str] = ..., proposal_id: _Optional[str] = ...) -> None: ...

class OrderControlRequest(_message.Message):
    __slots__ = ("order_req_id", "reason")
    ORDER_REQ_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    order_req_id: str
    reason: str
    def __init__(self, order_req_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class OrderActionResponse(_message.Message):
    __slots__ = ("order", "seq")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    order: OrderSummary
    seq: int
    def __init__(self, order: _Optional[_Union[OrderSummary, _Mapping]] = ..., seq: _Optional[int] = ...) -> None: ...

class FollowUpMessage(_message.Message):
    __slots__ = ("urls", "message_type", "message")
    URLS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    urls: _containers.RepeatedScalarFieldContainer[str]
    message_type: str
    message: str
    def __init__(self, urls: _Optional[_Iterable[str]] = ..., message_type: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class FollowUpRequest(_message.Message):
    __slots__ = ("order_req_id", "audience", "message")
    ORDER_REQ_ID_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    order_req_id: str
    audience: _containers.RepeatedScalarFieldContainer[str]
    message: FollowUpMessage
    def __init__(self, order_req_id: _Optional[str] = ..., audience: _Optional[_Iterable[str]] = ..., message: _Optional[_Union[FollowUpMessage, _Mapping]] = ...) -> None: ...

class AudienceMiss(_message.Message):
    __slots__ = ("proposal_id", "reason")
    PROPOSAL_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    proposal_id: str
    reason: str
    def __init__(self, proposal_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class FollowUpResponse(_message.Message):
    __slots__ = ("order_req_id", "seq", "follow_up_id", "reached", "not_reached")
    ORDER_REQ_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UP_ID_FIELD_NUMBER: _ClassVar[int]
    REACHED_FIELD_NUMBER: _ClassVar[int]
    NOT_REACHED_FIELD_NUMBER: _ClassVar[int]
    order_req_id: str
    seq: int
    follow_up_id: str
    reached: _containers.RepeatedScalarFieldContainer[str]
    not_reached: _containers.RepeatedCompositeFieldContainer[AudienceMiss]
    def __init__(self, order_req_id: _Optional[str] = ..., seq: _Optional[int] = ..., follow_up_id: _Optional[str] = ..., reached: _Optional[_Iterable[str]] = ..., not_reached: _Optional[_Iterable[_Union[AudienceMiss, _Mapping]]] = ...) -> None: ...

class OrderStreamRequest(_message.Message):
    __slots__ = ("order_req_id", "resume_after_seq")
    ORDER_REQ_ID_FIELD_NUMBER: _ClassVar[int]
    RESUME_AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    order_req_id: str
    resume_after_seq: int
    def __init__(self, order_req_id: _Optional[str] = ..., resume_after_seq: _Optional[int] = ...) -> None: ...

class OrderStatusChanged(_message.Message):
    __slots__ = ("state", "reason", "winning_proposal_id", "expires_at", "session_id")
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    WINNING_PROPOSAL_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    state: OrderState
    reason: str
    winning_proposal_id: str
    expires_at: _timestamp_pb2.Timestamp
    session_id: str
    def __init__(self, state: _Optional[_Union[OrderState, str]] = ..., reason: _Optional[str] = ..., winning_proposal_id: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., session_id: _Optional[str] = ...) -> None: ...

class SellersSelected(_message.Message):
    __slots__ = ("sellers", "ranking_source")
    SELLERS_FIELD_NUMBER: _ClassVar[int]
    RANKING_SOURCE_FIELD_NUMBER: _ClassVar[int]
    sellers: _containers.RepeatedCompositeFieldContainer[SelectedSeller]
    ranking_source: str
    def __init__(self, sellers: _Optional[_Iterable[_Union[SelectedSeller, _Mapping]]] = ..., ranking_source: _Optional[str] = ...) -> None: ...

class ProposalEvent(_message.Message):
    __slots__ = ("proposal_id", "seller_id", "state", "data_json", "revision")
    PROPOSAL_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    proposal_id: str
    seller_id: str
    state: ProposalState
    data_json: str
    revision: int
    def __init__(self, proposal_id: _Optional[str] = ..., seller_id: _Optional[str] = ..., state: _Optional[_Union[ProposalState, str]] = ..., data_json: _Optional[str] = ..., revision: _Optional[int] = ...) -> None: ...

class FollowUpEvent(_message.Message):
    __slots__ = ("follow_up_id", "direction", "seller_id", "proposal_id", "audience", "message", "recipients")
    FOLLOW_UP_ID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_ID_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    follow_up_id: str
    direction: str
    seller_id: str
    proposal_id: str
    audience: _containers.RepeatedScalarFieldContainer[str]
    message: FollowUpMessage
    recipients: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, follow_up_id: _Optional[str] = ..., direction: _Optional[str] = ..., seller_id: _Optional[str] = ..., proposal_id: _Optional[str] = ..., audience: _Optional[_Iterable[str]] = ..., message: _Optional[_Union[FollowUpMessage, _Mapping]] = ..., recipients: _Optional[_Iterable[str]] = ...) -> None: ...

class EditLockEvent(_message.Message):
    __slots__ = ("proposal_id", "seller_id", "locked", "expires_at", "reason")
    PROPOSAL_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    LOCKED_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    proposal_id: str
    seller_id: str
    locked: bool
    expires_at: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, proposal_id: _Optional[str] = ..., seller_id: _Optional[str] = ..., locked: _Optional[bool] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class NoticeFailedEvent(_message.Message):
    __slots__ = ("seller_id", "kind", "reason")
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    seller_id: str
    kind: str
    reason: str
    def __init__(self, seller_id: _Optional[str] = ..., kind: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class OrderStreamResponse(_message.Message):
    __slots__ = ("order_req_id", "seq", "event_id", "event_type", "occurred_at", "traceparent", "status", "sellers_selected", "proposal", "follow_up", "edit_lock", "notice_failed")
    ORDER_REQ_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SELLERS_SELECTED_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UP_FIELD_NUMBER: _ClassVar[int]
    EDIT_LOCK_FIELD_NUMBER: _ClassVar[int]
    NOTICE_FAILED_FIELD_NUMBER: _ClassVar[int]
    order_req_id: str
    seq: int
    event_id: str
    event_type: str
    occurred_at: _timestamp_pb2.Timestamp
    traceparent: str
    status: OrderStatusChanged
    sellers_selected: SellersSelected
    proposal: ProposalEvent
    follow_up: FollowUpEvent
    edit_lock: EditLockEvent
    notice_failed: NoticeFailedEvent
    def __init__(self, order_req_id: _Optional[str] = ..., seq: _Optional[int] = ..., event_id: _Optional[str] = ..., event_type: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., traceparent: _Optional[str] = ..., status: _Optional[_Union[OrderStatusChanged, _Mapping]] = ..., sellers_selected: _Optional[_Union[SellersSelected, _Mapping]] = ..., proposal: _Optional[_Union[ProposalEvent, _Mapping]] = ..., follow_up: _Optional[_Union[FollowUpEvent, _Mapping]] = ..., edit_lock: _Optional[_Union[EditLockEvent, _Mapping]] = ..., notice_failed: _Optional[_Union[NoticeFailedEvent, _Mapping]] = ...) -> None: ...
