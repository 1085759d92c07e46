"""stations and VIP service notices; the station role; traveller VIP level and needs; per-trip
services and the agreement entitlements that allow them

Revision ID: b7d1f3a5c9e2
Revises: a1c3e5f7b9d2
Create Date: 2026-12-07 01:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b7d1f3a5c9e2"
down_revision = "a1c3e5f7b9d2"
branch_labels = None
depends_on = None

OLD_ROLES = ("admin", "management", "branch_head", "account_manager", "booker")
NEW_ROLES = (*OLD_ROLES, "station")
SERVICES = ("ticket_pickup", "checkin_help", "escort", "lounge", "fast_track", "extra_baggage")
NEW_ENTITLEMENTS = ("ticket_pickup", "checkin_help", "escort")


def _roles_check(roles) -> str:
    return "role IN (" + ", ".join(f"'{r}'" for r in roles) + ")"


# SQLite's batch mode rebuilds the traveller table, which drops the search index's triggers on
# it (revision 3b8d5f1a9c27): they are made again after each rebuild, frozen here as there.
TRAVELLER_SEARCH_TRIGGERS = [
    "DROP TRIGGER IF EXISTS search_fts_traveller_ai",
    "DROP TRIGGER IF EXISTS search_fts_traveller_au",
    "DROP TRIGGER IF EXISTS search_fts_traveller_ad",
    "CREATE TRIGGER search_fts_traveller_ai AFTER INSERT ON \"traveller\" BEGIN INSERT INTO search_fts(rowid, body) VALUES (new.id * 4 + 2, coalesce(new.name, '') || ' ' || coalesce(new.name_en, '')); END",
    "CREATE TRIGGER search_fts_traveller_au AFTER UPDATE OF name, name_en ON \"traveller\" BEGIN DELETE FROM search_fts WHERE rowid = old.id * 4 + 2; INSERT INTO search_fts(rowid, body) VALUES (new.id * 4 + 2, coalesce(new.name, '') || ' ' || coalesce(new.name_en, '')); END",
    'CREATE TRIGGER search_fts_traveller_ad AFTER DELETE ON "traveller" BEGIN DELETE FROM search_fts WHERE rowid = old.id * 4 + 2; END',
]


def _restore_traveller_search_triggers():
    if op.get_bind().dialect.name == "sqlite":
        for statement in TRAVELLER_SEARCH_TRIGGERS:
            op.execute(statement)


def upgrade():
    op.create_table(
        "station",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("distribution", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station")),
        sa.UniqueConstraint("code", name=op.f("uq_station_code")),
    )
    op.create_table(
        "vip_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entries", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("pdf_path", sa.String(length=300), nullable=True),
        sa.Column("mailed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["station_id"], ["station.id"], name=op.f("fk_vip_notice_station_id_station")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vip_notice")),
        sa.UniqueConstraint(
            "station_id", "service_date", "seq", name=op.f("uq_vip_notice_station_id_service_date_seq")
        ),
    )
    op.create_table(
        "service_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column(
            "service",
            sa.Enum(*SERVICES, name="service", native_enum=False, create_constraint=True, length=13),
            nullable=False,
        ),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["done_by_id"], ["user.id"], name=op.f("fk_service_request_done_by_id_user")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["priority_request.id"],
            name=op.f("fk_service_request_request_id_priority_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_request")),
        sa.UniqueConstraint("request_id", "service", name=op.f("uq_service_request_request_id_service")),
    )
    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_request_request_id"), ["request_id"], unique=False)
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("station_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_user_station_id"), ["station_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_user_station_id_station"), "station", ["station_id"], ["id"]
        )
        batch_op.drop_constraint(op.f("ck_user_role"), type_="check")
        batch_op.create_check_constraint("role", _roles_check(NEW_ROLES))
    with op.batch_alter_table("traveller", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "vip_level",
                sa.Enum(
                    "none",
                    "vip",
                    "vvip",
                    name="vip_level",
                    native_enum=False,
                    create_constraint=True,
                    length=4,
                ),
                server_default="none",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("service_needs", sa.JSON(), nullable=True))
    _restore_traveller_search_triggers()
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        for name in NEW_ENTITLEMENTS:
            batch_op.add_column(sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_request_request_id"))
    op.drop_table("service_request")
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        for name in reversed(NEW_ENTITLEMENTS):
            batch_op.drop_column(name)
    with op.batch_alter_table("traveller", schema=None) as batch_op:
        batch_op.drop_column("service_needs")
        batch_op.drop_constraint(op.f("ck_traveller_vip_level"), type_="check")
        batch_op.drop_column("vip_level")
    _restore_traveller_search_triggers()
    # The old schema has no station role: station staff accounts go with it.
    op.execute("DELETE FROM \"user\" WHERE role = 'station'")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_role"), type_="check")
        batch_op.create_check_constraint("role", _roles_check(OLD_ROLES))
        batch_op.drop_constraint(batch_op.f("fk_user_station_id_station"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_user_station_id"))
        batch_op.drop_column("station_id")
    op.drop_table("vip_notice")
    op.drop_table("station")
