"""The demo world seed (DESIGN §6): what it makes, its invariants, its realism, its
determinism, and the `seed` command. Each backend gets its own freshly migrated databases."""

import hashlib
import math
import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from portal.agreements.models import Agreement, AgreementDiscount, IncentiveTier
from portal.audit.models import AuditEvent
from portal.auth.models import ROLES, User
from portal.auth.passwords import verify_password
from portal.companies import credit_code
from portal.companies.models import HEADCOUNT_BANDS, INDUSTRIES, Company, Interaction, Traveller
from portal.demo import reference
from portal.demo.seed import DEMO_LOGINS, seed_world
from portal.extensions import db
from portal.org.models import Branch, SalesOffice
from portal.quotas.models import PriorityRequest, Quota
from portal.reminders.models import Reminder
from portal.segments.models import Segment
from tests.conftest import drop_pg_database, make_app
from tests.segments.reference import assert_rollup_is_fresh

TODAY = date(2026, 6, 15)
SIZE = dict(companies=40, years=1)
SEED = 7

# Every table the seed writes, hashed whole for the determinism check (audit rows carry the
# wall-clock time and password hashes a random salt, so those two are left out).
FINGERPRINT_TABLES = (
    "branch",
    "sales_office",
    "user",
    "company",
    "contact",
    "manager_assignment",
    "traveller",
    "segment",
    "agreement",
    "agreement_discount",
    "incentive_tier",
    "agreement_event",
    "quota",
    "priority_request",
    "interaction",
    "reminder",
    "opportunity",
    "opportunity_stage_change",
    "station",
    "service_request",
)


def _fresh_app(fresh_database, kind, tmp_path_factory):
    url = fresh_database(kind)
    return make_app(url, tmp_path_factory.mktemp("data")), url


def _close(app, url) -> None:
    with app.app_context():
        db.engine.dispose()
    if url.startswith("postgresql"):
        drop_pg_database(url)


def _seeded(fresh_database, kind, tmp_path_factory, seed=SEED):
    app, url = _fresh_app(fresh_database, kind, tmp_path_factory)
    with app.app_context():
        summary = seed_world(**SIZE, seed=seed, progress=False, today=TODAY)
    return app, url, summary


def _fingerprint(app) -> str:
    digest = hashlib.sha256()
    with app.app_context():
        for name in FINGERPRINT_TABLES:
            table = db.metadata.tables[name]
            columns = [c for c in table.c if c.name != "password_hash"]
            for row in db.session.execute(select(*columns).order_by(table.c.id)):
                digest.update(repr(tuple(row)).encode())
        db.session.rollback()
    return digest.hexdigest()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(request, fresh_database, tmp_path_factory):
    """A fresh database of each backend with the small demo world in it."""
    app, url, summary = _seeded(fresh_database, request.param, tmp_path_factory)
    yield SimpleNamespace(app=app, url=url, summary=summary, kind=request.param)
    _close(app, url)


@pytest.fixture()
def session(seeded):
    with seeded.app.app_context():
        yield db.session
        db.session.rollback()


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _of_another_company(session, model, other, onclause) -> int:
    """How many rows of `model` are joined (on `onclause`) to a row of `other` that belongs to
    another company."""
    return session.scalar(
        select(func.count())
        .select_from(model)
        .join(other, onclause)
        .where(other.company_id != model.company_id)
    )


def test_organisation_and_staff(seeded, session):
    branches = session.scalars(select(Branch).order_by(Branch.id)).all()
    assert len(branches) == 6
    assert branches[0].city == "北京"
    for branch in branches:
        assert 2 <= len(branch.offices) <= 4
        heads = session.scalars(
            select(User)
            .join(SalesOffice)
            .where(User.role == "branch_head", SalesOffice.branch_id == branch.id)
        ).all()
        assert len(heads) == 1
    for office in session.scalars(select(SalesOffice)):
        assert _count(session, User, User.office_id == office.id, User.role == "account_manager") >= 1
    roles = set(session.scalars(select(User.role).distinct()))
    assert roles == set(ROLES)
    summary = seeded.summary
    assert summary["companies"] == _count(session, Company) == SIZE["companies"]
    assert summary["segments"] == _count(session, Segment)
    assert summary["users"] == _count(session, User)


def test_demo_logins(seeded, session):
    users = {u.email: u for u in session.scalars(select(User).where(User.email.in_(DEMO_LOGINS)))}
    assert set(users) == set(DEMO_LOGINS)
    password = seeded.app.config["DEMO_PASSWORD"]
    hashes = {u.password_hash for u in users.values()}  # one shared hash: scrypt is slow
    assert all(verify_password(h, password) for h in hashes)
    assert users["admin@demo.example"].role == "admin"
    assert users["management@demo.example"].role == "management"
    head, manager = users["head@demo.example"], users["manager@demo.example"]
    assert head.role == "branch_head" and head.office.branch.name_zh == "北京分公司"
    assert manager.role == "account_manager" and manager.office.branch_id == head.office.branch_id

    portfolio = session.scalars(select(Company).where(Company.manager_id == manager.id)).all()
    assert len(portfolio) >= 8
    booker, booker2 = users["booker@demo.example"], users["booker2@demo.example"]
    assert booker.role == booker2.role == "booker"
    assert booker.company_id != booker2.company_id
    for user in (booker, booker2):
        assert user.company.manager_id == manager.id
        assert user.company.status == "active"
        assert (
            _count(session, Agreement, Agreement.company_id == user.company_id, Agreement.status == "active")
            == 1
        )
        assert _count(session, Traveller, Traveller.company_id == user.company_id) >= 4
        assert _count(session, Segment, Segment.company_id == user.company_id) > 0


def test_stations_vip_travellers_and_services_on_tomorrows_flights(seeded, session):
    from portal.stations.models import SERVICE_ENTITLEMENT, ServiceRequest, Station

    station = session.scalar(select(User).where(User.email == "station@demo.example"))
    assert station.role == "station" and station.station.code == "PEK" and station.office_id is None
    assert session.scalar(select(Station.distribution).where(Station.code == "PEK")).count("@") == 4
    assert _count(session, Traveller, Traveller.vip_level != "none") >= 1
    tomorrow = TODAY + timedelta(days=1)
    rows = session.execute(
        select(ServiceRequest.service, PriorityRequest, Agreement)
        .join(PriorityRequest, PriorityRequest.id == ServiceRequest.request_id)
        .join(Quota, Quota.id == PriorityRequest.quota_id)
        .join(Agreement, Agreement.id == Quota.agreement_id)
    ).all()
    assert any(
        r.flight_date == tomorrow and r.origin == "PEK" and r.status == "confirmed" for _, r, _ in rows
    )
    for service, _request, agreement in rows:
        assert getattr(agreement, SERVICE_ENTITLEMENT[service]), (service, agreement.number)


def test_companies_are_well_formed(session):
    companies = session.scalars(select(Company)).all()
    codes = [c.credit_code for c in companies]
    assert all(credit_code.is_valid(code) for code in codes)
    assert len(set(codes)) == len(codes)
    names = [c.name_zh for c in companies]
    assert len(set(names)) == len(names)
    assert all(re.search(r"[\u4e00-\u9fff]", name) for name in names)
    assert all(c.name_en and c.address and c.city for c in companies)
    assert {c.industry for c in companies} <= set(INDUSTRIES)
    assert {c.headcount_band for c in companies} <= set(HEADCOUNT_BANDS)
    statuses = {c.status for c in companies}
    assert {"active", "prospect", "suspended"} <= statuses
    assert sum(c.status == "active" for c in companies) > len(companies) / 2
    # Groups: subsidiaries point at an existing parent that is not itself a subsidiary.
    by_id = {c.id: c for c in companies}
    children = [c for c in companies if c.parent_id is not None]
    assert children
    for child in children:
        parent = by_id[child.parent_id]
        assert parent.parent_id is None and parent.id < child.id
    # Prospects have no agreement in force.
    prospects = [c.id for c in companies if c.status == "prospect"]
    assert _count(session, Agreement, Agreement.company_id.in_(prospects), Agreement.status == "active") == 0


def test_segments_are_well_formed(session):
    total = _count(session, Segment)
    expected = 300 * SIZE["companies"] * SIZE["years"]
    assert 0.85 * expected <= total <= 1.15 * expected
    joined = session.scalar(select(func.count()).select_from(Segment).join(Company))
    assert joined == total
    distinct = session.scalar(
        select(func.count()).select_from(
            select(Segment.ticket_number, Segment.coupon_number).distinct().subquery()
        )
    )
    assert distinct == total
    assert session.scalar(select(func.min(Segment.flight_date))) >= TODAY - timedelta(
        days=365 * SIZE["years"]
    )
    assert session.scalar(select(func.max(Segment.flight_date))) <= TODAY

    # The traveller of a segment, when there is one, belongs to the segment's company.
    assert _of_another_company(session, Segment, Traveller, Traveller.id == Segment.traveller_id) == 0
    linked = _count(session, Segment, Segment.traveller_id.is_not(None))
    assert linked > total / 2

    classes = {cabin: {code for code, _, _ in rows} for cabin, rows in reference.FARE_CLASSES.items()}
    rows = session.execute(
        select(
            Segment.ticket_number,
            Segment.coupon_number,
            Segment.flight_number,
            Segment.origin,
            Segment.destination,
            Segment.cabin,
            Segment.fare_class,
            Segment.distance_km,
            Segment.traveller_name,
        )
    ).all()
    for ticket, coupon, flight, origin, destination, cabin, fare_class, distance, name in rows:
        assert re.fullmatch(r"999\d{10}", ticket)
        assert 1 <= coupon <= 4
        assert re.fullmatch(r"CA\d{3,4}", flight)
        assert fare_class in classes[cabin]
        assert distance == reference.great_circle_km(origin, destination)
        assert name
    cabins = defaultdict(int)
    for row in rows:
        cabins[row.cabin] += 1
    assert cabins["Y"] > 0.75 * total  # mostly economy
    assert cabins["C"] > 0.02 * total


def test_monthly_rollup_sums_every_segment(session):
    assert_rollup_is_fresh(session)


def test_fares_are_plausible(session):
    averages = {
        (origin, destination, cabin): average
        for origin, destination, cabin, average in session.execute(
            select(
                Segment.origin, Segment.destination, Segment.cabin, func.avg(Segment.net_revenue_fen)
            ).group_by(Segment.origin, Segment.destination, Segment.cabin)
        )
    }
    compared = 0
    for (origin, destination, cabin), average in averages.items():
        economy = averages.get((origin, destination, "Y"))
        if cabin in ("F", "C") and economy:
            assert average > 2 * economy, (origin, destination, cabin)
            compared += 1
        if cabin == "F" and (origin, destination, "C") in averages:
            assert average > averages[(origin, destination, "C")]
    assert compared >= 3
    economy_trunk = averages.get(("PEK", "SHA", "Y")) or averages.get(("SHA", "PEK", "Y"))
    assert economy_trunk is not None and 600_00 <= economy_trunk <= 1_600_00


def test_volume_is_heavy_tailed(session):
    revenue = sorted(
        (
            int(r)
            for r in session.scalars(select(func.sum(Segment.net_revenue_fen)).group_by(Segment.company_id))
        ),
        reverse=True,
    )
    top = math.ceil(SIZE["companies"] * 0.05)
    assert sum(revenue[:top]) >= 0.25 * sum(revenue)
    assert revenue[0] >= 5 * revenue[len(revenue) // 2]


def test_sleeping_and_lost_companies_exist(session):
    statement = select(Segment.company_id, func.max(Segment.flight_date)).group_by(Segment.company_id)
    last = dict(session.execute(statement).all())
    days = {
        c: (TODAY - last[c]).days if c in last else None
        for c in session.scalars(select(Company.id).where(Company.status != "closed"))
    }
    assert any(d is not None and d <= 90 for d in days.values())
    assert any(d is not None and 90 < d <= 365 for d in days.values())  # sleeping
    assert any(d is None or d > 365 for d in days.values())  # lost
    # Some of them hold an agreement: accounts gone quiet, not only prospects.
    quiet = [c for c, d in days.items() if d is None or d > 90]
    assert _count(session, Agreement, Agreement.company_id.in_(quiet), Agreement.status == "active") > 0


def test_agreements_are_consistent(session):
    agreements = session.scalars(select(Agreement)).all()
    assert {"active", "expired"} <= {a.status for a in agreements}
    assert {"draft", "pending_approval"} & {a.status for a in agreements}
    active_by_company = defaultdict(int)
    for agreement in agreements:
        assert agreement.valid_to > agreement.valid_from
        assert agreement.commitment_revenue_fen > 0 and agreement.commitment_segments > 0
        if agreement.status == "active":
            active_by_company[agreement.company_id] += 1
            assert agreement.valid_from <= TODAY <= agreement.valid_to
            assert agreement.approved_by_id and agreement.approved_by_id != agreement.author_id
            assert _count(session, AgreementDiscount, AgreementDiscount.agreement_id == agreement.id) >= 2
            tiers = session.execute(
                select(IncentiveTier.threshold_percent, IncentiveTier.rebate_percent)
                .where(IncentiveTier.agreement_id == agreement.id)
                .order_by(IncentiveTier.threshold_percent)
            ).all()
            assert len(tiers) >= 2
            rebates = [rebate for _, rebate in tiers]
            assert rebates == sorted(rebates) and rebates[0] < rebates[-1]
    assert active_by_company and max(active_by_company.values()) == 1
    renewed = aliased(Agreement)
    assert _of_another_company(session, Agreement, renewed, renewed.id == Agreement.renewed_from_id) == 0


def test_quotas_hold_their_invariant(session):
    quotas = session.scalars(select(Quota)).all()
    assert quotas
    this_month = TODAY.replace(day=1)
    assert {q.month for q in quotas} == {this_month, (this_month + timedelta(days=32)).replace(day=1)}
    for quota in quotas:
        assert 0 <= quota.used <= quota.seats
        confirmed = _count(
            session,
            PriorityRequest,
            PriorityRequest.quota_id == quota.id,
            PriorityRequest.status == "confirmed",
        )
        assert confirmed == quota.used
    agreements = session.scalars(
        select(Agreement).where(Agreement.id.in_({q.agreement_id for q in quotas}))
    ).all()
    assert all(a.status == "active" for a in agreements)


def test_interactions_and_reminders(session):
    kinds = dict(session.execute(select(Interaction.kind, func.count()).group_by(Interaction.kind)).all())
    assert {"visit", "call"} <= set(kinds)
    complaints = session.scalars(select(Interaction).where(Interaction.kind == "complaint")).all()
    assert all(c.complaint_status is not None for c in complaints)
    open_revisits = _count(session, Reminder, Reminder.kind == "revisit", Reminder.status == "open")
    assert open_revisits > 0
    overdue = _count(session, Reminder, Reminder.status == "open", Reminder.due_on <= TODAY)
    assert overdue > 0


def test_timeline_is_coherent(session):
    end_of_today = datetime.combine(TODAY + timedelta(days=1), datetime.min.time())
    for model in (Company, Agreement, Interaction, Reminder, Traveller, User):
        assert session.scalar(select(func.max(model.created_at))) < end_of_today, model
    assert session.scalar(select(func.max(Interaction.occurred_at))) < end_of_today
    assert session.scalar(select(func.max(PriorityRequest.requested_at))) < end_of_today
    early = session.scalar(
        select(func.count())
        .select_from(Agreement)
        .join(Company, Company.id == Agreement.company_id)
        .where(Agreement.created_at < Company.created_at)
    )
    assert early == 0
    # A request is made before its flight's departure (and closes 24 h before it).
    late = session.scalars(select(PriorityRequest)).all()
    assert all(r.requested_at <= r.departure_at - timedelta(hours=24) for r in late)


def test_seed_is_audited_and_new_rows_get_fresh_ids(seeded, session):
    assert _count(session, AuditEvent, AuditEvent.entity == "seed") == 1
    created_users = _count(
        session, AuditEvent, AuditEvent.entity == "user", AuditEvent.actor_label == "system:seed"
    )
    assert created_users == seeded.summary["users"]
    # Ids were written explicitly: the sequences (PostgreSQL) must have moved past them.
    before = session.scalar(select(func.max(Company.id)))
    office = session.scalars(select(SalesOffice)).first()
    company = Company(
        name_zh="序列测试有限公司",
        credit_code=credit_code.make("91110105MA0000000"),
        industry="technology",
        headcount_band="1-99",
        city="北京",
        office_id=office.id,
    )
    session.add(company)
    session.flush()
    assert company.id > before


def test_same_seed_same_world_other_seed_other_world(seeded, fresh_database, tmp_path_factory):
    again_app, again_url, again_summary = _seeded(fresh_database, seeded.kind, tmp_path_factory)
    other_app, other_url, _ = _seeded(fresh_database, seeded.kind, tmp_path_factory, seed=SEED + 1)
    try:
        assert {k: v for k, v in again_summary.items() if k != "seconds"} == {
            k: v for k, v in seeded.summary.items() if k != "seconds"
        }
        first = _fingerprint(seeded.app)
        assert _fingerprint(again_app) == first
        assert _fingerprint(other_app) != first
    finally:
        _close(again_app, again_url)
        _close(other_app, other_url)


def test_seed_command(seeded, fresh_database, tmp_path_factory):
    app, url = _fresh_app(fresh_database, seeded.kind, tmp_path_factory)
    try:
        runner = app.test_cli_runner()
        result = runner.invoke(args=["seed", "--companies", "6", "--years", "1", "--quiet"])
        assert result.exit_code == 0, result.output
        assert "companies: 6" in result.output
        assert all(email in result.output for email in DEMO_LOGINS)
        skipped = runner.invoke(args=["seed", "--if-empty", "--quiet"])
        assert skipped.exit_code == 0 and "skipped" in skipped.output
        refused = runner.invoke(args=["seed", "--quiet"])
        assert refused.exit_code != 0 and "already has data" in refused.output
        with app.app_context():
            assert _count(db.session, Company) == 6
    finally:
        _close(app, url)
