"""Alembic environment for the requestor database (run by shared.db.migrate at start-up)."""
from requestor.app.db.tables import Base
from shared.db.migrate import run_env

run_env(Base.metadata)
