"""What the browser tests share: Debian's Chromium under Playwright, axe-core's verdict, and where
screenshots go."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DESKTOP = {"width": 1100, "height": 900}
PHONE = {"width": 390, "height": 844}


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium (Playwright's own download is not reachable here); the test is
    skipped without it, and fails under CI, which installs it."""
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is not installed (scripts/ensure_debian_tool.sh chromium installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            yield browser
        finally:
            browser.close()


def serious_violations(page: Any) -> list[tuple[str, str, list]]:
    """axe-core's serious and critical findings on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5])
            for v in violations if v["impact"] in ("serious", "critical")]


def screenshot(page: Any, name: str, **options: Any) -> None:
    """docs/<name> with UPDATE_SCREENSHOTS=1 (then commit them), else test-artifacts/<name>: a test
    run leaves the checkout as it found it."""
    folder = ROOT / "docs" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else ROOT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / name), **options)
