"""seller industry index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 08:52:16.252580
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('seller_industries',
    sa.Column('industry', sa.String(length=64), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lng', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.seller_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('industry', 'seller_id')
    )
    with op.batch_alter_table('seller_industries', schema=None) as batch_op:
        batch_op.create_index('ix_seller_industries_position', ['industry', 'lat', 'lng'], unique=False)
        batch_op.create_index('ix_seller_industries_seller', ['seller_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('seller_industries', schema=None) as batch_op:
        batch_op.drop_index('ix_seller_industries_seller')
        batch_op.drop_index('ix_seller_industries_position')

    op.drop_table('seller_industries')
