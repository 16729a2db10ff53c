"""idempotency keys per caller: each row names (a hash of) its caller, so a caller's keys can be capped

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 11:46:35.727868
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('caller', sa.String(length=64), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_idempotency_keys_caller'), ['caller'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_keys_caller'))
        batch_op.drop_column('caller')
