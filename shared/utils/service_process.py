"""Start a service as a real child process and wait until it answers (make run, e2e tests)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServiceProcess:
    def __init__(self, name: str, args: list[str], *, env: dict[str, str], ready_url: str, log_path: Path | None = None) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.ready_url = ready_url
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> "ServiceProcess":
        output = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            self.args, env={**os.environ, **self.env}, stdout=output, stderr=subprocess.STDOUT if output else None,
        )
        return self

    def wait_ready(self, timeout: float = 30.0) -> "ServiceProcess":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.ready_url, timeout=1) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
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

    def stop(self, timeout: float = 15.0) -> int | None:
        if not self.process or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.process.returncode
