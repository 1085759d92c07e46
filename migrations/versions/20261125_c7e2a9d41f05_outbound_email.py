"""outbound email: the mail outbox (digests, escalations, notifications)

Revision ID: c7e2a9d41f05
Revises: 6a1f3c9e2b74
Create Date: 2026-11-25 03:20:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c7e2a9d41f05"
down_revision = "6a1f3c9e2b74"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outbound_email",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("failed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_outbound_email_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_email")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbound_email_dedupe_key")),
    )
    with op.batch_alter_table("outbound_email", schema=None) as batch_op:
        batch_op.create_index("ix_outbound_email_pending", ["sent_at", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbound_email_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("outbound_email", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbound_email_user_id"))
        batch_op.drop_index("ix_outbound_email_pending")
    op.drop_table("outbound_email")
