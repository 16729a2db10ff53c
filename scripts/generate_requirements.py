"""Write requestor/requirements.txt and processor/requirements.txt: uv.lock's runtime pins, exported.

The seed's `cd requestor && pip install -r requirements.txt` then installs exactly the versions
the lock pins (the runtime dependencies, no extras), and the project itself (`-e ..`), so
`python main.py` runs. One source: uv.lock (itself from pyproject.toml, by `make lock`, which
runs this script after `uv lock`). `--check` (run by `make lock-check` and
tests/test_generated_files.py) fails when the files are not the lock's export. Offline: `uv export
--frozen` reads only uv.lock.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("requestor", "processor")
EXPORT = ("export", "--frozen", "--format", "requirements.txt", "--no-dev", "--no-emit-project",
          "--no-hashes", "--no-header")


def uv() -> str:
    """The uv beside this Python (the pinned one `make install` puts in .venv), else the one on PATH."""
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        raise SystemExit("uv not found: run `make install` (it installs the pinned uv into .venv)")
    return found


def requirements(root: Path = ROOT) -> str:
    try:
        exported = subprocess.run([uv(), *EXPORT], cwd=root, check=True, capture_output=True, text=True).stdout
    except subprocess.CalledProcessError as error:
        raise SystemExit(f"uv {' '.join(EXPORT)} failed:\n{error.stderr}") from error
    lines = [
        "# Generated from uv.lock by `make lock` (scripts/generate_requirements.py): do not edit.",
        f"#    uv {' '.join(EXPORT)}",
        "# The runtime dependencies of the dCent Communicator services, pinned as locked, then the project itself.",
        exported.rstrip("\n"),
        "-e ..",
    ]
    return "\n".join(lines) + "\n"


def targets(root: Path = ROOT) -> list[Path]:
    return [root / service / "requirements.txt" for service in SERVICES]


def write(root: Path = ROOT) -> list[Path]:
    text = requirements(root)
    for target in targets(root):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return targets(root)


def stale(root: Path = ROOT) -> list[Path]:
    text = requirements(root)
    return [target for target in targets(root) if not target.exists() or target.read_text() != text]


if __name__ == "__main__":
    arguments = sys.argv[1:]
    check = "--check" in arguments
    paths = [argument for argument in arguments if argument != "--check"]
    tree = Path(paths[0]) if paths else ROOT
    if check:
        outdated = stale(tree)
        for path in outdated:
            print(f"{path} is not uv.lock's export: run `make lock`", file=sys.stderr)
        sys.exit(1 if outdated else 0)
    for path in write(tree):
        print(f"wrote {path}")
