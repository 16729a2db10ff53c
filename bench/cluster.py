"""`python -m bench.cluster` (`make bench BENCH_ARGS=--cluster`): P1 and P2 for one Processor and
one Requestor, then two of each, on PostgreSQL, in one run on this machine.

Each shape gets fresh databases on --postgres (created, then dropped) and the same broker. P1:
wrk's 32 connections split over the Processors, proposals spread over 50 orders initiated
alternately on the Requestors, measured from the first POST until the Requestors' database holds
every event. P2: proposals at a fixed rate, alternately to each Processor, each order's SSE
client on a Requestor in turn; answer → SSE. Only the ratio between the shapes means anything
here (one 2-core machine runs every process, the database and the load generator).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from bench import measure
from bench.run import FULL, QUICK, ROOT, STACK_ENV
from devtools.cluster import Cluster, launch_cluster
from devtools.local_broker import LocalBroker
from devtools.service_process import free_port
from shared.messaging.topics import Topic

SHAPES = ((1, 1), (2, 2))


@dataclass(frozen=True)
class Shape:
    cluster: Cluster
    processor_db: str
    requestor_db: str


async def held_at(shape: Shape, prefix: str, timeout: float = 300) -> float:
    target = await measure._sum_last_seq(shape.processor_db, prefix)
    deadline = time.monotonic() + timeout
    while await measure._sum_last_seq(shape.requestor_db, prefix) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the Requestors never held every event of {prefix}-*")
        await asyncio.sleep(0.02)
    return time.monotonic()


async def ingestion(shape: Shape, seconds: int) -> dict:
    processors = shape.cluster.processor_urls
    async with httpx.AsyncClient(timeout=30) as client:
        await measure.open_orders(client, shape.cluster.requestor_urls, "P1", measure.P1_ORDERS)
        started = time.monotonic()
        loads = await asyncio.gather(*(
            asyncio.to_thread(measure.wrk, f"{url}/api/v1/proposal-submissions", seconds, prefix="P1",
                              orders=measure.P1_ORDERS, connections=measure.WRK_CONNECTIONS // len(processors))
            for url in processors))
        held = await held_at(shape, "P1")
    ok = sum(load["ok"] for load in loads)
    return {"pipeline_per_second": round(ok / (held - started), 1), "proposals": ok,
            "refused": sum(load["non_2xx"] for load in loads),
            "answered_per_second": round(sum(load["per_second"] for load in loads), 1)}


async def latency(shape: Shape, rate: int, seconds: int) -> dict:
    processors, requestors = shape.cluster.processor_urls, shape.cluster.requestor_urls
    received: dict[str, float] = {}
    answered: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200)) as client:
        orders = await measure.open_orders(client, requestors, "P2", measure.P2_ORDERS)

        async def follow(n: int, order_id: str, connected: asyncio.Event) -> None:
            url = f"{requestors[n % len(requestors)]}/api/v1/orders/{order_id}/events"
            async with client.stream("GET", url, timeout=None) as events:
                connected.set()
                async for line in events.aiter_lines():
                    if line.startswith("data:") and '"ProposalSubmissions"' in line:
                        received.setdefault(json.loads(line[5:])["payload"]["proposal_id"], time.monotonic())

        connected = [asyncio.Event() for _ in orders]
        readers = [asyncio.create_task(follow(n, o, c)) for n, (o, c) in enumerate(zip(orders, connected, strict=True))]
        await asyncio.gather(*(c.wait() for c in connected))
        await asyncio.sleep(0.3)

        async def post(n: int) -> None:
            proposal_id = f"P2-{n}"
            body = {"OrderReqID": orders[n % len(orders)], "Seller": f"SELLER-{1 + n % 10:03d}",
                    "ProposalDictObj": {"ProposalID": proposal_id, "Price": 100.0 + n}}
            response = await client.post(f"{processors[n % len(processors)]}/api/v1/proposal-submissions", json=body)
            answered[proposal_id] = time.monotonic()
            response.raise_for_status()

        total = rate * seconds
        offered = await measure.open_loop(rate, seconds, post)
        deadline = time.monotonic() + 30
        while len(received) < total and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    delays = [max(0.0, received[p] - answered[p]) * 1000 for p in answered if p in received]
    return {"offered_per_second": round(offered, 1), "missing": total - len(delays),
            "answer_to_sse_ms": measure.percentiles(delays)}


async def database(server: str, name: str, *, create: bool) -> None:
    connection = await asyncpg.connect(f"{server}/postgres", timeout=5)
    try:
        statement = f'CREATE DATABASE "{name}"' if create else f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        await connection.execute(statement)
    finally:
        await connection.close()


async def measure_shape(processors: int, requestors: int, args: argparse.Namespace, broker: LocalBroker,
                        work: Path) -> dict:
    sizes = QUICK if args.quick else FULL
    names = [f"dcent_bench_{role}_{secrets.token_hex(4)}" for role in ("processor", "requestor")]
    for name in names:
        await database(args.postgres, name, create=True)
    url = args.postgres.replace("postgresql://", "postgresql+asyncpg://", 1)
    dbs = [f"{url}/{name}" for name in names]
    logs = work / f"{processors}x{requestors}"
    logs.mkdir()
    cluster = launch_cluster(dbs[0], dbs[1], broker.bootstrap, logs, processors=processors, requestors=requestors,
                             env=STACK_ENV)
    try:
        shape = Shape(cluster, *dbs)
        result = {"P1": await ingestion(shape, sizes.load_seconds),
                  "P2": await latency(shape, sizes.latency_rate, sizes.latency_seconds)}
    finally:
        cluster.stop()
        for name in names:
            await database(args.postgres, name, create=False)
    print(f"{processors}+{requestors} done", flush=True)
    return result


def report(results: dict) -> str:
    one, two = results["1+1"], results["2+2"]
    lines = [(f"Cluster benchmark ({results['mode']} mode, {results['started_at']}; {results['cpus']} CPUs, "
              f"PostgreSQL; {results['seconds']} s)"), "",
             "| Figure | 1 Processor + 1 Requestor | 2 + 2 | 2+2 / 1+1 |", "|---|---|---|---|"]
    p1 = (one["P1"]["pipeline_per_second"], two["P1"]["pipeline_per_second"])
    lines.append(f"| P1 proposals/s, POST → held by the Requestors | {p1[0]:,} | {p1[1]:,} | {p1[1] / p1[0]:.2f} |")
    for label, key in (("p50", "p50_ms"), ("p99", "p99_ms")):
        a, b = one["P2"]["answer_to_sse_ms"][key], two["P2"]["answer_to_sse_ms"][key]
        lines.append(f"| P2 answer → SSE {label} ms, {one['P2']['offered_per_second']:g} / "
                     f"{two['P2']['offered_per_second']:g} proposals/s offered | {a} | {b} | {b / a:.2f} |")
    return "\n".join(lines) + "\n"


DEFAULT_POSTGRES = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    await run(parser.parse_args())


async def run(args: argparse.Namespace) -> None:
    """args: quick, postgres (server URL, no database), out."""
    measure.require_wrk()
    results: dict = {"mode": "quick" if args.quick else "full", "cpus": os.cpu_count(),
                     "python": platform.python_version(),
                     "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dcent-bench-cluster-") as tmp:
        work = Path(tmp)
        broker = LocalBroker(free_port(), log_path=work / "tansu.log").start(topics=[t.value for t in Topic])
        try:
            for processors, requestors in SHAPES:
                results[f"{processors}+{requestors}"] = await measure_shape(processors, requestors, args, broker, work)
        finally:
            broker.stop()
    results["seconds"] = round(time.monotonic() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    text = report(results)
    (args.out / f"cluster-{results['mode']}.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / f"cluster-{results['mode']}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    asyncio.run(main())
