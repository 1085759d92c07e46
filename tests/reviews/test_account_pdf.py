"""Account and portfolio review PDFs: content, figures, fonts, injection (few renders: slow)."""

from datetime import date
from decimal import Decimal

from portal.agreements.models import IncentiveTier
from portal.reviews import generation
from portal.reviews.data import account_data
from portal.reviews.periods import parse
from tests.reviews.helpers import TODAY, known_company, pdf_fonts, pdf_text


def test_account_figures_hand_computed(world, db_session):
    company = known_company(db_session, world)
    world.agreement_a.valid_from, world.agreement_a.valid_to = date(2026, 1, 1), date(2026, 12, 31)
    db_session.add(
        IncentiveTier(
            agreement_id=world.agreement_a.id, threshold_percent=Decimal(1), rebate_percent=Decimal(2)
        )
    )
    db_session.flush()
    data = account_data(company.id, parse("2026Q3"), today=TODAY)
    cur, prev = data["kpis"]["current"], data["kpis"]["previous"]
    assert cur == {
        "revenue_fen": 600000,
        "segments": 3,
        "average_fare_fen": 200000,
        "premium_share": Decimal("50.0"),
        "travellers": 2,
    }
    assert prev["revenue_fen"] == 400000 and prev["segments"] == 1 and prev["travellers"] == 1
    assert data["kpis"]["growth_percent"] == Decimal("50.0")
    assert data["kpis"]["premium_share_change"] == Decimal("50.0")
    assert data["complaints"]["open_past_due"] == 1
    assert [m["revenue_fen"] for m in data["monthly"][-3:]] == [100000, 300000, 200000]
    # both routes earned 3,000 yuan: ties are ordered by route
    assert [(r["route"], r["segments"]) for r in data["routes"]] == [("PEK–CAN", 1), ("PEK–SHA", 2)]
    att = data["attainment"]
    assert att["number"] == world.agreement_a.number and att["revenue_fen"] == 1000000
    assert att["elapsed_percent"] == Decimal("74.8")  # 273 of 365 days at 2026-09-30
    assert att["tier_threshold"] == Decimal("1.00") and att["rebate_percent"] == Decimal("2.00")
    codes = [r["code"] for r in data["recommendations"]]
    assert "escalate_complaints" in codes and "upgrade_offer" in codes


def test_account_pdf_text_and_fonts(world, db_session, tmp_path):
    company = known_company(db_session, world)
    context = account_data(company.id, parse("2026Q3"), today=TODAY)
    result = generation.render_context(context, tmp_path / "a.pdf")
    assert result.refused == [] and result.pages >= 2
    text = pdf_text(result.path)
    assert "北京星河航天科技有限公司" in text
    assert "2026Q3" in text and "2026Q2" in text
    for figure in ("6,000.00", "4,000.00", "2,000.00", "+50%", "50%"):
        assert figure in text, figure
    assert "有逾期未结投诉：升级处理" in text
    assert "提供升舱优惠" in text
    compact = "".join(text.split())
    assert f"第2页/共{result.pages}页" in compact
    assert (
        text.count("北京星河航天科技有限公司") >= result.pages
    )  # cover + running header on every other page
    fonts = pdf_fonts(result.path)
    cjk = [line for line in fonts.splitlines() if "WenQuanYi" in line]
    assert cjk and all(" yes " in line for line in cjk)


def test_injection_prints_as_text(world, db_session, tmp_path):
    company = world.company_a
    company.name_zh = '星河<img src="file:///etc/passwd">公司'
    company.name_en = '<link rel="stylesheet" href="http://evil.example/x.css"> http://evil.example/a.png'
    db_session.flush()
    context = account_data(company.id, parse("2026"), today=TODAY)
    result = generation.render_context(context, tmp_path / "i.pdf")
    assert result.refused == []  # nothing was even tried: the markup is text
    text = pdf_text(result.path)
    assert '<img src="file:///etc/passwd">' in text
    assert "http://evil.example/a.png" in text
    assert "root:" not in text


def test_portfolio_pdf(world, db_session, tmp_path):
    context = generation.review_context(
        "portfolio", parse("2026Q3"), branch_id=world.branch_a.id, today=TODAY
    )
    result = generation.render_context(context, tmp_path / "p.pdf")
    text = pdf_text(result.path)
    assert "北京分公司" in text and "2026Q3" in text and "客户经理活动" in text and "等级分布" in text
