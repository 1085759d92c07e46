"""surveys and their responses, early-warning alerts, the frequent-flyer number on a segment

Revision ID: b7d4e2a9c615
Revises: b7d1f3a5c9e2
Create Date: 2026-12-07 01:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b7d4e2a9c615"
down_revision = "b7d1f3a5c9e2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum("quarterly", "complaint", name="survey_reason", native_enum=False, create_constraint=True, length=9),
            nullable=False,
        ),
        sa.Column("occasion", sa.String(length=40), nullable=False),
        sa.Column("interaction_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"], name=op.f("fk_survey_company_id_company")),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], name=op.f("fk_survey_contact_id_contact")),
        sa.ForeignKeyConstraint(
            ["interaction_id"], ["interaction.id"], name=op.f("fk_survey_interaction_id_interaction")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey")),
        sa.UniqueConstraint("contact_id", "occasion", name=op.f("uq_survey_contact_id_occasion")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_survey_token_hash")),
    )
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.create_index("ix_survey_company_sent", ["company_id", "sent_at"], unique=False)
    op.create_table(
        "survey_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("nps", sa.SmallInteger(), nullable=False),
        sa.Column("rating_booking", sa.SmallInteger(), nullable=False),
        sa.Column("rating_service", sa.SmallInteger(), nullable=False),
        sa.Column("rating_manager", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("nps BETWEEN 0 AND 10", name=op.f("ck_survey_response_nps_range")),
        sa.CheckConstraint("rating_booking BETWEEN 1 AND 5", name=op.f("ck_survey_response_rating_booking_range")),
        sa.CheckConstraint("rating_service BETWEEN 1 AND 5", name=op.f("ck_survey_response_rating_service_range")),
        sa.CheckConstraint("rating_manager BETWEEN 1 AND 5", name=op.f("ck_survey_response_rating_manager_range")),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_survey_response_company_id_company")
        ),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], name=op.f("fk_survey_response_survey_id_survey")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_response")),
        sa.UniqueConstraint("survey_id", name=op.f("uq_survey_response_survey_id")),
    )
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_response_company_answered", ["company_id", "answered_at"], unique=False
        )
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("churn", "roster", name="alert_kind", native_enum=False, create_constraint=True, length=6),
            nullable=False,
        ),
        sa.Column("episode", sa.String(length=10), nullable=False),
        sa.Column(
            "level",
            sa.Enum("warning", "flagged", name="alert_level", native_enum=False, create_constraint=True, length=7),
            nullable=False,
        ),
        sa.Column("reason", sa.JSON(), nullable=False),
        sa.Column("revenue_at_stake_fen", sa.BigInteger(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("flagged_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"], name=op.f("fk_alert_company_id_company")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        sa.UniqueConstraint("company_id", "kind", "episode", name=op.f("uq_alert_company_id_kind_episode")),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_company_id"), ["company_id"], unique=False)
        batch_op.create_index("ix_alert_open", ["kind", "closed_on"], unique=False)
    with op.batch_alter_table("segment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ff_number", sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table("segment", schema=None) as batch_op:
        batch_op.drop_column("ff_number")
    op.drop_table("alert")
    op.drop_table("survey_response")
    op.drop_table("survey")
