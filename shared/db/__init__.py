"""Database plumbing shared by both services: async engine, sessions, Alembic at start-up."""
