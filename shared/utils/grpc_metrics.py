"""gRPC calls by method and status code, and unary calls' latency: grpc.aio interceptors that
count in memory, exported by the service's /metrics (`families()`). The Processor counts the
calls it serves (grpc_server_*), the Requestor the calls it makes (grpc_client_*), with one
bookkeeping (`GrpcCalls`).

The server's interceptor is outermost, so calls refused by authentication are counted too. Streams
are counted when they end, by their final code (their duration is an order's life, not a latency).
"""
from __future__ import annotations

import asyncio
import bisect
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric

from shared.utils.metrics import LATENCY_BUCKETS


class GrpcCalls:
    """One side's counts: `<prefix>_handled` by method and code, `<prefix>_handling_seconds` by method."""

    def __init__(self, prefix: str, handled_doc: str) -> None:
        self._prefix = prefix
        self._handled_doc = handled_doc
        self.handled: Counter[tuple[str, str]] = Counter()
        self._buckets: dict[str, list[int]] = {}
        self._sums: dict[str, float] = {}

    def ended(self, method: str, code: grpc.StatusCode | None, seconds: float | None = None) -> None:
        """A call ended with `code` (None: OK); `seconds` for a unary call's latency."""
        self.handled[method, code.name if code is not None else "OK"] += 1
        if seconds is not None:
            buckets = self._buckets.setdefault(method, [0] * (len(LATENCY_BUCKETS) + 1))
            buckets[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
            self._sums[method] = self._sums.get(method, 0.0) + seconds

    def families(self) -> list[Metric]:
        handled = CounterMetricFamily(f"{self._prefix}_handled", self._handled_doc, labels=["method", "code"])
        for (method, code), count in sorted(self.handled.items()):
            handled.add_metric([method, code], count)
        latency = HistogramMetricFamily(f"{self._prefix}_handling_seconds", "Unary gRPC calls' latency by method",
                                        labels=["method"])
        for method, counts in sorted(self._buckets.items()):
            cumulative, running = [], 0
            for bound, count in zip([*map(str, LATENCY_BUCKETS), "+Inf"], counts, strict=True):
                running += count
                cumulative.append((bound, running))
            latency.add_metric([method], cumulative, self._sums[method])
        return [handled, latency]


class GrpcServerMetrics(grpc.aio.ServerInterceptor):
    def __init__(self) -> None:
        self.calls = GrpcCalls("grpc_server", "gRPC calls served, by method and status code")

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None:
            return handler
        if handler.unary_unary is not None:
            return handler._replace(unary_unary=self._unary(method, handler.unary_unary))  # type: ignore[attr-defined]
        if handler.unary_stream is not None:
            return handler._replace(unary_stream=self._stream(method, handler.unary_stream))  # type: ignore[attr-defined]
        return handler

    def _unary(self, method: str, behaviour: Callable[..., Any]) -> Callable[..., Any]:
        async def counted(request: Any, context: grpc.aio.ServicerContext) -> Any:
            started = time.perf_counter()
            try:
                return await behaviour(request, context)
            finally:
                self.calls.ended(method, _code(context), time.perf_counter() - started)
        return counted

    def _stream(self, method: str, behaviour: Callable[..., Any]) -> Callable[..., Any]:
        async def counted(request: Any, context: grpc.aio.ServicerContext) -> Any:
            try:
                responses = behaviour(request, context)
                if hasattr(responses, "__aiter__"):  # an async generator, as our servicers are
                    async for response in responses:
                        yield response
                else:  # a coroutine that writes (or aborts) through the context, as a refusal does
                    await responses
            finally:
                self.calls.ended(method, _code(context))
        return counted

    def families(self) -> list[Metric]:
        return self.calls.families()


def _code(context: grpc.aio.ServicerContext) -> grpc.StatusCode | None:
    code: Any = context.code()  # None until a status is set: the call ended OK
    return code if isinstance(code, grpc.StatusCode) else None


class GrpcClientMetrics:
    """The calls a channel makes: give `interceptors()` to the channel (grpc.aio takes one
    interceptor object per call arity)."""

    def __init__(self) -> None:
        self.calls = GrpcCalls("grpc_client", "gRPC calls made, by method and status code")

    def interceptors(self) -> list[grpc.aio.ClientInterceptor]:
        return [_CountUnaryCalls(self.calls), _CountStreamCalls(self.calls)]

    def families(self) -> list[Metric]:
        return self.calls.families()


class _CountUnaryCalls(grpc.aio.UnaryUnaryClientInterceptor):
    def __init__(self, calls: GrpcCalls) -> None:
        self._calls = calls

    async def intercept_unary_unary(self, continuation: Any, client_call_details: grpc.aio.ClientCallDetails,
                                    request: Any) -> Any:
        started = time.perf_counter()
        call = await continuation(client_call_details, request)
        _count_when_ended(self._calls, client_call_details, call, started)
        return call


class _CountStreamCalls(grpc.aio.UnaryStreamClientInterceptor):
    def __init__(self, calls: GrpcCalls) -> None:
        self._calls = calls

    async def intercept_unary_stream(self, continuation: Any, client_call_details: grpc.aio.ClientCallDetails,
                                     request: Any) -> Any:
        call = await continuation(client_call_details, request)
        _count_when_ended(self._calls, client_call_details, call, started=None)
        return call


def _count_when_ended(calls: GrpcCalls, details: grpc.aio.ClientCallDetails, call: grpc.aio.Call,
                      started: float | None) -> None:
    """Counted however the call ends: answered, refused, cancelled by its caller, or dropped (a
    stream its reader left, cancelled when the channel closes)."""
    raw: str | bytes = details.method  # bytes at run time, whatever the stubs say
    method = raw.decode() if isinstance(raw, bytes) else raw

    def ended(done: grpc.aio.Call) -> None:
        seconds = None if started is None else time.perf_counter() - started
        # The code is set by now, but only a coroutine reads it: one step of a task.
        code = asyncio.ensure_future(done.code())
        code.add_done_callback(lambda read: calls.ended(
            method, grpc.StatusCode.CANCELLED if read.cancelled() or read.exception() else read.result(), seconds))

    call.add_done_callback(ended)
