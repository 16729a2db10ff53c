"""The README's seed flow, curl commands run as written (ports aside), against real processes."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("db_backend")]
README = Path(__file__).resolve().parents[2] / "README.md"


def seed_flow_commands() -> list[str]:
    return curl_commands(README.read_text().split("## Try the seed flow", 1)[1])


def curl_commands(section: str, block_index: int = 0) -> list[str]:
    """The curl commands of the section's block_index-th bash block."""
    block = section.split("```bash")[block_index + 1].split("```", 1)[0]
    joined = re.sub(r"\\\n", " ", block)  # line continuations
    commands, current = [], []
    for line in joined.splitlines():
        if line.startswith("curl "):
            if current:
                commands.append("\n".join(current))
            current = [line]
        elif current and not line.startswith("#"):
            current.append(line)
    commands.append("\n".join(current))
    return [c.strip() for c in commands]


def run_curl(stack, command: str) -> str:
    """Run one README curl against the test's stack; its body, after checking it answered 2xx."""
    command = command.replace("localhost:8000", stack.requestor_url.removeprefix("http://"))
    command = command.replace("localhost:8001", stack.processor_url.removeprefix("http://"))
    result = subprocess.run(
        ["bash", "-c", command + " -s -w '\\n%{http_code}'"], capture_output=True, text=True, timeout=30
    )
    body, _, status = result.stdout.rpartition("\n")
    assert status.startswith("2"), f"{command}\n→ {status} {body}"
    return body


def test_readme_seed_flow(stack):
    commands = seed_flow_commands()
    assert len(commands) == 5 and "ORD-001" in commands[0]
    for command in commands:
        run_curl(stack, command)

    view = httpx.get(f"{stack.requestor_url}/api/v1/orders/ORD-001").json()
    assert view["State"] == "Finalised" and view["WinningProposalID"] == "PROP-001"
    assert [(p["ProposalID"], p["State"]) for p in view["Proposals"]] == [("PROP-001", "Accepted")]
    assert view["FollowUps"][0]["Message"]["Message"] == "Please clarify delivery terms"
    assert view["FollowUps"][0]["Audience"] == ["PROP-001"]


def test_readme_details_and_edit_lock_examples_after_the_seed_flow(stack):
    for command in seed_flow_commands():
        run_curl(stack, command)
    [initiate_with_details] = curl_commands(README.read_text().split("Send details to select by industry", 1)[1])
    run_curl(stack, initiate_with_details)
    quote, lock, update, unlock = curl_commands(README.read_text().split("## REST API", 1)[1])
    run_curl(stack, quote)
    token = json.loads(run_curl(stack, lock))["LockToken"]
    assert '"Price": 950.0' in update
    for command in (update, unlock):
        run_curl(stack, command.replace("<LockToken>", token))
    view = httpx.get(f"{stack.requestor_url}/api/v1/orders/ORD-002").json()
    assert [(p["ProposalID"], p["ProposalDictObj"]["Price"]) for p in view["Proposals"]] == [("PROP-201", 950.0)]
