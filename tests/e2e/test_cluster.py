"""Issue 16: two Processors and two Requestors on one PostgreSQL and one broker (real processes).

- orders initiated alternately on both Requestors, proposals posted alternately to both
  Processors with 32 in flight: both Requestors show every order the same — each proposal once,
  in seq order — and an SSE client on Requestor B receives live the proposals of orders A began;
- with the pollers slowed to a minute, a proposal posted to Processor B reaches an SSE client on
  Requestor A in milliseconds: wake-ups are pushed between replicas, not polled;
- each open order's stream is followed by exactly one Requestor, and both follow some.
"""
from __future__ import annotations

import asyncio
import json
import re
import secrets
import statistics
import time

import asyncpg
import httpx
import pytest

from devtools.cluster import launch_cluster
from requestor.app.services.stream_ownership import owner
from scripts.run_cluster import ensure_databases
from tests.conftest import PG_ADMIN_DSN, _run_admin
from tests.e2e.test_faults import post_until_accepted, proposal, proposal_id
from tests.e2e.topic_reader import TopicReader

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("db_backend")]

ORDERS = 20
PROPOSALS = 1000
IN_FLIGHT = 32
WAIT_SECONDS = 90


@pytest.fixture
def cluster(make_db_url, db_backend, tmp_path, kafka_broker):
    if db_backend != "postgresql":
        pytest.skip("replicas share a PostgreSQL database; SQLite is one process")
    # The pollers a minute apart: what arrives sooner was pushed.
    running = launch_cluster(make_db_url("processor"), make_db_url("requestor"), kafka_broker.bootstrap, tmp_path,
                             env={"STREAM_POLL_SECONDS": "60", "SSE_POLL_SECONDS": "60"})
    try:
        yield running
    finally:
        running.stop()


async def initiate(client: httpx.AsyncClient, requestor_url: str, order_id: str) -> None:
    response = await client.post(f"{requestor_url}/api/v1/initiate",
                                 json={"OrderReqId": order_id, "SessionID": "S-1", "Notification type": "GChat"})
    assert response.status_code == 202, response.text


async def view(client: httpx.AsyncClient, requestor_url: str, order_id: str) -> dict:
    response = await client.get(f"{requestor_url}/api/v1/orders/{order_id}?proposals_limit=1000")
    assert response.status_code == 200, response.text
    return response.json()


async def listen(client: httpx.AsyncClient, url: str, arrivals: dict[str, float], connected: asyncio.Event) -> None:
    """An SSE client: when each ProposalSubmissions event arrives."""
    async with client.stream("GET", url, timeout=None) as events:
        connected.set()
        async for line in events.aiter_lines():
            if line.startswith("data:") and '"ProposalSubmissions"' in line:
                arrivals.setdefault(json.loads(line[5:])["payload"]["proposal_id"], time.monotonic())


def proposals_of(order_view: dict) -> list[tuple[str, int]]:
    return [(p["ProposalID"], p["Revision"]) for p in order_view["Proposals"]]


async def test_two_by_two_replicas_show_every_proposal_once_in_order(cluster):
    requestors, processors = cluster.requestor_urls, cluster.processor_urls
    orders = [f"ORD-CL-{n:02d}" for n in range(ORDERS)]
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=100)) as client:
        await asyncio.gather(*(initiate(client, requestors[n % 2], order) for n, order in enumerate(orders)))

        # Requestor B (index 1) streams an order Requestor A (index 0) began.
        watched = orders[0]
        arrivals: dict[str, float] = {}
        connected = asyncio.Event()
        listener = asyncio.create_task(listen(
            client, f"{requestors[1]}/api/v1/orders/{watched}/events", arrivals, connected))
        try:
            await asyncio.wait_for(connected.wait(), 10)
            await asyncio.sleep(0.3)
            answered = await post_all(client, processors, orders)
            await wait_until_both_hold(client, requestors, orders)
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)

        expected = expected_ids(orders)
        for order in orders:
            a, b = await view(client, requestors[0], order), await view(client, requestors[1], order)
            assert a == b
            assert len({p for p, _ in proposals_of(a)}) == len(proposals_of(a)) == len(expected[order])
            timeline = [entry["Seq"] for entry in a["Timeline"]]
            assert timeline == sorted(timeline) and len(set(timeline)) == len(timeline)

        # Live on B for an order begun on A, pushed (the pollers are a minute apart).
        watched_ids = expected[watched]
        assert set(watched_ids) <= set(arrivals)
        delays = sorted(max(0.0, arrivals[p] - answered[p]) * 1000 for p in watched_ids)
        p50, p99 = statistics.median(delays), delays[max(0, int(len(delays) * 0.99) - 1)]
        print(f"\nproposal on either Processor → SSE on Requestor B: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
              f"({len(delays)} proposals)")
        assert p99 < 5000, "wake-ups were not pushed: the pollers run once a minute"

        # Quiet: one proposal at a time to Processor B, an SSE client on Requestor A.
        quiet = await pushed_latencies(client, processors[1], requestors[0], orders[1])
        print(f"one at a time, Processor B → SSE on Requestor A: p50 {quiet[0]:.1f} ms, p99 {quiet[1]:.1f} ms")
        assert quiet[1] < 1000, "wake-ups were not pushed: the pollers run once a minute"

        # Each open order is followed by exactly one Requestor, and both share the work.
        shares = await assert_each_order_followed_once(client, requestors, orders)
        print(f"streams followed per Requestor: {shares}")
        assert min(shares) > 0


async def following(client: httpx.AsyncClient, requestor_url: str) -> int:
    return (await share(client, requestor_url))[0]


async def share(client: httpx.AsyncClient, requestor_url: str) -> tuple[int, str]:
    """How many open orders the Requestor follows, and its replica id (its /ready says)."""
    readiness = (await client.get(f"{requestor_url}/ready")).json()
    found = re.search(r"following (\d+) open orders as replica (\w+)", readiness["checks"]["streams"])
    assert found, readiness
    return int(found.group(1)), found.group(2)


async def assert_each_order_followed_once(client: httpx.AsyncClient, requestors: list[str],
                                          orders: list[str]) -> list[int]:
    """Every replica follows exactly the orders the ownership rule gives it: together, each once."""
    shares = [await share(client, url) for url in requestors]
    replicas = [replica for _, replica in shares]
    owned = [sum(1 for order in orders if owner(order, replicas) == replica) for replica in replicas]
    assert [count for count, _ in shares] == owned and sum(owned) == len(orders)
    return owned


def expected_ids(orders: list[str]) -> dict[str, list[str]]:
    return {order: sorted(proposal_id(order, n) for n in range(PROPOSALS) if n % ORDERS == k)
            for k, order in enumerate(orders)}


async def post_all(client: httpx.AsyncClient, processors: list[str], orders: list[str],
                   answered: dict[str, float] | None = None) -> dict[str, float]:
    """Every proposal, alternately to each Processor, IN_FLIGHT at a time: when each was answered."""
    answered = {} if answered is None else answered
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def post(n: int) -> None:
        order = orders[n % ORDERS]
        async with slots:
            await post_until_accepted(client, f"{processors[n % 2]}/api/v1/proposal-submissions", proposal(order, n))
            answered[proposal_id(order, n)] = time.monotonic()

    await asyncio.gather(*(post(n) for n in range(PROPOSALS)))
    return answered


async def wait_until_both_hold(client: httpx.AsyncClient, requestors: list[str], orders: list[str]) -> None:
    expected = expected_ids(orders)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        views = await asyncio.gather(*(view(client, url, order) for url in requestors for order in orders))
        if all(sorted(p["ProposalID"] for p in v["Proposals"]) == expected[v["OrderReqID"]] for v in views):
            return
        assert time.monotonic() < deadline, "the buyer's views never held every proposal"
        await asyncio.sleep(0.5)


async def test_a_processor_and_a_requestor_killed_mid_load_lose_nothing(cluster, kafka_broker):
    """SIGKILL one Processor and one Requestor while proposals flow: every accepted proposal reaches
    both buyer views exactly once, the dead Requestor's orders are followed again within seconds
    (measured), ownership spreads again after the restart, and Kafka has every event in seq order."""
    requestors, processors = cluster.requestor_urls, cluster.processor_urls
    orders = [f"ORD-KL-{n:02d}" for n in range(ORDERS)]
    reader = TopicReader(kafka_broker.bootstrap)
    try:
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=100)) as client:
            await asyncio.gather(*(initiate(client, requestors[n % 2], order) for n, order in enumerate(orders)))
            answered: dict[str, float] = {}
            load = asyncio.create_task(post_all(client, processors, orders, answered))
            while len(answered) < PROPOSALS // 3:  # mid-load
                assert not load.done()
                await asyncio.sleep(0.01)

            # The first of each started first: it holds its service's outbox relay (and the sweeper).
            await asyncio.to_thread(cluster.processors[0].kill)
            await asyncio.to_thread(cluster.requestors[0].kill)
            killed_at = time.monotonic()
            while await following(client, requestors[1]) < ORDERS:  # the survivor takes the orphans
                assert time.monotonic() - killed_at < 30, "the dead Requestor's orders were never followed again"
                await asyncio.sleep(0.1)
            takeover = time.monotonic() - killed_at
            print(f"\nthe dead Requestor's orders followed again by the other after {takeover:.2f} s")

            await asyncio.to_thread(lambda: cluster.processors[0].start().wait_ready())
            await asyncio.to_thread(lambda: cluster.requestors[0].start().wait_ready())
            await load
            await wait_until_both_hold(client, requestors, orders)

            expected = expected_ids(orders)
            for order in orders:
                a, b = await view(client, requestors[0], order), await view(client, requestors[1], order)
                assert a == b
                assert len({p for p, _ in proposals_of(a)}) == len(proposals_of(a)) == len(expected[order])

            deadline = time.monotonic() + WAIT_SECONDS
            while True:  # the restarted Requestor gets its share back
                try:
                    shares = await assert_each_order_followed_once(client, requestors, orders)
                    break
                except AssertionError:
                    assert time.monotonic() < deadline, "ownership never spread again"
                    await asyncio.sleep(0.2)
            print(f"streams followed per Requestor after the restart: {shares}")
            assert min(shares) > 0
            assert takeover < 5.0

        for order in orders:  # Kafka: every proposal once (by event_id), per order in seq order
            for topic in ("SELLER_ACKNOWLEDGEMENTS", "BUYER_NOTIFY"):
                deadline = time.monotonic() + WAIT_SECONDS
                while True:
                    messages = [m for m in reader.of_order(order) if m.topic == topic
                                and m.event_type == "ProposalSubmissions"]
                    if len(messages) >= len(expected[order]) or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.2)
                seqs = [m.value["payload"]["seq"] for m in messages]
                assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), (topic, order)
                assert sorted(m.value["payload"]["proposal_id"] for m in messages) == expected[order], (topic, order)
    finally:
        reader.close()


async def pushed_latencies(client: httpx.AsyncClient, processor: str, requestor: str, order: str,
                           count: int = 50) -> tuple[float, float]:
    """p50 and p99 (ms) from a proposal's answer on `processor` to its arrival on `requestor`'s SSE."""
    arrivals: dict[str, float] = {}
    connected = asyncio.Event()
    listener = asyncio.create_task(listen(client, f"{requestor}/api/v1/orders/{order}/events", arrivals, connected))
    delays = []
    try:
        await asyncio.wait_for(connected.wait(), 10)
        await asyncio.sleep(0.3)
        for n in range(count):
            pid = f"{order}-QUIET-{n:03d}"
            body = {"OrderReqID": order, "Seller": "SELLER-001", "ProposalDictObj": {"ProposalID": pid, "Price": 1.0}}
            await post_until_accepted(client, f"{processor}/api/v1/proposal-submissions", body)
            answered = time.monotonic()
            async with asyncio.timeout(WAIT_SECONDS):
                while pid not in arrivals:
                    await asyncio.sleep(0.001)
            delays.append(max(0.0, arrivals[pid] - answered) * 1000)
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
    delays.sort()
    return statistics.median(delays), delays[max(0, int(len(delays) * 0.99) - 1)]


async def test_make_cluster_creates_its_databases_when_missing_and_keeps_them(db_backend):
    if db_backend != "postgresql":
        pytest.skip("make cluster runs on PostgreSQL")
    server = PG_ADMIN_DSN.rsplit("/", 1)[0]
    names = (f"dcent_cluster_{secrets.token_hex(4)}",)
    try:
        await ensure_databases(server, names)
        await ensure_databases(server, names)  # present: left as it is
        connection = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            assert await connection.fetchval("SELECT count(*) FROM pg_database WHERE datname = $1", names[0]) == 1
        finally:
            await connection.close()
    finally:
        _run_admin(f'DROP DATABASE IF EXISTS "{names[0]}"')
