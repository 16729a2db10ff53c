# One command each: `make run` starts the stack, `make test` runs the whole suite.
# Both create .venv and install the project first when needed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The one pin of uv (also listed in pyproject's dev extra, so `uv sync` keeps it in .venv, and in
# the Dockerfiles' UV_VERSION; tests/deployment/test_docker.py checks the three agree).
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
# Every uv command works on $(VENV), wherever it is run from.
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

.PHONY: install run cluster demo test lint bench proto requirements lock lock-check clean

# $(VENV) with the pinned uv in it (and nothing else needed: `lock` works even on a broken lock).
define ENSURE_UV
@test -x $(PY) || $(PYTHON) -m venv $(VENV)
@test "$$($(UV) --version 2>/dev/null | cut -d' ' -f2)" = "$(UV_VERSION)" \
  || $(PY) -m pip install --quiet --disable-pip-version-check 'uv==$(UV_VERSION)'
endef

# --compile-bytecode: uv does not write .pyc files by itself (pip did), and where
# PYTHONDONTWRITEBYTECODE is set every process would compile each module at start (~4 s a service).
# Installs exactly what uv.lock pins (--frozen: the lock is used as is, never re-resolved) and
# removes what it does not list. The msk-iam extra too: tests/shared/messaging/test_kafka_config.py
# builds an IAM client configuration with the real signer, as the images run it.
$(STAMP): pyproject.toml uv.lock
	$(ENSURE_UV)
	$(UV) sync --frozen --extra dev --extra msk-iam --compile-bytecode
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) -m scripts.run_stack

# Two Processors and two Requestors on the machine's PostgreSQL (127.0.0.1:5432, user postgres).
cluster: install
	$(PY) -m scripts.run_cluster

demo: install
	$(PY) -m scripts.demo

test: install
	@scripts/ensure_debian_tool.sh chromium || echo "could not install chromium: the browser test will be skipped"
	@scripts/ensure_debian_tool.sh wrk || echo "could not install wrk: the benchmark smoke test will be skipped"
	$(PY) -m pytest $(PYTEST_ARGS)

# ruff, then mypy; both configured in pyproject.toml. CI runs it before the tests.
lint: install
	$(PY) -m ruff check .
	$(PY) -m mypy

proto: install
	$(PY) -m scripts.proto_compile

# The per-service requirements.txt files, exported from uv.lock (see `lock`).
requirements:
	$(ENSURE_UV)
	$(PY) -m scripts.generate_requirements

# The one command that updates the lock (after editing pyproject.toml's dependencies; add
# LOCK_ARGS=--upgrade to take every newest allowed version), then the files exported from it.
lock:
	$(ENSURE_UV)
	$(UV) lock $(LOCK_ARGS)
	$(PY) -m scripts.generate_requirements

# Fails when uv.lock does not satisfy pyproject.toml, or the requirements files are not its export
# (CI runs it before the tests; it needs no install beyond uv).
lock-check:
	$(ENSURE_UV)
	$(UV) lock --check
	$(PY) -m scripts.generate_requirements --check

clean:
	rm -rf $(VENV) var .pytest_cache test-artifacts

bench: install
	@scripts/ensure_debian_tool.sh wrk
	$(PY) -m bench.run $(BENCH_ARGS)
