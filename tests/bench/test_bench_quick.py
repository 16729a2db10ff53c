"""The benchmark's quick mode runs end to end and reports every figure (no thresholds: timing
claims come from `make bench`, never from a test)."""
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(300)  # starts both services, a broker and wrk


def test_quick_benchmark_reports_every_figure(tmp_path):
    if shutil.which("wrk") is None:
        message = "wrk is not installed (scripts/ensure_debian_tool.sh wrk)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Its own process group: the benchmark's services, broker and wrk go with it, however it ends.
    bench = subprocess.Popen([sys.executable, "-m", "bench.run", "--quick", "--out", str(tmp_path)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = bench.communicate(timeout=240)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(bench.pid, signal.SIGKILL)
        bench.wait()
    done = subprocess.CompletedProcess(bench.args, bench.returncode, stdout, stderr)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads((tmp_path / "bench-quick.json").read_text())
    p1, p2, p3, p4 = (results[k] for k in ("P1", "P2", "P3", "P4"))
    assert p1["pipeline_per_second"] > 0 and p1["bare_per_second"] > 0 and p1["ratio"] > 0
    assert p2["answer_to_sse_ms"]["count"] > 0 and p2["missing"] == 0
    assert p2["answer_to_processor_stream_ms"]["count"] > 0 and p2["processor_stream_to_sse_ms"]["count"] > 0
    assert [r["streams"] for r in p3["ours"]] == [r["streams"] for r in p3["bare"]] == [200]
    assert all(r["fanout_seconds"] > 0 for r in p3["ours"] + p3["bare"])
    assert p4["p99_ms"] > 0
    table = (tmp_path / "bench-quick.md").read_text()
    assert all(f"| {figure} |" in table for figure in ("P1", "P2", "P3", "P4"))
    assert table in done.stdout
