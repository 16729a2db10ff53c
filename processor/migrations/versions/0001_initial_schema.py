"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 07:57:06.066556
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shared.db.types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('orders',
    sa.Column('order_req_id', sa.String(length=128), nullable=False),
    sa.Column('session_id', sa.String(length=128), nullable=False),
    sa.Column('notification_type', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('expires_at', shared.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_at', shared.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('order_req_id')
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_active_expiry', ['state', 'expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_state'), ['state'], unique=False)

    op.create_table('sellers',
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('industries', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
              nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lng', sa.Float(), nullable=False),
    sa.Column('gchat_webhook', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('seller_id')
    )
    op.create_table('follow_ups',
    sa.Column('follow_up_id', sa.String(length=36), nullable=False),
    sa.Column('order_req_id', sa.String(length=128), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('proposal_id', sa.String(length=128), nullable=False),
    sa.Column('audience', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
              nullable=False),
    sa.Column('message', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', shared.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_req_id'], ['orders.order_req_id'], ),
    sa.PrimaryKeyConstraint('follow_up_id')
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_order_req_id'), ['order_req_id'], unique=False)

    op.create_table('invitations',
    sa.Column('order_req_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('distance_km', sa.Float(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['order_req_id'], ['orders.order_req_id'], ),
    sa.PrimaryKeyConstraint('order_req_id', 'seller_id')
    )
    op.create_table('order_events',
    sa.Column('order_req_id', sa.String(length=128), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('occurred_at', shared.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_req_id'], ['orders.order_req_id'], ),
    sa.PrimaryKeyConstraint('order_req_id', 'seq'),
    sa.UniqueConstraint('event_id')
    )
    op.create_table('proposals',
    sa.Column('proposal_id', sa.String(length=128), nullable=False),
    sa.Column('order_req_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('created_at', shared.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', shared.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_req_id'], ['orders.order_req_id'], ),
    sa.PrimaryKeyConstraint('proposal_id')
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_order_req_id'), ['order_req_id'], unique=False)

    op.create_table('edit_locks',
    sa.Column('proposal_id', sa.String(length=128), nullable=False),
    sa.Column('order_req_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('expires_at', shared.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.proposal_id'], ),
    sa.PrimaryKeyConstraint('proposal_id')
    )
    with op.batch_alter_table('edit_locks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_edit_locks_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_edit_locks_order_req_id'), ['order_req_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('edit_locks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_edit_locks_order_req_id'))
        batch_op.drop_index(batch_op.f('ix_edit_locks_expires_at'))

    op.drop_table('edit_locks')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_order_req_id'))

    op.drop_table('proposals')
    op.drop_table('order_events')
    op.drop_table('invitations')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_ups_order_req_id'))

    op.drop_table('follow_ups')
    op.drop_table('sellers')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_state'))
        batch_op.drop_index(batch_op.f('ix_orders_expires_at'))
        batch_op.drop_index('ix_orders_active_expiry')

    op.drop_table('orders')
