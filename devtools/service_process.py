"""Start a service as a real child process and wait until it answers (make run, e2e tests)."""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Exit codes of a service that ended by itself after SIGTERM (uvicorn re-raises the signal once shut
# down: -15), as opposed to the SIGKILL stop() sends when it does not.
ENDED_BY_ITSELF = frozenset({0, -signal.SIGTERM})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServiceProcess:
    def __init__(self, name: str, args: list[str], *, env: dict[str, str], ready_url: str,
                 log_path: Path | None = None) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.ready_url = ready_url
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.ready_at: float | None = None  # time.monotonic() when it last answered ready

    def start(self) -> ServiceProcess:
        output = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115 - closed below
        try:
            self.process = subprocess.Popen(
                self.args, env={**os.environ, **self.env}, stdout=output, stderr=subprocess.STDOUT if output else None,
            )
        finally:
            if output is not None:
                output.close()  # the child has its own copy
        return self

    def wait_ready(self, timeout: float = 60.0) -> ServiceProcess:
        # Generous: a loaded 2-core machine can take seconds to import, migrate and bind.
        if self.process is None:
            raise RuntimeError(f"{self.name} was never started")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.ready_url, timeout=1) as response:
                    if response.status == 200:
                        self.ready_at = time.monotonic()
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException):
                pass  # not listening yet — or, for a moment, another process that held the port
            time.sleep(0.05)
        raise TimeoutError(f"{self.name} not ready at {self.ready_url} after {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`: the exit code (negative: killed by that signal)."""
        if not self.process or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.process.returncode


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

    def stop(self) -> dict[str, int | None]:
        """Both stopped with SIGTERM; their exit codes by name. The Processor is stopped even if
        stopping the Requestor was interrupted (e.g. by a test's time limit)."""
        codes: dict[str, int | None] = {}
        try:
            codes["requestor"] = self.requestor.stop()
        finally:
            codes["processor"] = self.processor.stop()
        return codes


def launch_stack(processor_db: str, requestor_db: str, kafka_bootstrap: str, logs: Path,
                 env: dict[str, str] | None = None, *, processor_env: dict[str, str] | None = None,
                 requestor_env: dict[str, str] | None = None) -> Stack:
    """Processor then Requestor as child processes on free ports, ready when this returns. `env`
    goes to both, `processor_env` and `requestor_env` to one each (their own secrets)."""
    http_processor, http_requestor, grpc_port = free_port(), free_port(), free_port()
    common = {"BIND_HOST": "127.0.0.1", "LOG_LEVEL": "WARNING", "API_BASE_URL": "",
              "KAFKA_BOOTSTRAP_SERVERS": f'["{kafka_bootstrap}"]', "OUTBOX_POLL_SECONDS": "0.2",
              "KAFKA_REQUEST_TIMEOUT_MS": "2000", **(env or {})}
    processor = ServiceProcess(
        "processor", [sys.executable, str(ROOT / "processor" / "main.py")],
        env={**common, "HTTP_PORT": str(http_processor), "GRPC_SERVER_PORT": str(grpc_port),
             "DATABASE_URL": processor_db, "GRPC_GRACE_SECONDS": "1", **(processor_env or {})},
        ready_url=f"http://127.0.0.1:{http_processor}/ready", log_path=logs / "processor.log",
    )
    requestor = ServiceProcess(
        "requestor", [sys.executable, str(ROOT / "requestor" / "main.py")],
        env={**common, "HTTP_PORT": str(http_requestor), "PROCESSOR_GRPC_TARGET": f"127.0.0.1:{grpc_port}",
             "DATABASE_URL": requestor_db, **(requestor_env or {})},
        ready_url=f"http://127.0.0.1:{http_requestor}/ready", log_path=logs / "requestor.log",
    )
    try:
        processor.start().wait_ready()
        requestor.start().wait_ready()
    except BaseException:  # whichever did start must not outlive the caller
        requestor.stop()
        processor.stop()
        raise
    return Stack(processor, requestor, f"http://127.0.0.1:{http_processor}", f"http://127.0.0.1:{http_requestor}",
                 grpc_port)
