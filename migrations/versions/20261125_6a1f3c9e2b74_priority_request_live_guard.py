"""priority request: one live request per traveller, flight and date

Revision ID: 6a1f3c9e2b74
Revises: 257b47d6cf80
Create Date: 2026-11-25 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6a1f3c9e2b74'
down_revision = '257b47d6cf80'
branch_labels = None
depends_on = None

LIVE = "status IN ('confirmed', 'waitlisted')"


def upgrade():
    # A partial unique index: the database's last word against the same traveller holding two
    # confirmed or waitlisted requests on one flight and date (quotas never double-book).
    op.create_index(
        'uq_priority_request_live_traveller_flight',
        'priority_request',
        ['traveller_id', 'flight_number', 'flight_date'],
        unique=True,
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )


def downgrade():
    op.drop_index('uq_priority_request_live_traveller_flight', table_name='priority_request')
