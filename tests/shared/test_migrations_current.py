"""Each service's Alembic migrations build exactly the schema its table models describe."""
import importlib

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine


@pytest.mark.parametrize("service", ["processor", "requestor"])
def test_migrations_match_models(service, tmp_path):
    tables = importlib.import_module(f"{service}.app.store.tables")
    migrations = importlib.import_module(f"{service}.app.container").MIGRATIONS
    config = Config()
    config.set_main_option("script_location", str(migrations))
    engine = create_engine(f"sqlite:///{tmp_path}/schema.db")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        differences = compare_metadata(MigrationContext.configure(connection), tables.Base.metadata)
    assert differences == [], f"models changed without a migration: python -m scripts.new_migration {service} '...'"
