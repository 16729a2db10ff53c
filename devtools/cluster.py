"""Several Processors and Requestors as real child processes on one PostgreSQL and one broker:
`make cluster`, the scale-out end-to-end test and the benchmark's cluster mode."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from devtools.service_process import ROOT, ServiceProcess, free_port


@dataclass
class Cluster:
    processors: list[ServiceProcess] = field(default_factory=list)
    requestors: list[ServiceProcess] = field(default_factory=list)
    processor_urls: list[str] = field(default_factory=list)
    requestor_urls: list[str] = field(default_factory=list)
    grpc_ports: list[int] = field(default_factory=list)

    def stop(self) -> dict[str, int | None]:
        """Every one stopped with SIGTERM, Requestors first; their exit codes by name."""
        codes: dict[str, int | None] = {}
        try:
            for service in self.requestors:
                codes[service.name] = service.stop()
        finally:
            for service in self.processors:
                codes[service.name] = service.stop()
        return codes


def launch_cluster(
    processor_db: str, requestor_db: str, kafka_bootstrap: str | None, logs: Path, *,
    processors: int = 2, requestors: int = 2, env: dict[str, str] | None = None,
    http_ports: tuple[list[int], list[int]] | None = None, grpc_ports: list[int] | None = None,
) -> Cluster:
    """Processors then Requestors on free ports (or those given), each ready before the next
    starts; the Requestors reach every Processor (round-robin over the list of addresses)."""
    processor_http, requestor_http = http_ports or ([free_port() for _ in range(processors)],
                                                    [free_port() for _ in range(requestors)])
    grpc = grpc_ports or [free_port() for _ in range(processors)]
    kafka = ({"KAFKA_BOOTSTRAP_SERVERS": f'["{kafka_bootstrap}"]'} if kafka_bootstrap
             else {"KAFKA_ENABLED": "false"})
    common = {"BIND_HOST": "127.0.0.1", "LOG_LEVEL": "WARNING", "API_BASE_URL": "", "OUTBOX_POLL_SECONDS": "0.2",
              "KAFKA_REQUEST_TIMEOUT_MS": "2000", **kafka, **(env or {})}
    cluster = Cluster(grpc_ports=grpc)
    try:
        for n, (http, grpc_port) in enumerate(zip(processor_http, grpc, strict=True), 1):
            cluster.processors.append(ServiceProcess(
                f"processor-{n}", [sys.executable, str(ROOT / "processor" / "main.py")],
                env={**common, "HTTP_PORT": str(http), "GRPC_SERVER_PORT": str(grpc_port),
                     "DATABASE_URL": processor_db, "GRPC_GRACE_SECONDS": "1"},
                ready_url=f"http://127.0.0.1:{http}/ready", log_path=logs / f"processor-{n}.log",
            ).start().wait_ready())
            cluster.processor_urls.append(f"http://127.0.0.1:{http}")
        target = ",".join(f"127.0.0.1:{port}" for port in grpc)
        for n, http in enumerate(requestor_http, 1):
            cluster.requestors.append(ServiceProcess(
                f"requestor-{n}", [sys.executable, str(ROOT / "requestor" / "main.py")],
                env={**common, "HTTP_PORT": str(http), "PROCESSOR_GRPC_TARGET": target,
                     "DATABASE_URL": requestor_db},
                ready_url=f"http://127.0.0.1:{http}/ready", log_path=logs / f"requestor-{n}.log",
            ).start().wait_ready())
            cluster.requestor_urls.append(f"http://127.0.0.1:{http}")
    except BaseException:  # whichever did start must not outlive the caller
        cluster.stop()
        raise
    return cluster
