"""schemathesis against both services' OpenAPI documents, on real processes: no 5xx, and every
answer matches the documented schema (a bounded number of cases per operation)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(700)]  # the run itself is bounded at 600 s
MAX_EXAMPLES = "10"


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("service", ["processor", "requestor"])
def test_no_server_errors_and_answers_match_the_spec(stack, service, db_backend):
    url = stack.processor_url if service == "processor" else stack.requestor_url
    command = [
        str(Path(sys.executable).with_name("st")), "run", f"{url}/openapi.json",
        "--checks", "not_a_server_error,response_schema_conformance",
        "--max-examples", MAX_EXAMPLES, "--seed", "1",
        "--header", "X-Admin-Key: dev-admin-key",
        # An event stream never ends by itself: it has its own test (test_sse.py).
        "--exclude-path-regex", r".*/events$",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
