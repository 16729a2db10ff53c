"""`make bench`: P1–P4 beside their bare baselines, all measured in one run on this machine.

    python -m bench.run [--quick] [--out bench/results] [--processor-db URL --requestor-db URL]
    python -m bench.run --cluster [--quick] [--postgres postgresql://postgres@127.0.0.1:5432]

Starts what it needs on free ports — a Tansu broker, the Processor and the Requestor (SQLite in a
temporary directory unless URLs are given), a bare FastAPI endpoint and a bare grpc.aio
streaming server — and prints a Markdown table, also written as JSON and Markdown under --out.
The load generator is wrk (Debian; `scripts/ensure_debian_tool.sh wrk`), one thread, 32
keep-alive connections; its own ceiling on a trivial GET is measured first and reported.
Every figure is a ratio or a distribution from this run: absolute numbers on a shared 2-core
machine mean little on their own. Method and findings: docs/performance.md.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import measure
from bench.report import write_report
from devtools.local_broker import LocalBroker
from devtools.service_process import ServiceProcess, free_port, launch_stack
from shared.messaging.topics import Topic

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sizes:
    load_seconds: int          # each wrk run (P1)
    latency_seconds: int       # P2 at a fixed rate
    latency_rate: int          # proposals/s offered in P2
    streams: tuple[int, ...]   # P3: open orders with live streams (cumulative)
    sellers: int               # P4
    selections: int            # P4


QUICK = Sizes(load_seconds=2, latency_seconds=2, latency_rate=200, streams=(200,), sellers=5_000, selections=50)
FULL = Sizes(load_seconds=10, latency_seconds=10, latency_rate=200, streams=(1_000, 5_000, 10_000),
             sellers=100_000, selections=200)

# The services as they run in production, minus noise: no per-request logs, Kafka on. P2 posts
# 2,000 proposals from 10 sellers to a few orders: past MAX_PROPOSAL_REVISIONS' 100 per seller
# and order, which bounds a real seller, not a benchmark.
STACK_ENV = {"LOG_LEVEL": "WARNING", "OUTBOX_POLL_SECONDS": "1.0", "KAFKA_REQUEST_TIMEOUT_MS": "10000",
             "MAX_PROPOSAL_REVISIONS": "1000000"}


def bare_http(logs: Path) -> ServiceProcess:
    port = free_port()
    return ServiceProcess("bare-http", [sys.executable, "-m", "bench.bare_http", str(port)], env={},
                          ready_url=f"http://127.0.0.1:{port}/health", log_path=logs / "bare-http.log")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds: every figure, small sizes (CI smoke test)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--processor-db", default="")
    parser.add_argument("--requestor-db", default="")
    parser.add_argument("--only", default="P1,P2,P3,P4", help="comma-separated subset, e.g. P1,P2")
    parser.add_argument("--cluster", action="store_true",
                        help="P1 and P2 for 1+1 and 2+2 replicas on PostgreSQL instead (bench/cluster.py)")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432",
                        help="with --cluster: the PostgreSQL server (scratch databases are created and dropped)")
    args = parser.parse_args()
    if args.cluster:
        from bench import cluster  # imports this module's sizes and settings

        await cluster.run(args)
        return
    sizes = QUICK if args.quick else FULL
    measure.require_wrk()

    with tempfile.TemporaryDirectory(prefix="dcent-bench-") as tmp:
        work = Path(tmp)
        broker = LocalBroker(free_port(), log_path=work / "tansu.log").start(topics=[t.value for t in Topic])
        processor_db = args.processor_db or f"sqlite+aiosqlite:///{work}/processor.db"
        requestor_db = args.requestor_db or f"sqlite+aiosqlite:///{work}/requestor.db"
        stack = launch_stack(processor_db, requestor_db, broker.bootstrap, work, env=STACK_ENV)
        bare = bare_http(work).start().wait_ready()
        results: dict = {
            "mode": "quick" if args.quick else "full",
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                        "database": "PostgreSQL" if "postgresql" in processor_db else "SQLite"},
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        try:
            started = time.monotonic()
            chosen = {name.strip().upper() for name in args.only.split(",")}
            steps = {
                "P1": lambda: measure.ingestion(stack, bare.ready_url.removesuffix("/health"), sizes.load_seconds),
                "P2": lambda: measure.latency(stack, sizes.latency_rate, sizes.latency_seconds),
                "P3": lambda: measure.streams(stack, work, sizes.streams),
                "P4": lambda: measure.selection(sizes.sellers, sizes.selections, work),
            }
            for name, step in steps.items():
                if name in chosen:
                    results[name] = await step()
                    print(f"{name} done", flush=True)
            results["seconds"] = round(time.monotonic() - started, 1)
        except BaseException:
            for service in (stack.processor, stack.requestor):
                print(f"--- {service.name} log ---\n{service.log_tail(60)}", file=sys.stderr)
            raise
        finally:
            bare.stop()
            stack.stop()
            broker.stop()
    markdown = write_report(results, args.out)
    print(markdown)


if __name__ == "__main__":
    asyncio.run(main())
