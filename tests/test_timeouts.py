"""A test that hangs fails alone, named in the report, and the run goes on."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HANGING = '''
import asyncio
import time


async def test_hangs_in_the_loop():
    await asyncio.Event().wait()


async def test_hangs_in_the_loops_teardown():
    async def ignores_cancellation():  # as a stuck database close did
        while True:
            try:
                await asyncio.sleep(100)
            except asyncio.CancelledError:
                pass

    asyncio.get_running_loop().create_task(ignores_cancellation())


def test_hangs_in_a_blocking_call():
    time.sleep(100)


async def test_after_them_runs():
    await asyncio.sleep(0)
'''


def test_each_hang_fails_its_own_test_and_the_run_goes_on(tmp_path):
    (tmp_path / "test_hanging.py").write_text(HANGING)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path),
         "-p", "no:cacheprovider", "-o", "timeout=2", str(tmp_path / "test_hanging.py")],
        capture_output=True, text=True, timeout=50, cwd=tmp_path,
    )
    report = done.stdout
    assert "FAILED test_hanging.py::test_hangs_in_the_loop - Failed: Timeout" in report, report
    assert "FAILED test_hanging.py::test_hangs_in_a_blocking_call - Failed: Timeout" in report, report
    assert "ERROR test_hanging.py::test_hangs_in_the_loops_teardown - Failed: Timeout" in report, report
    assert "2 failed, 2 passed, 1 error" in report, report
