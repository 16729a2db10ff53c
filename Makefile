# One command each: `make run` starts the stack, `make test` runs the whole suite.
# Both create .venv and install the project first when needed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run demo test bench proto requirements clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) scripts/run_stack.py

demo: install
	$(PY) scripts/demo.py

test: install
	@scripts/ensure_debian_tool.sh chromium || echo "could not install chromium: the browser test will be skipped"
	@scripts/ensure_debian_tool.sh wrk || echo "could not install wrk: the benchmark smoke test will be skipped"
	$(PY) -m pytest $(PYTEST_ARGS)

proto: install
	$(PY) scripts/proto_compile.py

requirements: install
	$(PY) scripts/generate_requirements.py

clean:
	rm -rf $(VENV) var .pytest_cache test-artifacts

bench: install
	@scripts/ensure_debian_tool.sh wrk
	$(PY) bench/run.py $(BENCH_ARGS)
