"""segment month: flown segments summed per company and month (scoring reads these)

Revision ID: 9d4e6b2c8a15
Revises: 3b8d5f1a9c27
Create Date: 2026-11-25 09:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "9d4e6b2c8a15"
down_revision = "3b8d5f1a9c27"
branch_labels = None
depends_on = None

# The first day of the flight's month, as each database writes a DATE.
MONTH_OF_FLIGHT = {
    "sqlite": "date(flight_date, 'start of month')",
    "postgresql": "CAST(date_trunc('month', flight_date) AS DATE)",
}


def upgrade():
    op.create_table(
        "segment_month",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("revenue_fen", sa.BigInteger(), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("premium_revenue_fen", sa.BigInteger(), nullable=False),
        sa.Column("last_flight", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_segment_month_company_id_company")
        ),
        sa.PrimaryKeyConstraint("company_id", "month", name=op.f("pk_segment_month")),
    )
    # Existing segments are summed at once, so an upgraded database is consistent.
    month = MONTH_OF_FLIGHT[op.get_bind().dialect.name]
    op.execute(
        "INSERT INTO segment_month"
        " (company_id, month, revenue_fen, segments, premium_revenue_fen, last_flight)"
        f" SELECT company_id, {month}, SUM(net_revenue_fen), COUNT(*),"
        " SUM(CASE WHEN cabin IN ('F', 'C') THEN net_revenue_fen ELSE 0 END), MAX(flight_date)"
        " FROM segment WHERE company_id IS NOT NULL"
        f" GROUP BY company_id, {month}"
    )


def downgrade():
    op.drop_table("segment_month")
