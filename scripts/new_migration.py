"""Autogenerate an Alembic revision for one service against a scratch SQLite database.

    python -m scripts.new_migration processor "add seller index"
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

ROOT = Path(__file__).resolve().parent.parent


def main(service: str, message: str) -> None:
    migrations = ROOT / service / "migrations"
    config = Config()
    config.set_main_option("script_location", str(migrations))
    # The new revision leaves lint-clean where ruff can make it so (import order, the template's
    # imports it does not use); what is left, `make lint` names.
    hooks = {"hooks": "ruff", "ruff.type": "module", "ruff.module": "ruff",
             "ruff.options": "check --fix --exit-zero --quiet REVISION_SCRIPT_FILENAME"}
    for name, value in hooks.items():
        config.set_section_option("post_write_hooks", name, value)
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/scratch.db")
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Autogenerate an Alembic revision for one service.")
    parser.add_argument("service", choices=["processor", "requestor"])
    parser.add_argument("message", help='what the revision does, e.g. "add seller index"')
    args = parser.parse_args()
    main(args.service, args.message)
