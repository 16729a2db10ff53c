"""The generated gRPC code is what `make proto` makes from the .proto today."""
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_generated_code_is_current(tmp_path):
    spec = importlib.util.spec_from_file_location("proto_compile", ROOT / "scripts" / "proto_compile.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["proto_compile"] = module
    spec.loader.exec_module(module)
    sources = module.compile_protos(tmp_path)
    assert sources, "no .proto found"
    for generated in sorted((tmp_path / "shared" / "proto").iterdir()):
        committed = ROOT / "shared" / "proto" / generated.name
        assert committed.exists(), f"{committed.name} is missing: run `make proto`"
        assert committed.read_text() == generated.read_text(), f"{committed.name} is stale: run `make proto`"
