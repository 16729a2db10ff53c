"""Generate the Python gRPC code from shared/proto/*.proto (the one implementation).

`make proto`, `deployment/scripts/generate_proto.sh` and the seed's
`python scripts/proto_compile.py` all land here.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "shared" / "proto"


def compile_protos(out_dir: Path = ROOT) -> list[Path]:
    """Write *_pb2.py, *_pb2_grpc.py and *_pb2.pyi under out_dir/shared/proto."""
    import grpc_tools
    from grpc_tools import protoc

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    (out_dir / "shared" / "proto").mkdir(parents=True, exist_ok=True)
    sources = sorted(PROTO_DIR.glob("*.proto"))
    for source in sources:
        # -I at the repo root makes the generated imports absolute (`from shared.proto import ...`).
        args = [
            "protoc",
            f"-I{ROOT}",
            f"-I{well_known}",
            f"--python_out={out_dir}",
            f"--pyi_out={out_dir}",
            f"--grpc_python_out={out_dir}",
            str(source),
        ]
        if protoc.main(args) != 0:
            raise RuntimeError(f"protoc failed for {source}")
    return sources


if __name__ == "__main__":
    compile_protos(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT)
