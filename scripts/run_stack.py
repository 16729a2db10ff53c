"""`make run` (`python -m scripts.run_stack`): start Kafka (local Tansu), the Processor, then the
Requestor; Ctrl-C stops all.

Settings come from the environment and each service's .env.local, as when started by hand.
`scripts/demo.py` (`make demo`) starts the same stack plus simulated sellers.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from devtools.local_broker import LocalBroker, port_open
from devtools.service_process import ServiceProcess
from shared.messaging.topics import Topic

ROOT = Path(__file__).resolve().parent.parent

LOCAL_KAFKA_PORT = 9092
PROCESSOR_PORT = os.environ.get("PROCESSOR_HTTP_PORT", "8001")
REQUESTOR_PORT = os.environ.get("REQUESTOR_HTTP_PORT", "8000")


def local_broker() -> LocalBroker | None:
    """Tansu on 127.0.0.1:9092, unless Kafka is off, another broker is named, or one already listens."""
    if os.environ.get("KAFKA_ENABLED", "true").lower() in ("false", "0", "no"):
        return None
    if "KAFKA_BOOTSTRAP_SERVERS" in os.environ:
        return None
    if port_open("127.0.0.1", LOCAL_KAFKA_PORT):
        print(f"a broker already listens on 127.0.0.1:{LOCAL_KAFKA_PORT}; using it", flush=True)
        return None
    (ROOT / "var").mkdir(exist_ok=True)
    broker = LocalBroker(LOCAL_KAFKA_PORT, log_path=ROOT / "var" / "tansu.log")
    return broker.start(topics=[t.value for t in Topic])


@dataclass
class Stack:
    broker: LocalBroker | None
    services: list[ServiceProcess] = field(default_factory=list)

    @property
    def kafka(self) -> str | None:
        if self.broker:
            return self.broker.bootstrap
        if os.environ.get("KAFKA_ENABLED", "true").lower() in ("false", "0", "no"):
            return None
        return os.environ.get("KAFKA_BOOTSTRAP_SERVERS", f'["127.0.0.1:{LOCAL_KAFKA_PORT}"]').strip('[]"').split('"')[0]

    def add(self, service: ServiceProcess) -> ServiceProcess:
        self.services.append(service)
        return service

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()
        if self.broker:
            self.broker.stop()


def start_stack() -> Stack:
    """Broker, Processor, Requestor, each ready before the next; if one fails (or Ctrl-C/SIGTERM
    arrives meanwhile), what did start is stopped before the error goes on."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM while starting: as Ctrl-C
    stack = Stack(local_broker())
    python = sys.executable
    try:
        stack.add(ServiceProcess(
            "processor", [python, str(ROOT / "processor" / "main.py")],
            env={"HTTP_PORT": PROCESSOR_PORT}, ready_url=f"http://127.0.0.1:{PROCESSOR_PORT}/ready",
        )).start().wait_ready()
        stack.add(ServiceProcess(
            "requestor", [python, str(ROOT / "requestor" / "main.py")],
            env={"HTTP_PORT": REQUESTOR_PORT}, ready_url=f"http://127.0.0.1:{REQUESTOR_PORT}/health",
        )).start().wait_ready()
    except BaseException:
        stack.stop()
        raise
    return stack


def supervise(stack: Stack, banner: str) -> int:
    """Print the banner, then wait for Ctrl-C (or a child's exit); stop everything."""
    stopping = False

    def _stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    print(banner, flush=True)
    try:
        while not stopping:
            for service in stack.services:
                if service.process is not None and service.process.poll() is not None:
                    print(f"{service.name} exited with {service.process.returncode}", file=sys.stderr)
                    return 1
            time.sleep(0.2)
        return 0
    finally:
        stack.stop()


def banner(stack: Stack) -> str:
    kafka = f"Kafka {stack.kafka}   read it: python -m scripts.read_topics" if stack.kafka else "Kafka off"
    return (
        f"\ndCent Communicator is up:\n"
        f"  Buyer page http://127.0.0.1:{REQUESTOR_PORT}/\n"
        f"  Requestor  http://127.0.0.1:{REQUESTOR_PORT}/docs\n"
        f"  Processor  http://127.0.0.1:{PROCESSOR_PORT}/docs  (gRPC on 50051)\n"
        f"  {kafka}\n"
        f"Ctrl-C stops them all.\n"
    )


def parse_arguments(description: str | None, argv: list[str] | None = None) -> None:
    """--help, before anything starts. Ports and settings come from the environment."""
    argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="environment: PROCESSOR_HTTP_PORT (8001) and REQUESTOR_HTTP_PORT (8000) choose the HTTP ports "
               "(they override HTTP_PORT in .env.local); KAFKA_ENABLED=false or KAFKA_BOOTSTRAP_SERVERS skip the "
               "local broker; every other setting as in the README's configuration table.",
    ).parse_args(argv)


def main() -> int:
    parse_arguments(__doc__)
    stack = start_stack()
    return supervise(stack, banner(stack))


if __name__ == "__main__":
    sys.exit(main())
