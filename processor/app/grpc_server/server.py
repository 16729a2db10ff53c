"""The grpc.aio server: created inside the FastAPI lifespan, on the same event loop."""
from __future__ import annotations

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
    def __init__(self, streaming, non_streaming, *, host: str, port: int, max_workers: int) -> None:
        self.server = grpc.aio.server(
            migration_thread_pool=futures.ThreadPoolExecutor(max_workers=max_workers),
            options=SERVER_OPTIONS,
        )
        pb_grpc.add_OrderStreamingServiceServicer_to_server(streaming, self.server)
        pb_grpc.add_OrderNonStreamingServiceServicer_to_server(non_streaming, self.server)
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection((*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), self.server)
        self.port = self.server.add_insecure_port(f"{host}:{port}")

    async def start(self) -> None:
        await self.server.start()
        for name in ("", *SERVICE_NAMES):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self, grace: float) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
