"""The README's seed flow, curl commands run as written (ports aside), against real processes."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("db_backend")]
README = Path(__file__).resolve().parents[2] / "README.md"


def seed_flow_commands() -> list[str]:
    section = README.read_text().split("## Try the seed flow", 1)[1]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
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


def test_readme_seed_flow(stack):
    commands = seed_flow_commands()
    assert len(commands) == 5 and "ORD-001" in commands[0]
    for command in commands:
        command = command.replace("localhost:8000", stack.requestor_url.removeprefix("http://"))
        command = command.replace("localhost:8001", stack.processor_url.removeprefix("http://"))
        result = subprocess.run(
            ["bash", "-c", command + " -s -w '\\n%{http_code}'"], capture_output=True, text=True, timeout=30
        )
        body, _, status = result.stdout.rpartition("\n")
        assert status.startswith("2"), f"{command}\n→ {status} {body}"

    view = httpx.get(f"{stack.requestor_url}/api/v1/orders/ORD-001").json()
    assert view["State"] == "Finalised" and view["WinningProposalID"] == "PROP-001"
    assert [(p["ProposalID"], p["State"]) for p in view["Proposals"]] == [("PROP-001", "Accepted")]
    assert view["FollowUps"][0]["Message"]["Message"] == "Please clarify delivery terms"
    assert view["FollowUps"][0]["Audience"] == ["PROP-001"]
