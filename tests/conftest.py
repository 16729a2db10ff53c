"""Fixtures shared by every suite: databases on both backends, in-process services."""
from __future__ import annotations

import asyncio
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import asyncpg
import grpc
import httpx
import pytest
from fastapi import FastAPI

from devtools.local_broker import LocalBroker
from devtools.service_process import free_port
from processor.app.config import ProcessorSettings
from processor.app.container import Processor
from processor.app.factory import create_app as create_processor_app
from requestor.app.config import RequestorSettings
from requestor.app.container import Requestor
from requestor.app.factory import create_app as create_requestor_app

PG_ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _run_admin(sql: str) -> None:
    """Run one statement on the PostgreSQL admin database, whatever loop the caller is in."""
    async def _go() -> None:
        connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _go()).result()


@lru_cache
def postgres_problem() -> str | None:
    try:
        _run_admin("SELECT 1")
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means: no usable PostgreSQL here
        return f"{type(exc).__name__}: {exc}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_backend(request) -> str:
    if request.param == "postgresql" and (problem := postgres_problem()):
        message = f"PostgreSQL at {PG_ADMIN_DSN} does not answer ({problem})"
        if IN_CI:
            pytest.fail(message + " — CI=true requires it")
        pytest.skip(message)
    return request.param


@pytest.fixture
def make_db_url(db_backend, tmp_path):
    """make_db_url("processor") → a fresh, empty database URL on the test's backend."""
    created: list[str] = []

    def make(name: str) -> str:
        if db_backend == "sqlite":
            return f"sqlite+aiosqlite:///{tmp_path / name}.db"
        database = f"dcent_{name}_{uuid.uuid4().hex[:12]}"
        _run_admin(f'CREATE DATABASE "{database}"')
        created.append(database)
        return PG_ADMIN_DSN.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0] + f"/{database}"

    yield make
    for database in created:
        _run_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


# --- Kafka ----------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory):
    """One Tansu broker on a free loopback port for the whole run (tests filter by order id)."""
    broker = LocalBroker(free_port(), log_path=tmp_path_factory.mktemp("kafka") / "tansu.log").start()
    yield broker
    broker.stop()


# --- in-process services ------------------------------------------------------------------------

@dataclass
class Running:
    app: FastAPI
    http: httpx.AsyncClient


def processor_settings(database_url: str, **overrides) -> ProcessorSettings:
    values = {
        "database_url": database_url, "grpc_server_port": 0, "expiry_check_seconds": 0.2,
        "stream_poll_seconds": 0.5, "grpc_grace_seconds": 0.5, "kafka_enabled": False,
    }
    return ProcessorSettings(_env_file=None, **{**values, **overrides})


def requestor_settings(database_url: str, grpc_port: int, **overrides) -> RequestorSettings:
    values = {"database_url": database_url, "processor_grpc_target": f"127.0.0.1:{grpc_port}", "kafka_enabled": False}
    return RequestorSettings(_env_file=None, **{**values, **overrides})


async def _serve(app: FastAPI, base_url: str):
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url) as http,
    ):
        yield Running(app, http)


@pytest.fixture
def start_processor(make_db_url):
    """Start a Processor in this loop: REST through ASGI, gRPC on a real port chosen by the OS."""
    url = make_db_url("processor")

    def start(**overrides):
        return _serve(create_processor_app(processor_settings(url, **overrides)), "http://processor")

    return start


@pytest.fixture
async def processor(start_processor):
    async for running in start_processor():
        yield running


def processor_of(running: Running) -> Processor:
    return running.app.state.processor


def requestor_of(running: Running) -> Requestor:
    return running.app.state.requestor


@pytest.fixture
def start_requestor(make_db_url):
    url = make_db_url("requestor")

    def start(grpc_port: int, **overrides):
        return _serve(create_requestor_app(requestor_settings(url, grpc_port, **overrides)), "http://requestor")

    return start


@pytest.fixture
async def requestor(start_requestor, processor):
    async for running in start_requestor(processor_of(processor).grpc.port):
        yield running


@pytest.fixture
async def grpc_channel(processor):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{processor_of(processor).grpc.port}") as channel:
        yield channel


@pytest.fixture
def fake_google():
    from tests.fakes.google import start_fake_google

    fake, server = start_fake_google()
    yield fake
    server.shutdown()


# --- time limits --------------------------------------------------------------------------------

E2E_TIMEOUT_SECONDS = 300  # real processes on a loaded 2-core machine; the default (pyproject) is 60


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("e2e") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(E2E_TIMEOUT_SECONDS))
