"""A population of simulated sellers: they quote, answer follow-ups, and sometimes revise.

    dcent-simulator [--processor http://127.0.0.1:8001] [--kafka 127.0.0.1:9092 | --no-kafka]
                    [--min-delay 0.5] [--max-delay 3] [--duration SECONDS]

Invitations and buyer follow-ups come from the SELLER_NOTIFY topic (each message names its
seller); with --no-kafka, the simulator polls every seller's invitations on the Processor's REST
instead (and does not see follow-ups). Each invited seller posts a proposal after a random
delay; a third of them then take the edit lock, lower their price, and release it; a buyer
follow-up gets an answer. Everything goes through the Processor's public REST API.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.telemetry.tracing import SpanKind, configure_tracing, continued_span

log = logging.getLogger("simulator")


class SellerSimulator:
    def __init__(self, processor_url: str, *, min_delay: float, max_delay: float, seed: int | None = None) -> None:
        self._http = httpx.AsyncClient(base_url=processor_url, timeout=10)
        self._min, self._max = min_delay, max_delay
        self._rng = random.Random(seed)
        self._seen: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task] = set()
        self.proposals = 0

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def invited(self, order_req_id: str, seller_id: str) -> None:
        if (order_req_id, seller_id) not in self._seen:
            self._seen.add((order_req_id, seller_id))
            self._spawn(self._quote(order_req_id, seller_id))

    def asked(self, order_req_id: str, seller_id: str, message: str) -> None:
        self._spawn(self._answer(order_req_id, seller_id, message))

    async def _pause(self) -> None:
        await asyncio.sleep(self._rng.uniform(self._min, self._max))

    async def _quote(self, order_req_id: str, seller_id: str) -> None:
        await self._pause()
        proposal_id = f"{order_req_id}-{seller_id}"
        price = round(self._rng.uniform(500, 2000), 2)
        delivery = (datetime.now(UTC) + timedelta(days=self._rng.randint(3, 30))).strftime("%Y-%m-%dT00:00:00Z")
        offer = {"ProposalID": proposal_id, "Price": price, "DeliveryDate": delivery, "Simulated": True}
        body = {"OrderReqID": order_req_id, "Seller": seller_id, "ProposalDictObj": offer}
        response = await self._http.post("/api/v1/proposal-submissions", json=body)
        if response.status_code >= 300:
            log.info("%s could not quote for %s: %s", seller_id, order_req_id, response.text)
            return
        self.proposals += 1
        if self._rng.random() < 1 / 3:
            await self._revise(order_req_id, seller_id, offer)

    async def _revise(self, order_req_id: str, seller_id: str, offer: dict) -> None:
        await self._pause()
        lock = {"OrderReqID": order_req_id, "ProposalID": offer["ProposalID"], "Seller": seller_id, "LockSeconds": 60}
        taken = await self._http.post("/api/v1/edit-lock", json=lock)
        if taken.status_code != 200:
            return
        token = taken.json()["LockToken"]
        await self._pause()
        revised = {**offer, "Price": round(offer["Price"] * 0.95, 2)}
        await self._http.post("/api/v1/proposal-submissions", json={
            "OrderReqID": order_req_id, "Seller": seller_id, "ProposalDictObj": revised, "LockToken": token})
        await self._http.post("/api/v1/edit-lock", json={**lock, "Action": "unlock", "LockToken": token})

    async def _answer(self, order_req_id: str, seller_id: str, question: str) -> None:
        await self._pause()
        answer = f"Re: {question[:80]} — yes, we can do that."
        await self._http.post("/api/v1/followup", json={
            "OrderReqID": order_req_id, "Seller": seller_id, "ProposalID": f"{order_req_id}-{seller_id}",
            "Message": {"content": {"URLs": [], "MessageType": "text", "Message": answer}}})

    async def from_kafka(self, bootstrap: str, topic: str = "SELLER_NOTIFY") -> None:
        from aiokafka import AIOKafkaConsumer

        consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="latest")
        await consumer.start()
        try:
            # Fix the starting offsets now, so every notice published after this line is seen.
            await consumer.seek_to_end()
            for partition in consumer.assignment():
                await consumer.position(partition)
            log.info("listening for invitations on %s", topic)
            async for message in consumer:
                value = json.loads(message.value)
                payload = value["payload"]
                # The notice's trace goes on into the answer (its proposal's POST) when tracing is on.
                header = dict(message.headers or ()).get("traceparent")
                traceparent = header.decode(errors="replace") if isinstance(header, bytes) else None
                with continued_span(f"{topic} process", traceparent, SpanKind.CONSUMER):
                    if payload.get("kind") == "invitation":
                        self.invited(value["order_req_id"], payload["seller_id"])
                    elif payload.get("kind") == "buyer_follow_up":
                        self.asked(value["order_req_id"], payload["seller_id"], payload["message"]["message"])
        finally:
            await consumer.stop()

    async def from_rest(self, seller_ids: list[str], every: float = 1.0) -> None:
        log.info("listening for invitations: polling %d sellers' invitations", len(seller_ids))
        while True:
            for seller_id in seller_ids:
                response = await self._http.get(f"/api/v1/sellers/{seller_id}/invitations")
                for invitation in response.json() if response.status_code == 200 else []:
                    if invitation["State"] == "Open":
                        self.invited(invitation["OrderReqID"], seller_id)
            await asyncio.sleep(every)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._http.aclose()


async def simulate(args: argparse.Namespace) -> None:
    simulator = SellerSimulator(args.processor, min_delay=args.min_delay, max_delay=args.max_delay, seed=args.seed)
    if args.no_kafka:
        from processor.app.config import DEMO_SELLERS_FILE
        from processor.app.store.seller_directory import read_sellers_file

        source = simulator.from_rest([s.seller_id for s in read_sellers_file(DEMO_SELLERS_FILE)])
    else:
        source = simulator.from_kafka(args.kafka)
    try:
        await asyncio.wait_for(source, args.duration) if args.duration else await source
    except TimeoutError:
        pass
    finally:
        await simulator.close()
        log.info("simulated sellers posted %d proposals", simulator.proposals)


def run() -> None:
    parser = argparse.ArgumentParser(description="Simulated sellers for dCent Communicator")
    parser.add_argument("--processor", default="http://127.0.0.1:8001")
    parser.add_argument("--kafka", default="127.0.0.1:9092")
    parser.add_argument("--no-kafka", action="store_true", help="poll the Processor's REST for invitations")
    parser.add_argument("--min-delay", type=float, default=0.5)
    parser.add_argument("--max-delay", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=0, help="stop after this many seconds (0: run until Ctrl-C)")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    configure_tracing("dcent-simulator", kafka_consumer=True)  # off unless OTEL_TRACES_EXPORTER is set
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(simulate(args))


if __name__ == "__main__":
    run()
