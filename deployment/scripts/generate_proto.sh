#!/usr/bin/env sh
# Regenerate the gRPC code (same as `make proto`): one implementation, scripts/proto_compile.py.
set -eu
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
exec "$PYTHON" "$ROOT/scripts/proto_compile.py"
