"""Domain errors: raised by services, translated once at each edge (HTTP status, gRPC code)."""
from __future__ import annotations

import grpc


class DomainError(Exception):
    http_status = 400
    grpc_code = grpc.StatusCode.INVALID_ARGUMENT
    retry_after_seconds: int | None = None  # sent as Retry-After where waiting helps

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class InvalidInput(DomainError):
    http_status = 422
    grpc_code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(DomainError):
    http_status = 404
    grpc_code = grpc.StatusCode.NOT_FOUND


def order_not_found(order_req_id: str) -> NotFound:
    """The refusal for an order that does not exist — and for one the caller may not see (another
    buyer session's, or one a seller was not invited to): the same status and words, so that an
    order id cannot be probed for existence (issue 14, docs/security.md)."""
    return NotFound(f"order {order_req_id} not found")


class Unauthorized(DomainError):
    """No credential, or one that does not verify (the caller is unknown)."""

    http_status = 401
    grpc_code = grpc.StatusCode.UNAUTHENTICATED


class Forbidden(DomainError):
    http_status = 403
    grpc_code = grpc.StatusCode.PERMISSION_DENIED


class Conflict(DomainError):
    """A transition the state machine forbids."""

    http_status = 409
    grpc_code = grpc.StatusCode.FAILED_PRECONDITION


class TooManyRequests(DomainError):
    """A limit on one caller is reached (a seller's revisions, an order's follow-ups). It does not
    lift with time, so no Retry-After: the reason names the limit."""

    http_status = 429
    grpc_code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Unavailable(DomainError):
    """A dependency (Processor, main API, database) cannot answer now; retry later."""

    http_status = 503
    grpc_code = grpc.StatusCode.UNAVAILABLE
    retry_after_seconds = 2


class Overloaded(Unavailable):
    """This server's own capacity is used up (its task queue is full): nothing was done; retry soon."""

    retry_after_seconds = 1


_BY_GRPC_CODE = {
    cls.grpc_code: cls for cls in (InvalidInput, NotFound, Forbidden, Conflict, TooManyRequests, Unavailable)}


def from_grpc_code(code: grpc.StatusCode, details: str | None) -> DomainError:
    """The Requestor's view of a Processor refusal: the same error class it was raised as. Any
    other status (a refused service token, an internal error) is the deployment's fault, not the
    buyer's: a 503 naming the status only — its details are for the operator's log, not the buyer."""
    cls = _BY_GRPC_CODE.get(code)
    if cls is None:
        return Unavailable(f"processor call failed ({code.name})")
    return cls(details or code.name)
