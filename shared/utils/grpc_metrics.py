"""gRPC calls served, by method and status code, and unary calls' latency: a grpc.aio interceptor
that counts in memory, exported by the service's /metrics (`families()`).

Outermost among the interceptors, so calls refused by authentication are counted too. Streams
are counted when they end (their duration is an order's life, not a latency).
"""
from __future__ import annotations

import bisect
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric

from shared.utils.metrics import LATENCY_BUCKETS


class GrpcServerMetrics(grpc.aio.ServerInterceptor):
    def __init__(self) -> None:
        self.handled: Counter[tuple[str, str]] = Counter()
        self._buckets: dict[str, list[int]] = {}
        self._sums: dict[str, float] = {}

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
                self._done(method, context)
                self._observe(method, time.perf_counter() - started)
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
                self._done(method, context)
        return counted

    def _done(self, method: str, context: grpc.aio.ServicerContext) -> None:
        code: Any = context.code()  # None until a status is set: the call ended OK
        self.handled[method, code.name if isinstance(code, grpc.StatusCode) else "OK"] += 1

    def _observe(self, method: str, seconds: float) -> None:
        buckets = self._buckets.setdefault(method, [0] * (len(LATENCY_BUCKETS) + 1))
        buckets[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self._sums[method] = self._sums.get(method, 0.0) + seconds

    def families(self) -> list[Metric]:
        handled = CounterMetricFamily("grpc_server_handled", "gRPC calls served, by method and status code",
                                      labels=["method", "code"])
        for (method, code), count in sorted(self.handled.items()):
            handled.add_metric([method, code], count)
        latency = HistogramMetricFamily("grpc_server_handling_seconds", "Unary gRPC calls' latency by method",
                                        labels=["method"])
        for method, counts in sorted(self._buckets.items()):
            cumulative, running = [], 0
            for bound, count in zip([*map(str, LATENCY_BUCKETS), "+Inf"], counts, strict=True):
                running += count
                cumulative.append((bound, running))
            latency.add_metric([method], cumulative, self._sums[method])
        return [handled, latency]
