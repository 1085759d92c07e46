"""bounded renders: a review's in-flight key and start time; render slots

Revision ID: 5c3a8e1f7b42
Revises: 4f2b8c6d1e93
Create Date: 2026-12-07 00:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5c3a8e1f7b42"
down_revision = "4f2b8c6d1e93"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("review", sa.Column("in_flight_key", sa.String(length=60), nullable=True))
    op.add_column("review", sa.Column("started_at", sa.DateTime(), nullable=True))
    op.create_index("uq_review_in_flight_key", "review", ["in_flight_key"], unique=True)
    op.create_table(
        "render_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pool", sa.String(length=60), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_render_slot")),
        sa.UniqueConstraint("pool", "slot", name=op.f("uq_render_slot_pool_slot")),
    )


def downgrade():
    op.drop_table("render_slot")
    op.drop_index("uq_review_in_flight_key", table_name="review")
    with op.batch_alter_table("review") as batch:
        batch.drop_column("started_at")
        batch.drop_column("in_flight_key")
