"""Write requestor/requirements.txt and processor/requirements.txt from pyproject.toml.

The seed's `cd requestor && pip install -r requirements.txt` then installs what the service
needs, and the project itself (`-e ..`), so `python main.py` runs. One source: pyproject.toml;
tests/test_generated_files.py fails when these files are stale.
"""
from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("requestor", "processor")


def requirements() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = [
        "# Generated from pyproject.toml by scripts/generate_requirements.py: do not edit.",
        "# Runtime dependencies of the dCent Communicator services, then the project itself.",
        *sorted(project["dependencies"], key=str.lower),
        "-e ..",
    ]
    return "\n".join(lines) + "\n"


def write(root: Path = ROOT) -> list[Path]:
    written = []
    for service in SERVICES:
        target = root / service / "requirements.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(requirements())
        written.append(target)
    return written


if __name__ == "__main__":
    for path in write(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT):
        print(f"wrote {path}")
