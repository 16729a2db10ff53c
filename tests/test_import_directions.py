"""The floor plan holds (issue 15): no two folders import each other, and the Processor's
domain — its rules — runs without a database, HTTP, gRPC or Kafka library loaded."""
from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("shared", "processor", "requestor")
INFRASTRUCTURE = ("sqlalchemy", "httpx", "grpc", "aiokafka", "asyncpg", "aiosqlite")


def folder_of(module: str) -> str | None:
    """The folder a dotted module lives in (a package's own folder for a package)."""
    path = ROOT.joinpath(*module.split("."))
    if path.is_dir():
        return str(path.relative_to(ROOT))
    if path.with_suffix(".py").exists():
        return str(path.parent.relative_to(ROOT))
    return None


def folder_imports() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for package in PACKAGES:
        for source in (ROOT / package).rglob("*.py"):
            here = str(source.parent.relative_to(ROOT))
            for node in ast.walk(ast.parse(source.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGES):
                    there = folder_of(node.module)
                    if there and there != here:
                        edges[here].add(there)
    return edges


def cycle_through(edges: dict[str, set[str]], start: str) -> list[str] | None:
    """A path start → … → start along the import edges, if there is one."""
    stack, seen = [(start, [start])], set()
    while stack:
        folder, path = stack.pop()
        for there in sorted(edges.get(folder, ())):
            if there == start:
                return [*path, start]
            if there not in seen:
                seen.add(there)
                stack.append((there, [*path, there]))
    return None


def test_folders_import_in_one_direction():
    """No two folders import each other, nor does any longer loop of folders exist."""
    edges = folder_imports()
    cycles = [cycle for folder in sorted(edges) if (cycle := cycle_through(edges, folder))]
    assert cycles == []


def test_the_processor_domain_loads_no_infrastructure():
    domain = sorted(p.stem for p in (ROOT / "processor" / "app" / "domain").glob("*.py") if p.stem != "__init__")
    assert {"orders", "proposals", "selection"} <= set(domain)
    probe = (f"import sys; import {', '.join(f'processor.app.domain.{m}' for m in domain)}; "
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({INFRASTRUCTURE!r})))")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]", f"domain modules pull in {loaded.stdout.strip()}"


def test_the_domain_imports_only_the_shared_contract():
    """Rules depend on nothing of the Processor but themselves: the store and the use cases
    depend on them, never the other way."""
    edges = folder_imports()
    assert {e for e in edges["processor/app/domain"] if e.startswith("processor")} == set()
