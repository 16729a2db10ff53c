"""A service's Kafka side, built in its lifespan: the outbox it writes to and the relay task."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.config import CommonSettings
from shared.db.engine import write_session
from shared.db.leadership import Leadership
from shared.db.notifications import Notifications
from shared.messaging.kafka_client import KafkaPublisher
from shared.messaging.outbox import Outbox, OutboxRelay, OutboxRowMixin
from shared.messaging.topics import KafkaMessage, topic_names
from shared.models.common import utcnow

BACKLOG_SECONDS = 5.0


class Messaging:
    """`stage()` inside a change's transaction, `written()` after its commit; the relay does the rest.

    One relay publishes per database: among replicas on PostgreSQL the one holding the advisory
    lock `<source>-outbox-relay` (shared.db.leadership), which others take over within seconds
    of its end; a commit on any replica wakes it through a PostgreSQL notice. With
    KAFKA_ENABLED=false nothing is staged and no relay runs.
    """

    def __init__(
        self, settings: CommonSettings, sessions: async_sessionmaker[AsyncSession], row_type: type[OutboxRowMixin], *,
        source: str, notifications: Notifications | None = None,
    ) -> None:
        self.enabled = settings.kafka_enabled
        self._sessions = sessions
        self._settings = settings
        self._notifications = notifications
        self._channel = f"{source}_outbox"
        self.outbox = Outbox(row_type)
        if notifications is not None:
            notifications.on(self._channel, lambda _: self.outbox.written())
        self.leadership = Leadership(sessions.kw["bind"], f"{source}-outbox-relay")
        names = topic_names(settings)
        self.relay = OutboxRelay(
            sessions, self.outbox, KafkaPublisher(settings, list(names.values())),
            source=source, topic_names=names, batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds, linger_seconds=settings.outbox_linger_seconds,
            retention=timedelta(hours=settings.outbox_retention_hours),
        )
        self._task: asyncio.Task | None = None
        self._watch: asyncio.Task | None = None
        self.backlog_rows = 0
        self.oldest_unsent_at: datetime | None = None  # as last read (None: nothing waited)
        self._drain_seconds = 0.0

    async def stage(self, session: AsyncSession, messages: list[KafkaMessage]) -> None:
        if self.enabled and messages:
            await self.outbox.stage(session, messages)

    def written(self) -> None:
        if self.enabled:
            self.outbox.written()
            if self._notifications is not None:  # the relay may be another replica's
                self._notifications.publish(self._channel)

    async def record(self, messages: list[KafkaMessage]) -> None:
        """Messages not tied to a state change (a refusal): their own transaction."""
        if not self.enabled:
            return
        async with write_session(self._sessions) as session:
            await self.stage(session, messages)
        self.written()

    async def status(self) -> str:
        if not self.enabled:
            return "disabled"
        return await self.relay.status() if self.leadership.leading else "standby (another replica publishes)"

    def start(self) -> None:
        if self.enabled:
            self._task = asyncio.create_task(self.leadership.run(self._relay), name="outbox-relay")
            self._watch = asyncio.create_task(self._watch_backlog(), name="outbox-backlog")

    async def _watch_backlog(self, every: float = BACKLOG_SECONDS) -> None:
        """For /metrics: what waits in the outbox and for how long (every replica reads the table)."""
        while True:
            try:
                count, oldest = await self.relay.unsent()
                self.backlog_rows = count
                self.oldest_unsent_at = oldest
            except Exception:  # noqa: BLE001 - the database is away: the figures wait for it
                pass
            await asyncio.sleep(every)

    @property
    def oldest_unsent_seconds(self) -> float:
        """How long the oldest waiting message has waited, now: it keeps growing while the database
        cannot be read (the backlog as last read), so an outage cannot hide a stuck outbox."""
        oldest = self.oldest_unsent_at
        return 0.0 if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())

    async def _relay(self) -> None:
        """The leader's term: relay until stopped; then, still holding the lock, publish what is
        left (when the service stops) and flush and close the producer, so nothing this replica
        sent goes out after another replica has taken over."""
        try:
            await self.relay.run()
        finally:
            if self._drain_seconds:
                await self.relay.drain(self._drain_seconds)
            await self.relay.close()

    async def stop(self, drain_seconds: float = 5.0) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
        if self._task is None:
            return
        self._drain_seconds = drain_seconds
        await self.leadership.stop()  # the leader drains, then lets go of the lock
        await asyncio.gather(self._task, return_exceptions=True)
