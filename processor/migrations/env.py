"""Alembic environment for the processor database: at start-up (shared.db.migrate.upgrade_to_head)
or from the command line (alembic -c processor/alembic.ini …); both run shared.db.migrate.run_env."""
from processor.app.config import get_settings
from processor.app.store.tables import Base
from shared.db.migrate import run_env

run_env(Base.metadata, lambda: get_settings().resolved_database_url("processor"))
