"""A Kafka consumer that is not aiokafka (kafka-python), reading the six topics from the beginning."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

from kafka import KafkaConsumer

SIX_TOPICS = ["BUYER_ACKNOWLEDGEMENTS", "BUYER_NOTIFY", "REQ_failures",
              "SELLER_ACKNOWLEDGEMENTS", "SELLER_NOTIFY", "PRP_FAILURES"]


@dataclass(frozen=True)
class Received:
    topic: str
    key: str
    value: dict
    headers: dict

    @property
    def event_type(self) -> str:
        return self.value["event_type"]


class TopicReader:
    """Collects every message of the six topics in a background thread, as a user's consumer would."""

    def __init__(self, bootstrap: str) -> None:
        self._consumer = KafkaConsumer(
            *SIX_TOPICS, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
            enable_auto_commit=False, consumer_timeout_ms=100, metadata_max_age_ms=500,
            reconnect_backoff_max_ms=500,
        )
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                for m in self._consumer:
                    item = Received(m.topic, m.key.decode(), json.loads(m.value),
                                    {k: v.decode() for k, v in m.headers})
                    with self._lock:
                        self._received.append(item)
            except Exception:  # noqa: BLE001 - the broker restarting under us: keep reading
                time.sleep(0.1)

    def of_order(self, order_req_id: str) -> list[Received]:
        """Each message once (consumers drop redeliveries by event_id), in arrival order."""
        seen, unique = set(), []
        with self._lock:
            for item in self._received:
                if item.value["order_req_id"] == order_req_id and item.value["event_id"] not in seen:
                    seen.add(item.value["event_id"])
                    unique.append(item)
        return unique

    def by_topic(self, order_req_id: str) -> dict[str, list[tuple[str, str]]]:
        topics: dict[str, list[tuple[str, str]]] = {}
        for item in self.of_order(order_req_id):
            topics.setdefault(item.topic, []).append((item.key, item.event_type))
        return topics

    def wait_for(self, predicate, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("expected Kafka messages did not arrive")
            time.sleep(0.05)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._consumer.close()
