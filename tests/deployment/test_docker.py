"""The Dockerfiles and docker-compose file, checked statically (no Docker engine here)."""
from __future__ import annotations

import importlib.util
import json
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "deployment" / "docker"
SERVICES = {"processor": {"8001", "50051"}, "requestor": {"8000"}}


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
            for line in (raw.strip() for raw in text.splitlines()) if line and not line.startswith("#")]


@pytest.mark.parametrize("service", SERVICES)
def test_an_image_copies_only_what_runs_and_no_development_tooling(service):
    """Issue 15: the stack launcher and the local broker live in devtools/, which no image copies
    and no runtime module imports."""
    copied = {source for kind, args in instructions(DOCKER / f"{service}.dockerfile")
              if kind == "COPY" and "--from=" not in args for source in shlex.split(args)[:-1]}
    assert copied == {"pyproject.toml", "uv.lock", "README.md", "LICENSE", "shared", service}
    runtime = [*(ROOT / "shared").rglob("*.py"), *(ROOT / service).rglob("*.py")]
    importing = [str(p.relative_to(ROOT)) for p in runtime
                 if re.search(r"^\s*(from|import) (devtools|scripts|tests|bench)\b", p.read_text(), re.MULTILINE)]
    assert importing == []
    assert not [p for p in runtime if p.name in ("service_process.py", "local_broker.py")]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "docker-compose.yml").read_text())


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_copies_what_exists_runs_as_non_root_and_checks_health(service):
    steps = instructions(DOCKER / f"{service}.dockerfile")
    kinds = [kind for kind, _ in steps]
    assert kinds.count("FROM") == 2, "multi-stage: a build stage and a runtime stage"
    assert re.search(r"python:3\.11\.\d+-slim", (DOCKER / f"{service}.dockerfile").read_text()), "pinned Python base"
    for kind, args in steps:
        if kind == "COPY" and "--from=" not in args:
            for source in shlex.split(args)[:-1]:
                assert (ROOT / source).exists(), f"COPY source {source} is missing"
    user = [args for kind, args in steps if kind == "USER"]
    assert user and user[-1] not in ("root", "0")
    assert set(" ".join(args for kind, args in steps if kind == "EXPOSE").split()) == SERVICES[service]
    assert "HEALTHCHECK" in kinds
    command = json.loads(next(args for kind, args in reversed(steps) if kind == "CMD"))
    assert command[:2] == ["python", "-m"] and importlib.util.find_spec(command[2]) is not None


def uv_pins() -> dict[str, str]:
    """Where uv's version is pinned: the Makefile (the one the installs read) and the dev extra."""
    makefile = re.search(r"^UV_VERSION\s*:?=\s*(\S+)\s*$", (ROOT / "Makefile").read_text(), re.M)
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    return {"Makefile": makefile and makefile.group(1),
            "pyproject dev extra": next((d.split("==")[1] for d in dev if d.startswith("uv==")), None)}


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_installs_exactly_the_lock_with_the_pinned_uv(service):
    steps = instructions(DOCKER / f"{service}.dockerfile")
    starts = [i for i, (kind, _) in enumerate(steps) if kind == "FROM"]
    build = steps[starts[0]:starts[1]]
    arg = next(args for kind, args in build if kind == "ARG" and args.startswith("UV_VERSION="))
    assert set(uv_pins().values()) == {arg.split("=", 1)[1]}, f"uv pins disagree: {uv_pins()}, Dockerfile {arg}"
    runs = [args for kind, args in build if kind == "RUN"]
    assert any(re.search(r"pip install \S*uv==\$\{?UV_VERSION", run) for run in runs), \
        "uv installed at the pinned version"
    syncs = [shlex.split(run.split("&&")[0]) for run in runs if "uv sync" in run]
    assert syncs, "installed by `uv sync` from uv.lock"
    for sync in syncs:
        assert {"--frozen", "--no-editable"} <= set(sync), "the lock as is (never re-resolved), not editable"
        assert "msk-iam" in sync and "dev" not in sync, "runtime + the msk-iam extra, no dev tools"
    first_sync = next(i for i, (kind, args) in enumerate(build) if kind == "RUN" and "uv sync" in args)
    copied = [source for kind, args in build[:first_sync] if kind == "COPY" for source in shlex.split(args)[:-1]]
    assert "uv.lock" in copied, "uv.lock is copied before the install"
    assert not any(re.search(r"pip install (?!.*uv==)", run) for run in runs), "no unlocked pip install"
    env = " ".join(args for kind, args in build if kind == "ENV")
    assert "UV_PROJECT_ENVIRONMENT=/opt/venv" in env, "installed into the venv the runtime stage copies"
    assert any(kind == "COPY" and "--from=build" in args and "/opt/venv" in args for kind, args in steps)


def test_compose_services_ports_health_and_files(compose):
    services = compose["services"]
    assert {"kafka", "kafka-topics", "postgres", "processor", "requestor"} <= set(services)
    for name in ("kafka", "postgres", "processor", "requestor"):
        assert "healthcheck" in services[name], f"{name} has no health check"
    for name, ports in SERVICES.items():
        service = services[name]
        assert {p.rsplit(":", 2)[-1] for p in service["ports"]} == ports
        assert all(p.startswith("127.0.0.1:") for p in service["ports"]), f"{name} publishes beyond loopback"
        context = (DOCKER / service["build"]["context"]).resolve()
        assert context == ROOT and (context / service["build"]["dockerfile"]).exists()
        for env_file in service["env_file"]:
            assert (DOCKER / env_file).exists(), f"{env_file} is missing"
    assert services["processor"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["processor"]["depends_on"]["kafka-topics"]["condition"] == "service_completed_successfully"
    assert services["requestor"]["depends_on"]["processor"]["condition"] == "service_healthy"
    for volume in services["postgres"]["volumes"]:
        source = volume.split(":")[0]
        assert not source.startswith(".") or (DOCKER / source).exists()


def test_compose_creates_the_seed_topics(compose):
    script = compose["services"]["kafka-topics"]["command"][0]
    assert set(re.findall(r"\b[A-Z][A-Za-z_]+\b", script.split(";")[0])) >= {
        "BUYER_ACKNOWLEDGEMENTS", "BUYER_NOTIFY", "REQ_failures", "SELLER_ACKNOWLEDGEMENTS", "SELLER_NOTIFY",
        "PRP_FAILURES"}


def test_compose_env_files_are_settings_the_services_accept():
    from processor.app.config import ProcessorSettings
    from requestor.app.config import RequestorSettings

    for settings_type, env_file in ((ProcessorSettings, "processor.env"), (RequestorSettings, "requestor.env")):
        settings = settings_type(_env_file=DOCKER / env_file)
        assert settings.database_url.startswith("postgresql+asyncpg://")
        assert settings.kafka_bootstrap_servers == ["kafka:9092"]
