"""Field types and model bases shared by every request, response and event model."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# Identifiers end up in URLs, log lines, Kafka keys and Chat messages: keep them plain.
# Offsets and sequence numbers stay within a 64-bit SQL integer (larger ones cannot be bound).
MAX_SQL_INT = 2**63 - 1
Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


UtcDatetime = Annotated[datetime, AfterValidator(_aware)]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ApiModel(BaseModel):
    """Request/response bodies: the seed's key spellings are aliases, Python names are snake_case."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", str_strip_whitespace=True)
