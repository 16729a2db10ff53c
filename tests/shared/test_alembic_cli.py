"""The real `alembic` command line, as a DBA runs it from the repository root (docs/operations.md)."""
import importlib
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from devtools.service_process import free_port
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head

ROOT = Path(__file__).resolve().parents[2]
ALEMBIC = Path(sys.executable).parent / "alembic"  # the CLI of the environment running the tests
SERVICES = ["processor", "requestor"]


def alembic(service: str, *args: str, database_url: str = "") -> str:
    """Run `alembic -c <service>/alembic.ini …`; DATABASE_URL as the service would read it."""
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run([str(ALEMBIC), "-c", f"{service}/alembic.ini", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=50)  # within the test's own 60 s
    assert done.returncode == 0, f"alembic {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def migrations(service: str) -> Path:
    return importlib.import_module(f"{service}.app.container").MIGRATIONS


def closed_port_url() -> str:
    return f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/nothing"  # nothing listens there


@pytest.mark.parametrize("service", SERVICES)
async def test_upgrade_from_the_cli_then_current_is_head_and_start_up_has_nothing_to_do(service, make_db_url, caplog):
    url = make_db_url(service)  # a fresh SQLite file, or a fresh PostgreSQL database (dropped after)
    head = ScriptDirectory(str(migrations(service))).get_current_head()

    alembic(service, "upgrade", "head", database_url=url)  # the URL from the service's DATABASE_URL
    assert alembic(service, "current", database_url=url).split() == [head, "(head)"]

    caplog.set_level(logging.INFO, logger="alembic")
    engine = make_engine(url)
    try:
        await upgrade_to_head(engine, migrations(service))
    finally:
        await engine.dispose()
    assert "Context impl" in caplog.text  # the start-up migration did run …
    assert "Running upgrade" not in caplog.text  # … and found the CLI's schema current


@pytest.mark.parametrize("service", SERVICES)
def test_history_lists_every_revision(service):
    history = alembic(service, "history")
    revisions = [script.revision for script in ScriptDirectory(str(migrations(service))).walk_revisions()]
    assert len(history.splitlines()) == len(revisions)
    for revision in revisions:
        assert f"-> {revision}" in history


@pytest.mark.parametrize("service", SERVICES)
def test_sql_for_a_dba_is_printed_without_connecting(service, tmp_path):
    # -x url wins over DATABASE_URL (SQLite here); nothing listens on the PostgreSQL port, so
    # success shows that no connection was tried.
    sql = alembic(service, "-x", f"url={closed_port_url()}", "upgrade", "head", "--sql",
                  database_url=f"sqlite+aiosqlite:///{tmp_path}/unused.db")
    head = ScriptDirectory(str(migrations(service))).get_current_head()
    assert sql.lstrip().startswith("BEGIN;") and sql.rstrip().endswith("COMMIT;")
    assert "CREATE TABLE alembic_version" in sql
    assert "CREATE TABLE orders" in sql and "JSONB" in sql  # PostgreSQL's dialect, not SQLite's
    assert f"SET version_num='{head}'" in sql
    assert not (tmp_path / "unused.db").exists()
