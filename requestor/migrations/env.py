"""Alembic environment for the requestor database: at start-up (shared.db.migrate.upgrade_to_head)
or from the command line (alembic -c requestor/alembic.ini …); both run shared.db.migrate.run_env."""
from requestor.app.config import get_settings
from requestor.app.store.tables import Base
from shared.db.migrate import run_env

run_env(Base.metadata, lambda: get_settings().resolved_database_url("requestor"))
