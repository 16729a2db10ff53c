"""Stored answers to requests sent with an Idempotency-Key: one row per (caller, key).

A row is claimed (status NULL) before the request runs and completed with its answer after,
so a retry that arrives while the first is still running is told so instead of running twice.
A claim left by a process that died mid-request is taken over after `stale_after`, which must be
longer than any request may run (else a slow first request and its retry would both run).
Each caller may hold at most `max_per_caller` keys at once (kept answers and claims): a caller
cannot fill the table for everyone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, Integer, LargeBinary, String, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.engine import write_session
from shared.db.types import UtcDateTime
from shared.models.common import utcnow


class IdempotencyRowMixin:
    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256(caller, key)
    caller: Mapped[str] = mapped_column(String(64), index=True, server_default="")  # sha256(caller)
    fingerprint: Mapped[str] = mapped_column(String(64))              # sha256(method, path, query, body)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_type: Mapped[str] = mapped_column(String(128), default="")
    body: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)

    if TYPE_CHECKING:
        # The keyword constructor of the declarative base each service's table mixes this into.
        def __init__(self, **columns: Any) -> None: ...


@dataclass(frozen=True)
class Claimed:
    """Run the request; then `complete` or `release`."""


@dataclass(frozen=True)
class InProgress:
    """The same request is running now."""


@dataclass(frozen=True)
class Mismatch:
    """The key was used with another request."""


@dataclass(frozen=True)
class CallerFull:
    """The caller already holds as many keys as it may."""

    limit: int


@dataclass(frozen=True)
class Stored:
    status: int
    content_type: str
    body: bytes


Claim = Claimed | InProgress | Mismatch | Stored | CallerFull


class IdempotencyStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], row: type[IdempotencyRowMixin], *,
                 keep_hours: float, stale_after: timedelta, max_per_caller: int) -> None:
        self._sessions = sessions
        self._row = row
        self.stale_after = stale_after
        self._keep_for = timedelta(hours=keep_hours)
        self.max_per_caller = max_per_caller

    async def claim(self, caller: str, scope: str, fingerprint: str) -> Claim:
        now = utcnow()
        try:
            async with write_session(self._sessions) as session:
                row = await session.get(self._row, scope, with_for_update=True)
                if row is None:
                    held = await session.scalar(select(func.count()).select_from(self._row).where(
                        self._row.caller == caller, self._row.created_at >= now - self._keep_for))
                    if (held or 0) >= self.max_per_caller:
                        return CallerFull(self.max_per_caller)
                    session.add(self._row(scope=scope, caller=caller, fingerprint=fingerprint, status=None,
                                          content_type="", body=b"", created_at=now))
                    return Claimed()
                if row.fingerprint != fingerprint:
                    return Mismatch()
                if row.status is not None:
                    return Stored(row.status, row.content_type, row.body)
                if now - row.created_at > self.stale_after:
                    row.created_at = now
                    return Claimed()
                return InProgress()
        except IntegrityError:  # a concurrent first use inserted it (PostgreSQL)
            return InProgress()

    async def complete(self, scope: str, status: int, content_type: str, body: bytes) -> None:
        async with write_session(self._sessions) as session:
            row = await session.get(self._row, scope)
            if row is not None:
                row.status, row.content_type, row.body = status, content_type, body

    async def release(self, scope: str) -> None:
        async with write_session(self._sessions) as session:
            await session.execute(delete(self._row).where(self._row.scope == scope))

    async def purge(self) -> int:
        async with write_session(self._sessions) as session:
            # A DELETE's result is a cursor result (the generic execute() is typed as returning rows).
            result = cast(CursorResult[Any], await session.execute(
                delete(self._row).where(self._row.created_at < utcnow() - self._keep_for)))
            return result.rowcount or 0
