"""schemathesis against both services' OpenAPI documents, on real processes: no 5xx, and every
answer matches the documented schema — in the development profile (authentication off, so
generated requests reach every rule) and in the production profile with real tokens."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(700)]  # each run is bounded at 600 s
DEVELOPMENT_EXAMPLES = 10
PRODUCTION_EXAMPLES = 70  # per operation: about 2,500 cases across both documents
CHECKS = "not_a_server_error,response_schema_conformance"


def schemathesis(url: str, examples: int, headers: dict[str, str]) -> tuple[int, str]:
    """Exit code and output of one run; an event stream never ends by itself, so it has its own tests."""
    command = [
        str(Path(sys.executable).with_name("st")), "run", f"{url}/openapi.json", "--checks", CHECKS,
        "--max-examples", str(examples), "--seed", "1", "--exclude-path-regex", r".*/events$",
        *(part for name, value in headers.items() for part in ("--header", f"{name}: {value}")),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    return result.returncode, result.stdout[-4000:] + result.stderr[-2000:]


def cases_generated(output: str) -> int:
    found = re.search(r"(\d+) generated", output)
    assert found, output
    return int(found.group(1))


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("service", ["processor", "requestor"])
def test_no_server_errors_and_answers_match_the_spec(stack, service, db_backend):
    url = stack.processor_url if service == "processor" else stack.requestor_url
    code, output = schemathesis(url, DEVELOPMENT_EXAMPLES, {"X-Admin-Key": "dev-admin-key"})
    assert code == 0, output


@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_the_production_profile_with_real_tokens_has_no_server_errors(production_stack, db_backend):
    running = production_stack.stack
    runs = {
        "processor": schemathesis(running.processor_url, PRODUCTION_EXAMPLES, {
            "Authorization": f"Bearer {production_stack.seller('SELLER-001')}",
            "X-Admin-Key": production_stack.admin_key}),
        "requestor": schemathesis(running.requestor_url, PRODUCTION_EXAMPLES, {
            "Authorization": f"Bearer {production_stack.buyer('SESSION-123')}"}),
    }
    for name, (code, output) in runs.items():
        assert code == 0, f"{name}:\n{output}"
    generated = {name: cases_generated(output) for name, (_, output) in runs.items()}
    assert sum(generated.values()) >= 2000, generated
    print("schemathesis cases generated in the production profile:", generated)
