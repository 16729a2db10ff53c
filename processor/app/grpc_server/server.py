"""The grpc.aio server: created inside the FastAPI lifespan, on the same event loop."""
from __future__ import annotations

from collections.abc import Sequence
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from shared.proto import communicator_pb2 as pb
from shared.proto import communicator_pb2_grpc as pb_grpc
from shared.utils.grpc_options import SERVER_OPTIONS

SERVICE_NAMES = (
    pb.DESCRIPTOR.services_by_name["OrderStreamingService"].full_name,
    pb.DESCRIPTOR.services_by_name["OrderNonStreamingService"].full_name,
)


class ProcessorGrpcServer:
    def __init__(
        self, streaming: pb_grpc.OrderStreamingServiceServicer, non_streaming: pb_grpc.OrderNonStreamingServiceServicer,
        *, host: str, port: int, max_workers: int,
        interceptors: Sequence[grpc.aio.ServerInterceptor] = (), credentials: grpc.ServerCredentials | None = None,
        health_port: int | None = None, reflection_served: bool = True,
    ) -> None:
        self.server = grpc.aio.server(
            migration_thread_pool=futures.ThreadPoolExecutor(max_workers=max_workers),
            interceptors=interceptors,
            options=SERVER_OPTIONS,
        )
        pb_grpc.add_OrderStreamingServiceServicer_to_server(streaming, self.server)
        pb_grpc.add_OrderNonStreamingServiceServicer_to_server(non_streaming, self.server)
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        if reflection_served:
            reflection.enable_server_reflection((*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME),
                                                self.server)
        address = f"{host}:{port}"
        self.tls = credentials is not None
        self.port = (self.server.add_secure_port(address, credentials) if credentials
                     else self.server.add_insecure_port(address))
        # Kubelet's native gRPC probe speaks plaintext only: with TLS on the API port, the health
        # service alone is also served on a plaintext port.
        self.health_server: grpc.aio.Server | None = None
        self.health_port: int | None = None
        if health_port is not None:
            self.health_server = grpc.aio.server(options=SERVER_OPTIONS)
            health_pb2_grpc.add_HealthServicer_to_server(self.health, self.health_server)
            self.health_port = self.health_server.add_insecure_port(f"{host}:{health_port}")

    async def start(self) -> None:
        await self.server.start()
        if self.health_server:
            await self.health_server.start()
        await self.set_serving(True)

    async def set_serving(self, serving: bool) -> None:
        """What gRPC health answers for the server and each service (NOT_SERVING: its database is away)."""
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ("", *SERVICE_NAMES):
            await self.health.set(name, status)

    async def stop(self, grace: float) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
        if self.health_server:
            await self.health_server.stop(0)
