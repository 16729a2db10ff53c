"""Domain errors ↔ gRPC status codes: the one translation both gRPC edges use (the Processor's
servicer and token interceptor answer with it; the Requestor's client reads refusals back)."""
from __future__ import annotations

import grpc

from shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unavailable,
)

_CODES: dict[type[DomainError], grpc.StatusCode] = {
    InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    NotFound: grpc.StatusCode.NOT_FOUND,
    Unauthorized: grpc.StatusCode.UNAUTHENTICATED,
    Forbidden: grpc.StatusCode.PERMISSION_DENIED,
    Conflict: grpc.StatusCode.FAILED_PRECONDITION,
    TooManyRequests: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Unavailable: grpc.StatusCode.UNAVAILABLE,
}
# Read back: Unauthorized is not, since a refused service token is the deployment's fault (below).
_ERRORS = {code: cls for cls, code in _CODES.items() if cls is not Unauthorized}


def grpc_code(error: DomainError) -> grpc.StatusCode:
    """The status a refusal is sent with (a subclass, e.g. Overloaded, as its parent)."""
    for cls in type(error).__mro__:
        if cls in _CODES:
            return _CODES[cls]
    return grpc.StatusCode.INVALID_ARGUMENT  # a plain DomainError: the request was refused as given


def from_grpc_code(code: grpc.StatusCode, details: str | None) -> DomainError:
    """The Requestor's view of a Processor refusal: the same error class it was raised as. Any
    other status (a refused service token, an internal error) is the deployment's fault, not the
    buyer's: a 503 naming the status only — its details are for the operator's log, not the buyer."""
    cls = _ERRORS.get(code)
    if cls is None:
        return Unavailable(f"processor call failed ({code.name})")
    return cls(details or code.name)
