"""The four measurements, each beside its baseline from the same run."""
from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench import bare_grpc
from devtools.service_process import ServiceProcess, Stack, free_port
from shared.proto import communicator_pb2 as pb
from shared.proto import communicator_pb2_grpc as pb_grpc
from shared.utils.grpc_options import CLIENT_OPTIONS

WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_load.lua"
WRK_CONNECTIONS = 32
P1_ORDERS = 50
P2_ORDERS = 10
INITIATE_CONCURRENCY = 16
POST_CONCURRENCY = 64
RETRIED_503 = [0]  # initiations answered 503 and retried (reported with P3)


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: scripts/ensure_debian_tool.sh wrk (or apt-get install wrk)")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def percentiles(values_ms: list[float]) -> dict:
    ordered = sorted(values_ms)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]

    return {"count": len(ordered), "p50_ms": round(statistics.median(ordered), 2), "p90_ms": round(pick(0.90), 2),
            "p99_ms": round(pick(0.99), 2), "max_ms": round(ordered[-1], 2)}


# --- load generation -----------------------------------------------------------------------------

def wrk(
    url: str, seconds: int, *, mode: str = "proposal", prefix: str = "BENCH", orders: int = 1, limit: int = 0,
    connections: int = WRK_CONNECTIONS,
) -> dict:
    env = {**os.environ, "WRK_MODE": mode, "WRK_PREFIX": prefix, "WRK_ORDERS": str(orders), "WRK_LIMIT": str(limit),
           "WRK_RUN": uuid.uuid4().hex[:8]}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(WRK_SCRIPT), url],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    output = []
    for line in process.stdout:
        output.append(line)
        if line.startswith("WRK_LIMIT_REACHED"):
            process.send_signal(signal.SIGINT)  # wrk then reports and runs done() as at -d
    stdout, stderr = "".join(output), process.stderr.read()
    if process.wait() != 0:
        raise RuntimeError(f"wrk failed:\n{stdout}\n{stderr}")
    match = re.search(r"^WRK_RESULT (\{.*\})$", stdout, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{stdout}\n{stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(match.group(1))
    # The load generator's own CPU: well under one core means it is not what limits the figure.
    result["wrk_cpu_share"] = round((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
                                    / (result["duration_us"] / 1e6), 3)
    result["seconds"] = result["duration_us"] / 1e6
    result["ok"] = result["requests"] - result["non_2xx"]
    result["per_second"] = round(result["ok"] / result["seconds"], 1)
    return result


async def open_orders(client: httpx.AsyncClient, requestor_urls: list[str], prefix: str, count: int,
                      first: int = 0) -> list[str]:
    """Initiate orders through the Requestors, one after another in turn (each opens its streams)."""
    ids = [f"{prefix}-{n}" for n in range(first, first + count)]
    slots = asyncio.Semaphore(INITIATE_CONCURRENCY)

    async def initiate(n: int, order_id: str) -> None:
        requestor_url = requestor_urls[n % len(requestor_urls)]
        async with slots:
            for _attempt in range(5):  # as a client should: a 503 says when to come back
                response = await client.post(f"{requestor_url}/api/v1/initiate", json={
                    "OrderReqId": order_id, "SessionID": "BENCH", "Notification type": "GChat", "ExpiryMinutes": 600})
                if response.status_code != 503:
                    break
                RETRIED_503[0] += 1
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
            response.raise_for_status()

    await asyncio.gather(*(initiate(n, o) for n, o in enumerate(ids)))
    return ids


async def open_loop(rate: int, seconds: int, post: Callable[[int], Awaitable[None]]) -> float:
    """`post(n)` for n in range(rate × seconds) on a fixed schedule that does not wait for answers
    (an open loop); returns the rate actually offered once every post is answered."""
    total, posts, started = rate * seconds, [], time.monotonic()
    for n in range(total):
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        posts.append(asyncio.create_task(post(n)))
    offered = total / (time.monotonic() - started)
    await asyncio.gather(*posts)
    return offered


async def _sum_last_seq(database_url: str, prefix: str) -> int:
    """Sum of `last_seq` over a service's orders named <prefix>-*, read from its database."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(
                text("SELECT COALESCE(SUM(last_seq), 0) FROM orders WHERE order_req_id LIKE :pattern"),
                {"pattern": f"{prefix}-%"},
            )).scalar_one()
    finally:
        await engine.dispose()


async def wait_until_held(stack: Stack, prefix: str, timeout: float = 300) -> float:
    """The moment the Requestor has committed every event the Processor logged for <prefix>-*.

    Both are read with one query on each service's database, not through their APIs: listing
    10,000 orders page by page competed with the Requestor for the CPU it was being timed on.
    """
    target = await _sum_last_seq(stack.processor.env["DATABASE_URL"], prefix)
    deadline = time.monotonic() + timeout
    while (held := await _sum_last_seq(stack.requestor.env["DATABASE_URL"], prefix)) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the Requestor holds {held} of {target} events of {prefix}-*")
        await asyncio.sleep(0.02)
    return time.monotonic()


# --- P1 ingestion --------------------------------------------------------------------------------

async def ingestion(stack: Stack, bare_url: str, seconds: int) -> dict:
    ceiling = await asyncio.to_thread(wrk, f"{bare_url}/health", seconds, mode="get")
    bare = await asyncio.to_thread(wrk, f"{bare_url}/api/v1/proposal-submissions", seconds, orders=P1_ORDERS)
    async with httpx.AsyncClient(timeout=30) as client:
        await open_orders(client, [stack.requestor_url], "P1", P1_ORDERS)
        started = time.monotonic()
        load = await asyncio.to_thread(wrk, f"{stack.processor_url}/api/v1/proposal-submissions", seconds,
                                       prefix="P1", orders=P1_ORDERS)
        answered = time.monotonic()
        held = await wait_until_held(stack, "P1")
    pipeline = load["ok"] / (held - started)
    return {
        "loadgen_ceiling_per_second": ceiling["per_second"],
        "wrk_cpu_share": {"bare": bare["wrk_cpu_share"], "processor": load["wrk_cpu_share"]},
        "bare_per_second": bare["per_second"],
        "processor_answered_per_second": load["per_second"],
        "pipeline_per_second": round(pipeline, 1),
        "ratio": round(pipeline / bare["per_second"], 3),
        "refused": load["non_2xx"],
        "proposals": load["ok"],
        "drain_seconds_after_load": round(held - answered, 2),
        "wrk_p99_ms": {"bare": bare["p99_us"] / 1000, "processor": load["p99_us"] / 1000},
        "goal": ">= 0.5",
    }


# --- P2 latency ----------------------------------------------------------------------------------

async def latency(stack: Stack, rate: int, seconds: int) -> dict:
    received: dict[str, float] = {}
    streamed: dict[str, float] = {}  # when the Processor's stream carried it (a tap beside the Requestor's)
    answered: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200)) as client, \
            grpc.aio.insecure_channel(f"127.0.0.1:{stack.grpc_port}", options=CLIENT_OPTIONS) as channel:
        orders = await open_orders(client, [stack.requestor_url], "P2", P2_ORDERS)
        stub = pb_grpc.OrderStreamingServiceStub(channel)

        async def tap(order_id: str) -> None:
            async for message in stub.ProcessOrderStream(pb.OrderStreamRequest(order_req_id=order_id)):
                if message.HasField("proposal"):
                    streamed.setdefault(message.proposal.proposal_id, time.monotonic())

        async def follow(order_id: str, connected: asyncio.Event) -> None:
            async with client.stream("GET", f"{stack.requestor_url}/api/v1/orders/{order_id}/events",
                                     timeout=None) as events:
                connected.set()
                async for line in events.aiter_lines():
                    if line.startswith("data:") and '"ProposalSubmissions"' in line:
                        received.setdefault(json.loads(line[5:])["payload"]["proposal_id"], time.monotonic())

        connected = [asyncio.Event() for _ in orders]
        readers = [asyncio.create_task(follow(o, c)) for o, c in zip(orders, connected, strict=True)]
        readers += [asyncio.create_task(tap(o)) for o in orders]
        await asyncio.gather(*(c.wait() for c in connected))
        await asyncio.sleep(0.3)

        transport_retries = 0

        async def post(n: int) -> None:
            nonlocal transport_retries
            proposal_id = f"P2-{n}"
            body = {"OrderReqID": orders[n % len(orders)], "Seller": f"SELLER-{1 + n % 10:03d}",
                    "ProposalDictObj": {"ProposalID": proposal_id, "Price": 100.0 + n}}
            for attempt in range(3):  # a connection the server closed as we reused it: send again
                try:
                    response = await client.post(f"{stack.processor_url}/api/v1/proposal-submissions", json=body)
                    break
                except httpx.TransportError:
                    transport_retries += 1
                    if attempt == 2:
                        raise
            answered[proposal_id] = time.monotonic()
            response.raise_for_status()

        total, started = rate * seconds, time.monotonic()
        offered = await open_loop(rate, seconds, post)
        answered_rate = total / (time.monotonic() - started)
        deadline = time.monotonic() + 30
        while len(received) < total and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    # An SSE event can beat the seller's answer to the client; that counts as 0.
    delays = [max(0.0, received[p] - answered[p]) * 1000 for p in answered if p in received]
    # Where the time goes: the Processor's side (answer → its stream) and the Requestor's (stream → SSE).
    to_stream = [max(0.0, streamed[p] - answered[p]) * 1000 for p in answered if p in streamed]
    stream_to_sse = [max(0.0, received[p] - streamed[p]) * 1000 for p in received if p in streamed]
    return {"offered_per_second": round(offered, 1), "answered_per_second": round(answered_rate, 1),
            "missing": total - len(delays),
            "answer_to_sse_ms": percentiles(delays), "answer_to_processor_stream_ms": percentiles(to_stream),
            "processor_stream_to_sse_ms": percentiles(stream_to_sse), "goal": "p99 < 15 ms"}


# --- P3 streams ----------------------------------------------------------------------------------

async def streams(stack: Stack, work: Path, sizes: tuple[int, ...]) -> dict:
    ours = await _our_streams(stack, sizes)
    return {"ours": ours, "bare": await _bare_streams(work, sizes), "initiations_retried_after_503": RETRIED_503[0],
            "goal": "10,000 streams; memory <= 1.25x bare; fan-out <= 1.5x bare"}


def _processes(stack: Stack) -> tuple[int, int]:
    return stack.processor.process.pid, stack.requestor.process.pid


async def _our_streams(stack: Stack, sizes: tuple[int, ...]) -> list[dict]:
    rows, opened = [], 0
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=POST_CONCURRENCY)) as client:
        processor_pid, requestor_pid = _processes(stack)
        await asyncio.sleep(1.0)
        base = rss_kib(processor_pid), rss_kib(requestor_pid)
        for size in sizes:
            opening = time.monotonic()
            await open_orders(client, [stack.requestor_url], "P3", size - opened, first=opened)
            initiated_per_second = (size - opened) / (time.monotonic() - opening)
            opened = size
            await asyncio.sleep(2.0)  # idle: initial events delivered, nothing moving
            now = rss_kib(processor_pid), rss_kib(requestor_pid)
            # One event for every order: a proposal each, sent by wrk (an asyncio client sending
            # 10,000 POSTs was itself the limit), exactly `size` of them, then it stops.
            started = time.monotonic()
            sent = await asyncio.to_thread(wrk, f"{stack.processor_url}/api/v1/proposal-submissions", 600,
                                           prefix="P3", orders=size, limit=size)
            answered = time.monotonic()
            if sent["non_2xx"]:
                raise RuntimeError(f"{sent['non_2xx']} of the P3 proposals were refused")
            held = await wait_until_held(stack, "P3")
            rows.append({
                "streams": size,
                "initiated_per_second": round(initiated_per_second, 1),
                "processor_kib_per_stream": round((now[0] - base[0]) / size, 2),
                "requestor_kib_per_stream": round((now[1] - base[1]) / size, 2),
                "both_kib_per_stream": round((sum(now) - sum(base)) / size, 2),
                "fanout_seconds": round(held - started, 3),
                "of_which_after_last_answer": round(held - answered, 3),
            })
    return rows


async def _bare_streams(work: Path, sizes: tuple[int, ...]) -> list[dict]:
    port = free_port()
    server = ServiceProcess("bare-grpc", [sys.executable, "-m", "bench.bare_grpc", str(port)], env={},
                            ready_url="", log_path=work / "bare-grpc.log").start()
    rows, calls, inbox = [], [], asyncio.Queue()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=CLIENT_OPTIONS) as channel:
            await asyncio.wait_for(channel.channel_ready(), 10)
            subscribe = channel.unary_stream(bare_grpc.SUBSCRIBE)
            broadcast = channel.unary_unary(bare_grpc.BROADCAST)
            count = channel.unary_unary(bare_grpc.COUNT)
            await asyncio.sleep(0.5)
            base = rss_kib(server.process.pid), rss_kib(os.getpid())

            async def listen() -> None:
                call = subscribe(b"")
                calls.append(call)
                async for message in call:
                    inbox.put_nowait(message)

            tasks = []
            for size in sizes:
                # Opened 500 at a time (ours open one per initiate): thousands requested at once on
                # one channel stall at ~4,000 here.
                while len(tasks) < size:
                    tasks += [asyncio.create_task(listen()) for _ in range(min(500, size - len(tasks)))]
                    while int(await count(b"")) < len(tasks):  # every stream open on the server
                        await asyncio.sleep(0.05)
                await asyncio.sleep(2.0)  # idle, as ours
                now = rss_kib(server.process.pid), rss_kib(os.getpid())
                started = time.monotonic()
                await broadcast(b"x" * 64)
                for _ in range(size):
                    await inbox.get()
                rows.append({
                    "streams": size,
                    "server_kib_per_stream": round((now[0] - base[0]) / size, 2),
                    "client_kib_per_stream": round((now[1] - base[1]) / size, 2),
                    "both_kib_per_stream": round((sum(now) - sum(base)) / size, 2),
                    "fanout_seconds": round(time.monotonic() - started, 3),
                })
            for call in calls:
                call.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        server.stop()
    return rows


# --- P4 selection --------------------------------------------------------------------------------

async def selection(sellers: int, orders: int, work: Path) -> dict:
    from bench.selection import run

    result = await run(f"sqlite+aiosqlite:///{work}/sellers.db", sellers, orders, radius_km=200, candidates=20)
    return {"sellers": sellers, "orders": orders, **{k: round(v, 2) for k, v in result.items()}, "goal": "p99 < 20 ms"}
