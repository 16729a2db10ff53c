"""Autogenerate an Alembic revision for one service against a scratch SQLite database.

    python scripts/new_migration.py processor "add seller index"
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(service: str, message: str) -> None:
    migrations = ROOT / service / "migrations"
    config = Config()
    config.set_main_option("script_location", str(migrations))
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/scratch.db")
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
