"""partial indexes: open complaints and waitlisted priority requests (the home at 10,000 companies)

Revision ID: c4e8a2f6d1b3
Revises: b7d4f1a9c3e8
Create Date: 2026-12-07 04:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4e8a2f6d1b3"
down_revision = "b7d4f1a9c3e8"
branch_labels = None
depends_on = None

OPEN_COMPLAINT = "kind = 'complaint' AND complaint_status <> 'resolved'"
WAITLISTED = "status = 'waitlisted'"


def upgrade():
    # Without them the home's overdue complaints and waitlist scan every interaction and every
    # priority request (bench/scale.py: 200,000 and 74,000 rows at 10,000 companies).
    op.create_index(
        "ix_interaction_open_complaint",
        "interaction",
        ["company_id", "due_at"],
        sqlite_where=sa.text(OPEN_COMPLAINT),
        postgresql_where=sa.text(OPEN_COMPLAINT),
    )
    op.create_index(
        "ix_priority_request_waitlisted",
        "priority_request",
        ["company_id", "departure_at"],
        sqlite_where=sa.text(WAITLISTED),
        postgresql_where=sa.text(WAITLISTED),
    )


def downgrade():
    op.drop_index("ix_priority_request_waitlisted", table_name="priority_request")
    op.drop_index("ix_interaction_open_complaint", table_name="interaction")
