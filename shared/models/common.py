"""Field types and model bases shared by every request, response and event model."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

# Offsets and sequence numbers stay within a 64-bit SQL integer (larger ones cannot be bound).
MAX_SQL_INT = 2**63 - 1
# Identifiers end up in URLs, log lines, Kafka keys and Chat messages: keep them plain.
Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")]


ISO_EXAMPLE = "an ISO 8601 date-time such as 2025-11-01T00:00:00Z"


def _iso_only(value: object) -> object:
    """Strict dates: ISO 8601 text (or a datetime), never a number read as a Unix time."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"expected {ISO_EXAMPLE}") from None
    raise ValueError(f"expected {ISO_EXAMPLE}")


def _aware(value: datetime) -> datetime:
    """Naive means UTC; an offset is converted to UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, BeforeValidator(_iso_only), AfterValidator(_aware)]


def utcnow() -> datetime:
    return datetime.now(UTC)


class ApiModel(BaseModel):
    """Request/response bodies: the seed's key spellings are aliases, Python names are snake_case."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", str_strip_whitespace=True)
