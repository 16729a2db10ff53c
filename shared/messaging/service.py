"""A service's Kafka side, built in its lifespan: the outbox it writes to and the relay task."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.config import CommonSettings
from shared.db.engine import write_session
from shared.messaging.kafka_client import KafkaPublisher
from shared.messaging.outbox import Outbox, OutboxRelay, OutboxRowMixin
from shared.messaging.topics import KafkaMessage, topic_names


class Messaging:
    """`stage()` inside a change's transaction, `written()` after its commit; the relay does the rest.

    With KAFKA_ENABLED=false nothing is staged and no relay runs.
    """

    def __init__(
        self, settings: CommonSettings, sessions: async_sessionmaker[AsyncSession], row_type: type[OutboxRowMixin], *,
        source: str,
    ) -> None:
        self.enabled = settings.kafka_enabled
        self._sessions = sessions
        self._settings = settings
        self.outbox = Outbox(row_type)
        names = topic_names(settings)
        self.relay = OutboxRelay(
            sessions, self.outbox, KafkaPublisher(settings, list(names.values())),
            source=source, topic_names=names, batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds, linger_seconds=settings.outbox_linger_seconds,
            retention=timedelta(hours=settings.outbox_retention_hours),
        )
        self._task: asyncio.Task | None = None

    async def stage(self, session: AsyncSession, messages: list[KafkaMessage]) -> None:
        if self.enabled and messages:
            await self.outbox.stage(session, messages)

    def written(self) -> None:
        if self.enabled:
            self.outbox.written()

    async def record(self, messages: list[KafkaMessage]) -> None:
        """Messages not tied to a state change (a refusal): their own transaction."""
        if not self.enabled:
            return
        async with write_session(self._sessions) as session:
            await self.outbox.stage(session, messages)
        self.outbox.written()

    async def status(self) -> str:
        return await self.relay.status() if self.enabled else "disabled"

    def start(self) -> None:
        if self.enabled:
            self._task = asyncio.create_task(self.relay.run(), name="outbox-relay")

    async def stop(self, drain_seconds: float = 5.0) -> None:
        if self._task is None:
            return
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.relay.drain(drain_seconds)
        await self.relay.close()
