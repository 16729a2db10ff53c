-- One database per service (each owns its schema, migrated by Alembic at start-up).
CREATE DATABASE processor;
CREATE DATABASE requestor;
