"""agreement terms events: the history records every change of a draft's terms

Revision ID: 4f2b8c6d1e93
Revises: 9d4e6b2c8a15
Create Date: 2026-12-07 00:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "4f2b8c6d1e93"
down_revision = "9d4e6b2c8a15"
branch_labels = None
depends_on = None


def upgrade():
    # Every existing event is a lifecycle transition: the server default says so.
    with op.batch_alter_table("agreement_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "status",
                    "terms",
                    name="agreement_event_kind",
                    native_enum=False,
                    create_constraint=True,
                ),
                server_default="status",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("changes", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("agreement_event", schema=None) as batch_op:
        batch_op.drop_column("changes")
        batch_op.drop_constraint(op.f("ck_agreement_event_agreement_event_kind"), type_="check")
        batch_op.drop_column("kind")
