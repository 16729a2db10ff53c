"""Files generated from one source are current: requirements from uv.lock; the seed's proto
commands produce exactly what `make proto` does."""
import importlib.util
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load(script: str):
    spec = importlib.util.spec_from_file_location(script, ROOT / "scripts" / f"{script}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_requirements_files_are_current():
    generator = load("generate_requirements")
    # The lock itself answers pyproject.toml (what `make lock-check` checks in CI); offline and fast.
    check = subprocess.run([generator.uv(), "lock", "--check", "--offline"], cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0, f"uv.lock does not match pyproject.toml: run `make lock`\n{check.stderr}"
    # Offline too: `uv export --frozen` reads uv.lock only (parsing the lock here would re-implement it).
    expected = generator.requirements()
    for service in ("requestor", "processor"):
        assert (ROOT / service / "requirements.txt").read_text() == expected, "run: make lock"
    pins = [line for line in expected.splitlines() if line and not line.startswith((" ", "#", "-e"))]
    assert pins and all("==" in pin for pin in pins), "every requirement is pinned exactly"
    assert expected.endswith("-e ..\n"), "the seed's `pip install -r requirements.txt` installs the project too"


def test_seed_proto_commands_make_what_make_proto_makes(tmp_path):
    # Run the seed's script on a copy of the tree; its output must equal the committed code.
    copy = tmp_path / "repo"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "var", "test-artifacts", "__pycache__"))
    for generated in (copy / "shared" / "proto").glob("*_pb2*"):
        generated.unlink()
    venv_python = ROOT / ".venv" / "bin" / "python"
    env = {"PATH": "/usr/bin:/bin", "PYTHON": str(venv_python if venv_python.exists() else "python3")}
    subprocess.run(["sh", str(copy / "deployment" / "scripts" / "generate_proto.sh")], check=True, env=env)
    for committed in (ROOT / "shared" / "proto").glob("*_pb2*"):
        assert (copy / "shared" / "proto" / committed.name).read_text() == committed.read_text()


def test_asyncapi_document_is_current():
    assert (ROOT / "docs" / "asyncapi.yaml").read_text() == load("generate_asyncapi").render(), \
        "run: python scripts/generate_asyncapi.py"
