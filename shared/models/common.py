"""Field types and model bases shared by every request, response and event model."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

# Offsets and sequence numbers stay within a 64-bit SQL integer (larger ones cannot be bound).
MAX_SQL_INT = 2**63 - 1
# Identifiers end up in URLs, log lines, Kafka keys and Chat messages: keep them plain.
Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")]
# An order id in a body: the seed spells it OrderReqID and, in one place, OrderReqId.
ORDER_ID = AliasChoices("OrderReqID", "OrderReqId")


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


def nul_at(value: Any, path: str = "") -> str | None:
    """Where a NUL character hides in JSON-like data (keys included), or None. PostgreSQL text
    cannot hold one, Chat and logs mangle it: refused at the edge, never met by the database."""
    if isinstance(value, str):
        return (path or "(value)") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in where:
                return where.replace("\x00", "\\u0000")
            if found := nul_at(item, where):
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if found := nul_at(item, f"{path}[{index}]"):
                return found
    return None


class NulFree(BaseModel):
    """A model no NUL character gets into (anywhere in it: keys, lists, nested objects)."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any) -> Any:
        if (where := nul_at(data)) is not None:
            raise ValueError(f"text must not contain NUL (\\u0000) characters: {where}")
        return data


class ApiModel(NulFree):
    """Request/response bodies: the seed's key spellings are aliases, Python names are snake_case."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", str_strip_whitespace=True)
