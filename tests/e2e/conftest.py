"""Both services as real processes on free ports, with a real database, for end-to-end tests."""
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


@pytest.fixture
def stack(make_db_url, tmp_path, kafka_broker):
    http_processor, http_requestor, grpc_port = free_port(), free_port(), free_port()
    common = {"BIND_HOST": "127.0.0.1", "LOG_LEVEL": "WARNING", "API_BASE_URL": "",
              "KAFKA_BOOTSTRAP_SERVERS": f'["{kafka_broker.bootstrap}"]', "OUTBOX_POLL_SECONDS": "0.2"}
    processor = ServiceProcess(
        "processor", [sys.executable, str(ROOT / "processor" / "main.py")],
        env={**common, "HTTP_PORT": str(http_processor), "GRPC_SERVER_PORT": str(grpc_port),
             "DATABASE_URL": make_db_url("processor"), "GRPC_GRACE_SECONDS": "1"},
        ready_url=f"http://127.0.0.1:{http_processor}/ready", log_path=tmp_path / "processor.log",
    )
    requestor = ServiceProcess(
        "requestor", [sys.executable, str(ROOT / "requestor" / "main.py")],
        env={**common, "HTTP_PORT": str(http_requestor), "PROCESSOR_GRPC_TARGET": f"127.0.0.1:{grpc_port}",
             "DATABASE_URL": make_db_url("requestor")},
        ready_url=f"http://127.0.0.1:{http_requestor}/ready", log_path=tmp_path / "requestor.log",
    )
    processor.start().wait_ready()
    requestor.start().wait_ready()
    yield Stack(processor, requestor, f"http://127.0.0.1:{http_processor}", f"http://127.0.0.1:{http_requestor}", grpc_port)
    for service in (requestor, processor):
        service.stop()
