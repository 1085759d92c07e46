"""Factories for the nouns, and a small known world for route and service tests."""

import itertools
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from werkzeug.security import generate_password_hash

from portal.agreements.models import Agreement, AgreementDiscount
from portal.auth.models import User
from portal.companies import credit_code
from portal.companies.models import Company, Contact, Interaction, Traveller
from portal.db import utcnow
from portal.org.models import Branch, SalesOffice

PASSWORD = "correct-horse-battery-77"
_HASH = None
_counter = itertools.count(1)


def password_hash() -> str:
    """One scrypt hash shared by every factory user, with a low work factor: the tests sign in
    hundreds of times, and verification reads the factor from the hash."""
    global _HASH
    if _HASH is None:
        _HASH = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
    return _HASH


def saved(session, obj):
    """`obj` added to the session and flushed (so it has its id); returned."""
    session.add(obj)
    session.flush()
    return obj


def csrf_from(response) -> str:
    """The CSRF token of the first form in a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.get_data(as_text=True))
    if not match:
        match = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no csrf_token in the page"
    return match.group(1)


def make_credit_code(n: int) -> str:
    """A valid credit code, different for every n."""
    return credit_code.make(f"9111{n:013d}"[:17].replace("I", "1"))


def branch(session, **kw) -> Branch:
    n = next(_counter)
    obj = Branch(
        code=kw.pop("code", f"B{n}"),
        name_zh=kw.pop("name_zh", f"第{n}分公司"),
        name_en=kw.pop("name_en", f"Branch {n}"),
        city=kw.pop("city", "北京"),
        **kw,
    )
    return saved(session, obj)


def office(session, branch_obj: Branch, **kw) -> SalesOffice:
    n = next(_counter)
    obj = SalesOffice(
        branch=branch_obj,
        code=kw.pop("code", f"O{n}"),
        name_zh=kw.pop("name_zh", f"第{n}营业部"),
        name_en=kw.pop("name_en", f"Office {n}"),
        city=kw.pop("city", branch_obj.city),
        **kw,
    )
    return saved(session, obj)


def user(
    session, role: str, office_obj: SalesOffice | None = None, company: Company | None = None, **kw
) -> User:
    n = next(_counter)
    obj = User(
        email=kw.pop("email", f"{role}{n}@test.example"),
        name=kw.pop("name", f"{role} {n}"),
        password_hash=password_hash(),
        role=role,
        office=office_obj if role != "booker" else None,
        company_id=company.id if company is not None else None,
        **kw,
    )
    return saved(session, obj)


def company(session, office_obj: SalesOffice, manager: User | None = None, **kw) -> Company:
    n = next(_counter)
    obj = Company(
        name_zh=kw.pop("name_zh", f"测试科技有限公司{n}"),
        name_en=kw.pop("name_en", f"Test Tech {n}"),
        credit_code=kw.pop("credit_code", make_credit_code(n)),
        industry=kw.pop("industry", "technology"),
        headcount_band=kw.pop("headcount_band", "500-1999"),
        city=kw.pop("city", "北京"),
        office=office_obj,
        manager_id=manager.id if manager else None,
        status=kw.pop("status", "active"),
        **kw,
    )
    return saved(session, obj)


def agreement(session, company_obj: Company, **kw) -> Agreement:
    n = next(_counter)
    today = date.today()
    obj = Agreement(
        number=kw.pop("number", f"AG-T{n:05d}"),
        company=company_obj,
        status=kw.pop("status", "active"),
        valid_from=kw.pop("valid_from", today - timedelta(days=100)),
        valid_to=kw.pop("valid_to", today + timedelta(days=265)),
        commitment_revenue_fen=kw.pop("commitment_revenue_fen", 500_000_00),
        commitment_segments=kw.pop("commitment_segments", 300),
        priority_booking=True,
        lounge=True,
        **kw,
    )
    obj.discounts.append(AgreementDiscount(scope="domestic", cabin="Y", percent=Decimal("12.5")))
    return saved(session, obj)


def contact(session, company_obj: Company, **kw) -> Contact:
    obj = Contact(
        company=company_obj, name=kw.pop("name", "王经理"), role=kw.pop("role", "travel_manager"), **kw
    )
    return saved(session, obj)


def traveller(session, company_obj: Company, **kw) -> Traveller:
    n = next(_counter)
    obj = Traveller(
        company=company_obj,
        name=kw.pop("name", f"旅客{n}"),
        ff_number=kw.pop("ff_number", f"CA{n:09d}"),
        **kw,
    )
    return saved(session, obj)


def interaction(session, company_obj: Company, **kw) -> Interaction:
    """A visit (or, with kind="complaint", an open complaint due in three days)."""
    kind = kw.pop("kind", "visit")
    now = utcnow()
    obj = Interaction(
        company_id=company_obj.id,
        kind=kind,
        occurred_at=kw.pop("occurred_at", now - timedelta(hours=2)),
        summary=kw.pop(
            "summary",
            "航班延误后行李未按时送达，旅客投诉。"
            if kind == "complaint"
            else "电话回访，了解下季度出行计划。",
        ),
        complaint_status=kw.pop("complaint_status", "open" if kind == "complaint" else None),
        due_at=kw.pop("due_at", now + timedelta(hours=72) if kind == "complaint" else None),
        **kw,
    )
    return saved(session, obj)


def document(session, company_obj: Company, *, kind: str = "licence", title: str = "营业执照", **kw):
    """A dossier document (without versions: tests that download upload a real file)."""
    from portal.companies.models import Document

    obj = Document(company_id=company_obj.id, kind=kind, title=title, **kw)
    return saved(session, obj)


class World:
    """Handles on the small world's rows."""


def small_world(session) -> World:
    """Two branches; an admin, management, a branch head per branch, two managers in branch A,
    one in branch B; companies: two of manager A1, one of manager B1; an open complaint on the
    first; a booker for each of the first two companies."""
    w = World()
    w.branch_a = branch(session, name_zh="北京分公司")
    w.branch_b = branch(session, name_zh="上海分公司", city="上海")
    w.office_a = office(session, w.branch_a, name_zh="朝阳营业部")
    w.office_b = office(session, w.branch_b, name_zh="浦东营业部", city="上海")
    w.admin = user(session, "admin", w.office_a)
    w.management = user(session, "management", w.office_a)
    w.head_a = user(session, "branch_head", w.office_a)
    w.head_b = user(session, "branch_head", w.office_b)
    w.manager_a1 = user(session, "account_manager", w.office_a, name="李经理")
    w.manager_a2 = user(session, "account_manager", w.office_a)
    w.manager_b1 = user(session, "account_manager", w.office_b)
    w.company_a = company(session, w.office_a, w.manager_a1, name_zh="北京星河航天科技有限公司")
    w.company_a2 = company(session, w.office_a, w.manager_a1, name_zh="京华能源集团有限公司")
    w.company_b = company(session, w.office_b, w.manager_b1, name_zh="上海浦江金融控股有限公司", city="上海")
    w.agreement_a = agreement(session, w.company_a)
    w.agreement_b = agreement(session, w.company_b)
    w.contact_a = contact(session, w.company_a)
    w.traveller_a = traveller(session, w.company_a)
    w.traveller_b = traveller(session, w.company_b)
    w.complaint_a = interaction(session, w.company_a, kind="complaint", author_id=w.manager_a1.id)
    w.document_a = document(session, w.company_a)
    w.booker_a = user(session, "booker", company=w.company_a)
    w.booker_b = user(session, "booker", company=w.company_b)
    w.opportunity_a = opportunity(session, w.company_a, w.manager_a1)
    return w


def segment(
    session, company_obj: Company | None, flight_date: date, revenue_fen: int, cabin: str = "Y", **kw
):
    """One flown coupon; ticket numbers are unique per call."""
    from portal.segments.models import Segment

    n = next(_counter)
    obj = Segment(
        ticket_number=kw.pop("ticket_number", f"999{n:010d}"),
        coupon_number=kw.pop("coupon_number", 1),
        company_id=company_obj.id if company_obj is not None else None,
        traveller_name=kw.pop("traveller_name", "张三"),
        flight_number=kw.pop("flight_number", "CA1501"),
        flight_date=flight_date,
        origin=kw.pop("origin", "PEK"),
        destination=kw.pop("destination", "SHA"),
        cabin=cabin,
        fare_class=kw.pop("fare_class", {"F": "F", "C": "J", "W": "W", "Y": "Y"}[cabin]),
        net_revenue_fen=revenue_fen,
        distance_km=kw.pop("distance_km", 1088),
        **kw,
    )
    session.add(obj)
    return obj


def snapshot(
    session, company_obj: Company, day: date, rank: int = 1, tier: str = "standard", status: str = "active"
):
    """A score snapshot of middling components with the given rank, tier and activity status."""
    from portal.scoring.models import ScoreSnapshot

    d = Decimal("50")
    obj = ScoreSnapshot(
        company_id=company_obj.id,
        score_date=day,
        revenue_fen=1,
        segments=1,
        premium_share=0,
        growth=0,
        recency_days=1,
        attainment=0,
        pct_revenue=d,
        pct_frequency=d,
        pct_premium=d,
        pct_growth=d,
        pct_recency=d,
        pct_attainment=d,
        total=d,
        rank=rank,
        tier=tier,
        activity_status=status,
    )
    return saved(session, obj)


def survey_answer(session, company_obj: Company, contact_obj: Contact, nps: int, answered_at: datetime, **kw):
    """A survey sent to the contact three days before `answered_at` and its answers then."""
    from portal.surveys.models import Survey, SurveyResponse

    n = next(_counter)
    sent_at = answered_at - timedelta(days=3)
    survey = Survey(
        company_id=company_obj.id,
        contact_id=contact_obj.id,
        reason="quarterly",
        occasion=f"test-{n}",
        token_hash=f"{n:064d}",
        sent_at=sent_at,
        expires_at=sent_at + timedelta(days=21),
        answered_at=answered_at,
    )
    saved(session, survey)
    response = SurveyResponse(
        survey_id=survey.id,
        company_id=company_obj.id,
        nps=nps,
        rating_booking=kw.pop("rating_booking", 4),
        rating_service=kw.pop("rating_service", 3),
        rating_manager=kw.pop("rating_manager", 5),
        comment=kw.pop("comment", None),
        language=kw.pop("language", "zh"),
        answered_at=answered_at,
    )
    return saved(session, response)


def opportunity(session, company_obj: Company, owner: User, **kw):
    """An opportunity (a lead by default) without stage history; the services write history."""
    from portal.pipeline.models import DEFAULT_PROBABILITY, Opportunity

    stage = kw.pop("stage", "lead")
    obj = Opportunity(
        company_id=company_obj.id,
        owner_id=owner.id,
        title=kw.pop("title", "二季度差旅协议扩容"),
        kind=kw.pop("kind", "upsell"),
        stage=stage,
        lost_reason=kw.pop("lost_reason", "price" if stage == "lost" else None),
        expected_revenue_fen=kw.pop("expected_revenue_fen", 1_000_000_00),
        probability=kw.pop("probability", DEFAULT_PROBABILITY[stage]),
        close_date=kw.pop("close_date", date.today() + timedelta(days=60)),
        **kw,
    )
    return saved(session, obj)


def reminder(session, company_obj: Company, assignee: User, due_on: date, **kw):
    """A pending revisit of the company assigned to `assignee`, due on `due_on`."""
    from portal.reminders.models import Reminder

    obj = Reminder(
        company_id=company_obj.id,
        assignee_id=assignee.id,
        kind=kw.pop("kind", "revisit"),
        title=kw.pop("title", "定期回访"),
        due_on=due_on,
        **kw,
    )
    return saved(session, obj)
