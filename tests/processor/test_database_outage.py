"""PostgreSQL goes away under a running Processor: 503 with Retry-After, then service by itself."""
import asyncio

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.conftest import _run_admin, postgres_problem, processor_of


@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
async def test_database_outage_is_503_then_recovers(processor, db_backend):
    assert postgres_problem() is None
    url = processor_of(processor).engine.url
    database = url.database
    body = {"OrderReqID": "ORD-1", "Seller": "SELLER-001", "ProposalDictObj": {"ProposalID": "P-1", "Price": 1}}
    assert (await processor.http.post("/api/v1/proposal-submissions", json=body)).status_code == 404  # DB up: no order

    _run_admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
    _run_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'")
    try:
        down = await processor.http.post("/api/v1/proposal-submissions", json=body)
        assert down.status_code == 503 and down.headers["Retry-After"]
        assert down.json()["detail"]["reason"] == "the database is unavailable; retry shortly"
        assert (await processor.http.get("/ready")).status_code == 503
    finally:
        _run_admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
    assert (await processor.http.post("/api/v1/proposal-submissions", json=body)).status_code == 404
    assert (await processor.http.get("/ready")).status_code == 200


@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
async def test_grpc_health_is_not_serving_while_the_database_is_away_then_serving(start_processor, db_backend):
    """Issue 18: the Kubernetes gRPC probe (and any balancer) sees what /ready sees."""
    async for running in start_processor(health_check_seconds=0.2):
        container = processor_of(running)
        database = container.engine.url.database
        async with grpc.aio.insecure_channel(f"127.0.0.1:{container.grpc.port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)

            await status_becomes(health, health_pb2.HealthCheckResponse.SERVING)
            _run_admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
            _run_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'")
            try:
                await status_becomes(health, health_pb2.HealthCheckResponse.NOT_SERVING)
                assert (await running.http.get("/ready")).status_code == 503
            finally:
                _run_admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
            await status_becomes(health, health_pb2.HealthCheckResponse.SERVING)
            assert (await running.http.get("/ready")).status_code == 200


async def status_becomes(health: health_pb2_grpc.HealthStub, expected: int, within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while (await health.Check(health_pb2.HealthCheckRequest(service=""))).status != expected:
            await asyncio.sleep(0.05)
