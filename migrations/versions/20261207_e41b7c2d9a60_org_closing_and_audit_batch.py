"""org closing and audit batch: branches and offices can be closed; bulk changes share a batch

Revision ID: e41b7c2d9a60
Revises: 5c3a8e1f7b42
Create Date: 2026-12-07 00:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e41b7c2d9a60"
down_revision = "5c3a8e1f7b42"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("branch", sa.Column("closed_at", sa.DateTime(), nullable=True))
    op.add_column("sales_office", sa.Column("closed_at", sa.DateTime(), nullable=True))
    op.add_column("audit_event", sa.Column("batch", sa.String(length=32), nullable=True))
    op.create_index("ix_audit_event_batch", "audit_event", ["batch"], unique=False)


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+ has it): a batch copy of the table would
    # have to drop tables that other rows reference.
    op.drop_index("ix_audit_event_batch", table_name="audit_event")
    op.drop_column("audit_event", "batch")
    op.drop_column("sales_office", "closed_at")
    op.drop_column("branch", "closed_at")
