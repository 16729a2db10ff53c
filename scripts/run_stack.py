"""`make run`: start the Processor, then the Requestor, on embedded defaults; Ctrl-C stops both.

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

from shared.utils.service_process import ServiceProcess  # noqa: E402


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
    stopping = False

    def _stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        processor.start().wait_ready()
        requestor.start().wait_ready()
        print(
            f"\ndCent Communicator is up:\n"
            f"  Requestor  http://127.0.0.1:{requestor_port}/docs\n"
            f"  Processor  http://127.0.0.1:{processor_port}/docs  (gRPC on 50051)\n"
            f"Ctrl-C stops both.\n",
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


if __name__ == "__main__":
    sys.exit(main())
