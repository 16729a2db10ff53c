"""Alembic environment for the processor database (run by shared.db.migrate at start-up)."""
from processor.app.db.tables import Base
from shared.db.migrate import run_env

run_env(Base.metadata)
