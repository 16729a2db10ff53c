"""gRPC_SS: one ProcessOrderStream per open order, resumed from the last stored seq on any break.

Each stream is a task of its own (open streams are cheap and not capped by
MAX_CONCURRENT_TASKS). A broken stream — Processor restarted, network cut, a gap — is reopened
with exponential backoff and jitter, `resume_after_seq` = the last seq `_UpdateRequests` stored,
so nothing is lost or applied twice. The task ends after the order's terminal event.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
import random
from typing import Protocol

import grpc

from shared.models.events import OrderEvent
from shared.proto import communicator_pb2 as pb
from shared.proto import communicator_pb2_grpc as pb_grpc
from shared.proto import convert
from shared.telemetry.tracing import SpanKind, linked_span

log = logging.getLogger(__name__)


class SequenceGap(Exception):
    """The stream skipped a seq: reopen it from the last applied one."""


class StreamedEvents(Protocol):
    """Where a stream's events go (the Requestor's _UpdateRequests): the port this client feeds."""

    async def resume_point(self, order_req_id: str) -> int | None:
        """The seq to resume the order's stream after, or None when there is nothing to follow."""

    async def apply(self, event: OrderEvent) -> bool:
        """Apply one event; False when it was a duplicate; SequenceGap when one is missing."""


class OrderStreamManager:
    def __init__(
        self, channel: grpc.aio.Channel, updater: StreamedEvents, *, retry_initial: float, retry_max: float,
        metadata: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self._stub = pb_grpc.OrderStreamingServiceStub(channel)
        self._metadata = metadata
        self._updater = updater
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._tasks: dict[str, asyncio.Task] = {}
        self._unknown: set[str] = set()  # orders the Processor does not know: never followed again
        self._closed = False
        self.reconnects = 0

    @property
    def followed(self) -> set[str]:
        return set(self._tasks)

    def follow(self, order_req_id: str) -> None:
        if order_req_id not in self._tasks and order_req_id not in self._unknown and not self._closed:
            # A context of its own: the stream lives as long as the order, so it is no request's
            # child (its events' spans link to the traces that made them instead).
            task = asyncio.create_task(self._follow(order_req_id), name=f"stream:{order_req_id}",
                                       context=contextvars.Context())
            self._tasks[order_req_id] = task
            task.add_done_callback(lambda done: self._forget(order_req_id, done))

    def unfollow(self, order_req_id: str) -> None:
        """Stop following (another replica took the order over); what was applied stays."""
        task = self._tasks.pop(order_req_id, None)
        if task is not None:
            task.cancel()

    def _forget(self, order_req_id: str, task: asyncio.Task) -> None:
        if self._tasks.get(order_req_id) is task:  # not a newer stream of the same order
            del self._tasks[order_req_id]

    async def _follow(self, order_req_id: str) -> None:
        delay = self._retry_initial
        while True:
            after = await self._updater.resume_point(order_req_id)
            if after is None:
                return
            try:
                call = self._stub.ProcessOrderStream(
                    pb.OrderStreamRequest(order_req_id=order_req_id, resume_after_seq=after), metadata=self._metadata,
                    wait_for_ready=True,  # while the Processor is away, wait for the channel instead of failing
                )
                ended = False
                async for message in call:
                    event = convert.event_from_pb(message)
                    with linked_span(f"apply {event.event_type.value}", event.traceparent, SpanKind.CONSUMER,
                                     order_req_id=order_req_id, seq=event.seq):
                        await self._updater.apply(event)
                    delay = self._retry_initial
                    ended = ended or event.is_terminal
                    del message, event  # not held while the stream idles (thousands of them)
                if ended:  # the Processor closes the stream after the order's last event: read to its end,
                    return  # so the call (and its trace span) completes rather than being abandoned
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.NOT_FOUND:
                    log.error("processor does not know order %s; not following it", order_req_id)
                    self._unknown.add(order_req_id)
                    return
                log.info("stream of %s broke (%s); resuming after seq %d", order_req_id, exc.code().name, after)
            except SequenceGap as exc:
                log.warning("stream gap: %s", exc)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("stream of %s failed; resuming", order_req_id)
            self.reconnects += 1
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, self._retry_max)

    async def close(self) -> None:
        self._closed = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
