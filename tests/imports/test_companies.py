"""Company import with de-duplication, and merging two companies."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.companies import merge
from portal.companies.models import Company, Contact, Traveller
from portal.errors import ValidationFailed
from portal.imports.companies import normalize_name
from portal.imports.tasks import run_import
from portal.scoring.models import ScoreSnapshot
from portal.segments.models import Segment
from tests import factories
from tests.imports.files import COMPANY_HEADER, csv_bytes


@pytest.mark.parametrize(
    "a, b",
    [
        ("京华能源集团有限公司", "京华能源（集团）有限公司"),
        ("京华能源(集团)有限公司", "京华能源集团股份有限公司"),
        ("北京星河航天科技有限公司", "北京 星河航天科技 有限责任公司"),
        ("ＡＢＣ科技有限公司", "abc科技公司"),
        ("中关村·数据有限公司", "中关村数据有限公司"),
    ],
)
def test_normalised_names_are_equal(a, b):
    assert normalize_name(a) == normalize_name(b)


def test_different_names_stay_different():
    assert normalize_name("京华能源有限公司") != normalize_name("京华电力有限公司")
    assert normalize_name("有限公司")  # never stripped to nothing


def _row(name, code, office, **kw):
    return [
        name,
        kw.get("name_en", ""),
        code,
        kw.get("industry", "科技"),
        kw.get("headcount", "800"),
        kw.get("city", "北京"),
        kw.get("address", "海淀区中关村大街1号"),
        office,
        kw.get("manager", ""),
    ]


def test_company_import_dedups_inside_the_file_and_against_the_database(ctx, world, db_session):
    office = world.office_a.code
    codes = [factories.make_credit_code(90_000 + i) for i in range(6)]
    rows = [
        COMPANY_HEADER,
        _row(
            "华信云计算有限公司",
            codes[0],
            office,
            manager=world.manager_a1.email.upper(),
            name_en="Huaxin Cloud",
        ),
        _row("华信云计算(集团)有限公司", codes[1], office),  # same normalised name as line 2
        _row("长城精密制造有限公司", codes[0], office),  # same credit code as line 2
        _row("京华能源（集团）有限公司", codes[2], office),  # = the world's 京华能源集团有限公司
        _row("另一家公司", world.company_b.credit_code, office),  # credit code already in the portal
        _row(
            "南方物流股份有限公司", codes[3].lower(), office.lower(), industry="logistics", headcount="1-99"
        ),
        _row("错误代码有限公司", "91110000000000000X", office),
        _row("未知营业部有限公司", codes[4], "NOPE", industry="航天"),
        _row("", "", "", city=""),
    ]
    before = db_session.scalar(select(func.count()).select_from(Company))
    outcome = run_import("companies", csv_bytes(rows, encoding="gb18030"), "companies.csv")
    assert outcome.rows_total == 9
    assert outcome.rows_imported == 2
    assert db_session.scalar(select(func.count()).select_from(Company)) == before + 2
    by_line = {}
    for entry in outcome.report:
        by_line.setdefault(entry["line"], []).append(entry)
    assert "Duplicate of line 2 (same name)" in by_line[3][0]["reason"]
    assert "Duplicate of line 2 (same credit code)" in by_line[4][0]["reason"]
    assert f"company {world.company_a2.id} (same name)" in by_line[5][0]["reason"]
    assert f"company {world.company_b.id} (same credit code)" in by_line[6][0]["reason"]
    assert by_line[8][0]["column"] == "统一社会信用代码"
    assert {e["column"] for e in by_line[9]} == {"行业", "营业部"}
    assert {e["column"] for e in by_line[10]} >= {"公司名称", "统一社会信用代码", "城市", "营业部"}
    huaxin = db_session.scalar(select(Company).where(Company.credit_code == codes[0]))
    assert (huaxin.manager_id, huaxin.headcount_band, huaxin.status, huaxin.name_en) == (
        world.manager_a1.id,
        "500-1999",
        "prospect",
        "Huaxin Cloud",
    )
    south = db_session.scalar(select(Company).where(Company.credit_code == codes[3]))
    assert (south.industry, south.office_id) == ("logistics", world.office_a.id)
    # Importing the same file again adds nothing.
    again = run_import("companies", csv_bytes(rows, encoding="gb18030"), "companies.csv")
    assert again.rows_imported == 0
    assert db_session.scalar(select(func.count()).select_from(Company)) == before + 2


def _snapshot(session, company, day):
    session.add(
        ScoreSnapshot(
            company_id=company.id, score_date=day, revenue_fen=1, segments=1, premium_share=Decimal(0),
            growth=Decimal(0), recency_days=1, attainment=Decimal(0), pct_revenue=Decimal(1),
            pct_frequency=Decimal(1), pct_premium=Decimal(1), pct_growth=Decimal(1), pct_recency=Decimal(1),
            pct_attainment=Decimal(1), total=Decimal(1), rank=1, tier="standard", activity_status="active",
        )
    )  # fmt: skip
    session.flush()


def test_merge_moves_every_dependent_row_and_closes_the_absorbed(ctx, world, db_session):
    survivor, absorbed = world.company_a2, world.company_a
    factories.segment(db_session, absorbed, date(2026, 3, 1), 100_00)
    factories.segment(db_session, absorbed, date(2026, 3, 2), 200_00)
    child = factories.company(db_session, world.office_a, parent_id=absorbed.id)
    _snapshot(db_session, absorbed, date(2026, 2, 28))
    _snapshot(db_session, survivor, date(2026, 2, 28))
    db_session.commit()
    absorbed_id, survivor_id = absorbed.id, survivor.id
    plan = merge.plan_merge(survivor, absorbed)
    assert plan.conflicts == []
    assert plan.counts["segment"] == 2 and plan.counts["user"] == 1 and plan.counts["subsidiary"] == 1
    assert plan.deleted == {"score_snapshot": 1}
    merge.merge_companies(survivor, absorbed)
    db_session.commit()

    def count(model, column, company_id):
        return db_session.scalar(select(func.count()).select_from(model).where(column == company_id))

    assert count(Segment, Segment.company_id, absorbed_id) == 0
    assert count(Segment, Segment.company_id, survivor_id) == 2
    assert count(Contact, Contact.company_id, survivor_id) == 1
    assert count(Traveller, Traveller.company_id, survivor_id) == 1
    assert count(ScoreSnapshot, ScoreSnapshot.company_id, absorbed_id) == 0
    assert count(ScoreSnapshot, ScoreSnapshot.company_id, survivor_id) == 1
    assert db_session.get(User, world.booker_a.id).company_id == survivor_id
    assert db_session.get(Company, child.id).parent_id == survivor_id
    closed = db_session.get(Company, absorbed_id)
    assert closed.status == "closed" and closed.name_zh.startswith(f"[合并→{survivor_id}] ")
    assert world.agreement_a.company_id == survivor_id
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "merge")).all()
    assert {e.entity for e in events} >= {"segment", "contact", "traveller", "agreement", "user", "company"}
    assert next(e for e in events if e.entity == "segment").after["rows"] == 2
    with pytest.raises(ValidationFailed, match="already closed"):
        merge.plan_merge(survivor, closed)


def test_merge_with_a_conflicting_traveller_is_refused_and_changes_nothing(ctx, world, db_session):
    survivor, absorbed = world.company_a2, world.company_a
    factories.traveller(db_session, survivor, ff_number=world.traveller_a.ff_number)
    factories.segment(db_session, absorbed, date(2026, 3, 1), 100_00)
    db_session.commit()
    plan = merge.plan_merge(survivor, absorbed)
    assert len(plan.conflicts) == 1 and world.traveller_a.ff_number in plan.conflicts[0]
    with pytest.raises(ValidationFailed, match="frequent-flyer number"):
        merge.merge_companies(survivor, absorbed)
    db_session.rollback()
    assert (
        db_session.scalar(select(func.count()).select_from(Segment).where(Segment.company_id == absorbed.id))
        == 1
    )
    assert db_session.get(Company, absorbed.id).status == "active"


def test_merge_refuses_itself_and_finds_by_code_or_id(ctx, world, db_session):
    assert merge.find_company(str(world.company_a.id)).id == world.company_a.id
    assert merge.find_company(world.company_b.credit_code.lower()).id == world.company_b.id
    assert merge.find_company("nothing") is None
    with pytest.raises(ValidationFailed, match="cannot absorb itself"):
        merge.plan_merge(world.company_a, world.company_a)
