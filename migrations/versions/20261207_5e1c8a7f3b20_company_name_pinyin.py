"""company name pinyin: full pinyin and initials of name_zh, to search and sort by

Revision ID: 5e1c8a7f3b20
Revises: 4f2a8c1e6b90
Create Date: 2026-12-07 00:30:00.000000

"""

from alembic import op
import sqlalchemy as sa

from portal.companies.pinyin import name_keys


# revision identifiers, used by Alembic.
revision = "5e1c8a7f3b20"
down_revision = "4f2a8c1e6b90"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    op.add_column("company", sa.Column("name_pinyin", sa.String(length=400), nullable=True))
    op.add_column("company", sa.Column("name_initials", sa.String(length=200), nullable=True))
    op.create_index(op.f("ix_company_name_pinyin"), "company", ["name_pinyin"], unique=False)
    op.create_index(op.f("ix_company_name_initials"), "company", ["name_initials"], unique=False)
    # Existing companies get their keys at once, computed as every later write computes them.
    bind = op.get_bind()
    company = sa.table(
        "company",
        sa.column("id", sa.Integer),
        sa.column("name_zh", sa.String),
        sa.column("name_pinyin", sa.String),
        sa.column("name_initials", sa.String),
    )
    rows = bind.execute(sa.select(company.c.id, company.c.name_zh)).all()
    update = (
        company.update()
        .where(company.c.id == sa.bindparam("company_id"))
        .values(name_pinyin=sa.bindparam("pinyin"), name_initials=sa.bindparam("initials"))
    )
    for start in range(0, len(rows), BATCH):
        values = []
        for company_id, name_zh in rows[start : start + BATCH]:
            keys = name_keys(name_zh)
            values.append(
                {"company_id": company_id, "pinyin": keys["name_pinyin"], "initials": keys["name_initials"]}
            )
        bind.execute(update, values)


def downgrade():
    op.drop_index(op.f("ix_company_name_initials"), table_name="company")
    op.drop_index(op.f("ix_company_name_pinyin"), table_name="company")
    op.drop_column("company", "name_initials")
    op.drop_column("company", "name_pinyin")
