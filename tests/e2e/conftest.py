"""Both services as real processes on free ports, with a real database and Kafka broker."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.utils.service_process import ServiceProcess, free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Stack:
    processor: ServiceProcess
    requestor: ServiceProcess
    processor_url: str
    requestor_url: str
    grpc_port: int

    def restart_processor(self) -> None:
        self.processor.stop()
        self.processor.start().wait_ready()

    def stop(self) -> None:
        for service in (self.requestor, self.processor):
            service.stop()


def launch_stack(processor_db: str, requestor_db: str, kafka_bootstrap: str, logs: Path) -> Stack:
    http_processor, http_requestor, grpc_port = free_port(), free_port(), free_port()
    common = {"BIND_HOST": "127.0.0.1", "LOG_LEVEL": "WARNING", "API_BASE_URL": "",
              "KAFKA_BOOTSTRAP_SERVERS": f'["{kafka_bootstrap}"]', "OUTBOX_POLL_SECONDS": "0.2",
              "KAFKA_REQUEST_TIMEOUT_MS": "2000"}
    processor = ServiceProcess(
        "processor", [sys.executable, str(ROOT / "processor" / "main.py")],
        env={**common, "HTTP_PORT": str(http_processor), "GRPC_SERVER_PORT": str(grpc_port),
             "DATABASE_URL": processor_db, "GRPC_GRACE_SECONDS": "1"},
        ready_url=f"http://127.0.0.1:{http_processor}/ready", log_path=logs / "processor.log",
    )
    requestor = ServiceProcess(
        "requestor", [sys.executable, str(ROOT / "requestor" / "main.py")],
        env={**common, "HTTP_PORT": str(http_requestor), "PROCESSOR_GRPC_TARGET": f"127.0.0.1:{grpc_port}",
             "DATABASE_URL": requestor_db},
        ready_url=f"http://127.0.0.1:{http_requestor}/ready", log_path=logs / "requestor.log",
    )
    processor.start().wait_ready()
    requestor.start().wait_ready()
    return Stack(processor, requestor, f"http://127.0.0.1:{http_processor}", f"http://127.0.0.1:{http_requestor}", grpc_port)


@pytest.fixture
def stack(make_db_url, tmp_path, kafka_broker):
    running = launch_stack(make_db_url("processor"), make_db_url("requestor"), kafka_broker.bootstrap, tmp_path)
    yield running
    running.stop()
