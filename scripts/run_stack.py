"""`make run`: start Kafka (local Tansu), the Processor, then the Requestor; Ctrl-C stops all.

Settings come from the environment and each service's .env.local, as when started by hand.
"""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.messaging.local_broker import LocalBroker, port_open  # noqa: E402
from shared.messaging.topics import Topic  # noqa: E402
from shared.utils.service_process import ServiceProcess  # noqa: E402

LOCAL_KAFKA_PORT = 9092


def local_broker() -> LocalBroker | None:
    """Tansu on 127.0.0.1:9092, unless Kafka is off, another broker is named, or one already listens."""
    if os.environ.get("KAFKA_ENABLED", "true").lower() in ("false", "0", "no"):
        return None
    if "KAFKA_BOOTSTRAP_SERVERS" in os.environ:
        return None
    if port_open("127.0.0.1", LOCAL_KAFKA_PORT):
        print(f"a broker already listens on 127.0.0.1:{LOCAL_KAFKA_PORT}; using it", flush=True)
        return None
    broker = LocalBroker(LOCAL_KAFKA_PORT, log_path=ROOT / "var" / "tansu.log")
    (ROOT / "var").mkdir(exist_ok=True)
    return broker.start(topics=[t.value for t in Topic])


def main() -> int:
    processor_port = os.environ.get("PROCESSOR_HTTP_PORT", "8001")
    requestor_port = os.environ.get("REQUESTOR_HTTP_PORT", "8000")
    python = sys.executable
    processor = ServiceProcess(
        "processor", [python, str(ROOT / "processor" / "main.py")],
        env={"HTTP_PORT": processor_port}, ready_url=f"http://127.0.0.1:{processor_port}/ready",
    )
    requestor = ServiceProcess(
        "requestor", [python, str(ROOT / "requestor" / "main.py")],
        env={"HTTP_PORT": requestor_port}, ready_url=f"http://127.0.0.1:{requestor_port}/health",
    )
    services = [processor, requestor]
    broker = local_broker()
    stopping = False

    def _stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        processor.start().wait_ready()
        requestor.start().wait_ready()
        kafka = f"Kafka (Tansu) 127.0.0.1:{LOCAL_KAFKA_PORT}" if broker else os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "Kafka off")
        print(
            f"\ndCent Communicator is up:\n"
            f"  Requestor  http://127.0.0.1:{requestor_port}/docs\n"
            f"  Processor  http://127.0.0.1:{processor_port}/docs  (gRPC on 50051)\n"
            f"  {kafka}   read it: python scripts/read_topics.py\n"
            f"Ctrl-C stops them all.\n",
            flush=True,
        )
        while not stopping:
            for service in services:
                if service.process.poll() is not None:
                    print(f"{service.name} exited with {service.process.returncode}", file=sys.stderr)
                    return 1
            time.sleep(0.2)
        return 0
    finally:
        for service in reversed(services):
            service.stop()
        if broker:
            broker.stop()


if __name__ == "__main__":
    sys.exit(main())
