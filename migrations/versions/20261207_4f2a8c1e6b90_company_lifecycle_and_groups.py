"""company lifecycle and groups: status changes with their reasons; reviews with subsidiaries

Revision ID: 4f2a8c1e6b90
Revises: e41b7c2d9a60
Create Date: 2026-12-07 00:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "4f2a8c1e6b90"
down_revision = "e41b7c2d9a60"
branch_labels = None
depends_on = None

STATUSES = ("prospect", "active", "suspended", "closed")


def upgrade():
    op.create_table(
        "company_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(*STATUSES, name="company_status_from", native_enum=False, create_constraint=True),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(*STATUSES, name="company_status_to", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user.id"], name=op.f("fk_company_status_change_actor_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_company_status_change_company_id_company")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_status_change")),
    )
    op.create_index(
        "ix_company_status_change_company_at", "company_status_change", ["company_id", "at"], unique=False
    )
    with op.batch_alter_table("review") as batch:
        batch.add_column(
            sa.Column("include_subsidiaries", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("review") as batch:
        batch.drop_column("include_subsidiaries")
    op.drop_index("ix_company_status_change_company_at", table_name="company_status_change")
    op.drop_table("company_status_change")
