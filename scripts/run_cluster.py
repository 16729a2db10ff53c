"""`make cluster` (`python -m scripts.run_cluster`): Kafka (local Tansu), two Processors and two
Requestors on one PostgreSQL; Ctrl-C stops all.

Processors on HTTP 8001 and 8002 (gRPC 50051 and 50052), Requestors on HTTP 8000 and 8010, each
Requestor reaching both Processors round-robin. The databases `dcent_processor` and
`dcent_requestor` are created on CLUSTER_POSTGRES (postgresql://postgres@127.0.0.1:5432) when
missing. `make run` stays the one-process embedded default.
"""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import asyncpg

from devtools.cluster import launch_cluster
from scripts.run_stack import Stack, local_broker, parse_arguments, supervise

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("CLUSTER_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DATABASES = ("dcent_processor", "dcent_requestor")


async def ensure_databases(server: str, names: tuple[str, ...]) -> None:
    connection = await asyncpg.connect(f"{server}/postgres", timeout=5)
    try:
        existing = {row["datname"] for row in await connection.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                await connection.execute(f'CREATE DATABASE "{name}"')
                print(f"created database {name}", flush=True)
    finally:
        await connection.close()


def main() -> int:
    parse_arguments(__doc__)
    asyncio.run(ensure_databases(POSTGRES, DATABASES))
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM while starting: as Ctrl-C
    stack = Stack(local_broker())
    (logs := ROOT / "var").mkdir(exist_ok=True)
    url = POSTGRES.replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        cluster = launch_cluster(
            f"{url}/{DATABASES[0]}", f"{url}/{DATABASES[1]}", stack.kafka, logs,
            http_ports=([8001, 8002], [8000, 8010]), grpc_ports=[50051, 50052], env={"LOG_LEVEL": "INFO"},
        )
    except BaseException:
        stack.stop()
        raise
    stack.services += [*cluster.processors, *cluster.requestors]
    return supervise(stack, (
        "\ndCent Communicator cluster is up (logs in var/):\n"
        "  Buyer pages  http://127.0.0.1:8000/  http://127.0.0.1:8010/\n"
        "  Processors   http://127.0.0.1:8001/docs  http://127.0.0.1:8002/docs  (gRPC 50051, 50052)\n"
        f"  PostgreSQL   {POSTGRES}/{{{','.join(DATABASES)}}}   Kafka {stack.kafka or 'off'}\n"
        "Ctrl-C stops them all.\n"
    ))


if __name__ == "__main__":
    sys.exit(main())
