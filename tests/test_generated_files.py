"""Files generated from one source are current: requirements from pyproject.toml; the seed's proto
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
    expected = load("generate_requirements").requirements()
    for service in ("requestor", "processor"):
        assert (ROOT / service / "requirements.txt").read_text() == expected, "run: python scripts/generate_requirements.py"


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
