"""Domain errors: raised by services, translated once at each edge (the HTTP status here, the
gRPC code in shared/proto/errors.py: rules raise them without loading grpc)."""
from __future__ import annotations


class DomainError(Exception):
    http_status = 400
    retry_after_seconds: int | None = None  # sent as Retry-After where waiting helps

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class InvalidInput(DomainError):
    http_status = 422


class NotFound(DomainError):
    http_status = 404


def order_not_found(order_req_id: str) -> NotFound:
    """The refusal for an order that does not exist — and for one the caller may not see (another
    buyer session's, or one a seller was not invited to): the same status and words, so that an
    order id cannot be probed for existence (issue 14, docs/security.md)."""
    return NotFound(f"order {order_req_id} not found")


class Unauthorized(DomainError):
    """No credential, or one that does not verify (the caller is unknown)."""

    http_status = 401


class Forbidden(DomainError):
    http_status = 403


class Conflict(DomainError):
    """A transition the state machine forbids."""

    http_status = 409


class TooManyRequests(DomainError):
    """A limit on one caller is reached (a seller's revisions, an order's follow-ups). It does not
    lift with time, so no Retry-After: the reason names the limit."""

    http_status = 429


class Unavailable(DomainError):
    """A dependency (Processor, main API, database) cannot answer now; retry later."""

    http_status = 503
    retry_after_seconds = 2


class Overloaded(Unavailable):
    """This server's own capacity is used up (its task queue is full): nothing was done; retry soon."""

    retry_after_seconds = 1
