"""/api/v1 resources: the same rules as the pages, problem documents, scopes, company binding."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.scoring.models import ScoreSnapshot
from portal.segments.models import Segment
from tests import factories
from tests.api.helpers import api_client, bearer
from tests.quotas.helpers import flight_day, quota

PROBLEM = "application/problem+json"


@pytest.fixture()
def api(app, db_session, world):
    """An unbound client with every scope, and a client bound to company A."""
    with app.test_request_context():
        _, token = api_client(db_session, "reservation-system")
        _, bound = api_client(db_session, "tmc-a", company=world.company_a)
    return type("Api", (), {"token": token, "bound": bound})


def test_companies_page_by_cursor_and_filter(client, api, world):
    first = client.get("/api/v1/companies?limit=2", headers=bearer(api.token))
    assert first.status_code == 200
    body = first.get_json()
    assert [c["id"] for c in body["items"]] == sorted(
        [world.company_a.id, world.company_a2.id, world.company_b.id]
    )[:2]
    second = client.get(f"/api/v1/companies?limit=2&cursor={body['next_cursor']}", headers=bearer(api.token))
    rest = second.get_json()
    assert [c["id"] for c in rest["items"]] == [
        max(world.company_a.id, world.company_a2.id, world.company_b.id)
    ]
    assert rest["next_cursor"] is None
    by_office = client.get(
        f"/api/v1/companies?office_id={world.office_b.id}", headers=bearer(api.token)
    ).get_json()
    assert [c["name_zh"] for c in by_office["items"]] == ["上海浦江金融控股有限公司"]
    since = client.get("/api/v1/companies?updated_since=2999-01-01T00:00:00Z", headers=bearer(api.token))
    assert since.get_json()["items"] == []


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=abc",
        "tier=diamond",
        "office_id=-1",
        "updated_since=yesterday",
        "office_id=99999999999999999999",
        "cursor=" + "x" * 41,
    ],
)
def test_bad_query_values_are_422_problems_with_field_errors(client, api, query):
    response = client.get(f"/api/v1/companies?{query}", headers=bearer(api.token))
    assert response.status_code == 422 and response.mimetype == PROBLEM
    problem = response.get_json()
    assert problem["status"] == 422 and problem["errors"]


@pytest.mark.parametrize("cursor", ["garbage!", "MA", "LTE", "OTk5OTk5OTk5OTk5OQ"])
def test_a_cursor_not_given_out_is_a_400(client, api, cursor):
    response = client.get(f"/api/v1/companies?cursor={cursor}", headers=bearer(api.token))
    assert response.status_code == 400 and response.mimetype == PROBLEM


def test_no_token_a_wrong_one_or_a_revoked_one_is_401(client, api, app, db_session):
    for headers in ({}, {"Authorization": "Bearer kap_nope"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/companies", headers=headers)
        assert response.status_code == 401 and response.mimetype == PROBLEM
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401(client, app, db_session, world):
    with app.test_request_context():
        expiring, token = api_client(db_session, "old", expires_on=date.today() + timedelta(days=1))
    expiring.expires_at -= timedelta(days=2)
    db_session.flush()
    assert client.get("/api/v1/companies", headers=bearer(token)).status_code == 401


def test_a_scope_the_client_lacks_is_403(client, app, db_session, world):
    with app.test_request_context():
        _, token = api_client(db_session, "bi", scopes=["scores:read"])
    response = client.get("/api/v1/companies", headers=bearer(token))
    assert response.status_code == 403 and "companies:read" in response.get_json()["detail"]
    response = client.post("/api/v1/segments", json={"segments": []}, headers=bearer(token))
    assert response.status_code == 403


def test_a_company_bound_client_sees_only_its_company(client, api, world, db_session):
    q = quota(db_session, world.agreement_b)
    request_b = factories_request(db_session, q, world.traveller_b)
    listing = client.get("/api/v1/companies", headers=bearer(api.bound)).get_json()
    assert [c["id"] for c in listing["items"]] == [world.company_a.id]
    assert client.get(f"/api/v1/companies/{world.company_a.id}", headers=bearer(api.bound)).status_code == 200
    other = world.company_b.id
    for path in (
        f"/api/v1/companies/{other}",
        f"/api/v1/companies/{other}/score",
        f"/api/v1/companies/{other}/scores",
        f"/api/v1/companies/{other}/agreements",
        f"/api/v1/agreements/{world.agreement_b.id}",
        f"/api/v1/companies/{other}/quotas",
        f"/api/v1/companies/{other}/requests",
    ):
        response = client.get(path, headers=bearer(api.bound))
        assert response.status_code == 404, path
        assert "上海" not in response.get_data(as_text=True)
    for path, payload in (
        (f"/api/v1/requests/{request_b.id}/cancel", None),
        (f"/api/v1/companies/{other}/interactions", {"kind": "feedback", "summary": "hi"}),
        (
            f"/api/v1/companies/{other}/requests",
            {
                "traveller_id": world.traveller_b.id,
                "flight_number": "CA1501",
                "flight_date": flight_day().isoformat(),
                "origin": "PEK",
                "destination": "SHA",
                "cabin": "Y",
            },
        ),
    ):
        assert client.post(path, json=payload, headers=bearer(api.bound)).status_code == 404, path
    db_session.refresh(request_b)
    assert request_b.status == "confirmed"


def factories_request(session, quota_obj, traveller):
    from tests.quotas.helpers import priority_request

    return priority_request(session, quota_obj, traveller)


def test_scores_current_and_history(client, api, world, db_session):
    path = f"/api/v1/companies/{world.company_a.id}/score"
    assert client.get(path, headers=bearer(api.token)).status_code == 404
    for n, day in enumerate((date(2026, 9, 30), date(2026, 10, 31))):
        db_session.add(
            ScoreSnapshot(
                company_id=world.company_a.id,
                score_date=day,
                revenue_fen=100_00 * (n + 1),
                segments=3,
                premium_share=Decimal("0.1"),
                growth=Decimal("0"),
                recency_days=4,
                attainment=Decimal("0.5"),
                pct_revenue=Decimal("50"),
                pct_frequency=Decimal("50"),
                pct_premium=Decimal("50"),
                pct_growth=Decimal("50"),
                pct_recency=Decimal("50"),
                pct_attainment=Decimal("50"),
                total=Decimal(60 + n),
                rank=2 - n,
                tier="gold",
                activity_status="active",
            )
        )
    db_session.flush()
    current = client.get(path, headers=bearer(api.token)).get_json()
    assert current["score_date"] == "2026-10-31" and current["total"] == "61.00" and current["rank"] == 1
    history = client.get(path + "s?limit=1", headers=bearer(api.bound)).get_json()
    assert [h["score_date"] for h in history] == ["2026-10-31"]


def test_agreements_carry_their_terms_and_a_bound_client_sees_no_drafts(client, api, world, db_session):
    factories.agreement(db_session, world.company_a, status="draft")
    staff = client.get(
        f"/api/v1/companies/{world.company_a.id}/agreements", headers=bearer(api.token)
    ).get_json()
    booker = client.get(
        f"/api/v1/companies/{world.company_a.id}/agreements", headers=bearer(api.bound)
    ).get_json()
    assert sorted(a["status"] for a in staff) == ["active", "draft"]
    assert [a["status"] for a in booker] == ["active"]
    one = client.get(f"/api/v1/agreements/{world.agreement_a.id}", headers=bearer(api.bound)).get_json()
    assert one["discounts"] == [
        {"scope": "domestic", "origin": None, "destination": None, "cabin": "Y", "percent": "12.50"}
    ]
    assert "priority_booking" in one["entitlements"] and "internal_notes" not in one


def test_quota_balances(client, api, world, db_session):
    q = quota(db_session, world.agreement_a, seats=3)
    month = q.month.strftime("%Y-%m")
    rows = client.get(
        f"/api/v1/companies/{world.company_a.id}/quotas?month={month}", headers=bearer(api.bound)
    )
    assert rows.get_json() == [
        {
            "id": q.id,
            "agreement_id": world.agreement_a.id,
            "origin": "PEK",
            "destination": "SHA",
            "cabin": "Y",
            "month": q.month.isoformat(),
            "seats": 3,
            "confirmed": 0,
            "left": 3,
            "waitlisted": 0,
        }
    ]
    assert (
        client.get(
            f"/api/v1/companies/{world.company_a.id}/quotas?month=2026-13", headers=bearer(api.bound)
        ).status_code
        == 422
    )


def test_requests_confirm_waitlist_cancel_and_promote(client, api, world, db_session):
    quota(db_session, world.agreement_a, seats=1)
    other = factories.traveller(db_session, world.company_a, name="王五")
    path = f"/api/v1/companies/{world.company_a.id}/requests"
    payload = {
        "flight_number": "CA1501",
        "flight_date": flight_day().isoformat(),
        "origin": "PEK",
        "destination": "SHA",
        "cabin": "Y",
    }
    first = client.post(
        path, json={**payload, "traveller_id": world.traveller_a.id}, headers=bearer(api.bound)
    )
    assert first.status_code == 201 and first.get_json()["status"] == "confirmed"
    second = client.post(path, json={**payload, "traveller_id": other.id}, headers=bearer(api.bound))
    assert second.get_json()["status"] == "waitlisted"
    again = client.post(path, json={**payload, "traveller_id": other.id}, headers=bearer(api.bound))
    assert again.status_code == 422 and "traveller_id" in again.get_json()["errors"]
    foreign = client.post(
        path, json={**payload, "traveller_id": world.traveller_b.id}, headers=bearer(api.bound)
    )
    assert foreign.status_code == 422
    cancelled = client.post(f"/api/v1/requests/{first.get_json()['id']}/cancel", headers=bearer(api.bound))
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    listed = client.get(path, headers=bearer(api.bound)).get_json()
    assert {r["traveller_name"]: r["status"] for r in listed}[other.name] == "confirmed"
    twice = client.post(f"/api/v1/requests/{first.get_json()['id']}/cancel", headers=bearer(api.bound))
    assert twice.status_code == 422


def test_interactions_from_other_systems(client, api, world, db_session):
    path = f"/api/v1/companies/{world.company_a.id}/interactions"
    note = client.post(
        path, json={"kind": "call", "summary": "Called from the CRM bridge"}, headers=bearer(api.token)
    )
    assert note.status_code == 201 and note.get_json()["kind"] == "call"
    feedback = client.post(
        path, json={"kind": "feedback", "summary": "Great service"}, headers=bearer(api.bound)
    )
    assert feedback.status_code == 201
    assert (
        client.post(path, json={"kind": "visit", "summary": "x"}, headers=bearer(api.bound)).status_code
        == 403
    )
    future = client.post(
        path,
        json={"kind": "call", "summary": "x", "occurred_at": "2999-01-01T00:00:00Z"},
        headers=bearer(api.token),
    )
    assert future.status_code == 422 and "occurred_at" in future.get_json()["errors"]


def _coupon(n: int, world, **over):
    return {
        "ticket_number": f"7812345{n:06d}",
        "coupon_number": 1,
        "credit_code": world.company_a.credit_code,
        "traveller": "张三",
        "flight_number": "CA1501",
        "flight_date": "2026-10-01",
        "origin": "PEK",
        "destination": "SHA",
        "cabin": "Y",
        "net_revenue": "1234.50",
        "distance_km": 1088,
    } | over


def test_segment_ingest_reports_each_row_and_twice_changes_nothing(client, api, world, db_session):
    batch = [
        _coupon(1, world),
        _coupon(2, world, fare_class="J", cabin=None),
        _coupon(3, world, origin="PEKING", flight_date="2026-02-30"),
        _coupon(1, world),
        _coupon(4, world, traveller=""),
    ]
    english = {**bearer(api.token), "Accept-Language": "en"}
    response = client.post("/api/v1/segments", json={"segments": batch}, headers=english)
    assert response.status_code == 200, response.get_data(as_text=True)
    report = response.get_json()
    assert (report["created"], report["existing"], report["rejected"]) == (2, 0, 3)
    results = {r["index"]: r for r in report["results"]}
    assert results[0]["result"] == "created" and results[1]["result"] == "created"
    reasons = {e["column"]: e["reason"] for e in results[2]["errors"]}
    assert reasons["origin"] == "PEKING is not a three-letter IATA airport code."
    assert "flight_date" in reasons
    assert "Duplicate of line 1" in results[3]["errors"][0]["reason"]
    assert results[4]["errors"] == [{"column": "traveller", "reason": "The traveller's name is missing."}]
    count = db_session.scalar(select(func.count()).select_from(Segment))
    again = client.post("/api/v1/segments", json={"segments": batch}, headers=bearer(api.token)).get_json()
    assert (again["created"], again["existing"], again["rejected"]) == (0, 2, 3)
    assert "PEKING 不是 IATA 三字机场代码。" in [e["reason"] for e in again["results"][2]["errors"]]
    assert db_session.scalar(select(func.count()).select_from(Segment)) == count == 2


def test_segment_ingest_refuses_too_many_or_a_bound_client(client, api, world):
    many = {"segments": [_coupon(n, world) for n in range(5_001)]}
    response = client.post("/api/v1/segments", json=many, headers=bearer(api.token))
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert (
        client.post(
            "/api/v1/segments", json={"segments": [_coupon(1, world)]}, headers=bearer(api.bound)
        ).status_code
        == 403
    )
    typed = [_coupon(1, world, traveller={"name": "x"}), _coupon(2, world, net_revenue=True)]
    for body in ({}, {"segments": "x"}, {"segments": [1, 2]}, [], "null", {"segments": typed}):
        r = client.post("/api/v1/segments", json=body, headers=bearer(api.token))
        assert r.status_code == 422 and r.mimetype == PROBLEM, body
    raw = client.post(
        "/api/v1/segments",
        data="{not json",
        headers={**bearer(api.token), "Content-Type": "application/json"},
    )
    assert raw.status_code in (400, 422) and raw.mimetype == PROBLEM


def test_every_call_is_audited_with_client_method_path_and_status(client, api, world, db_session):
    client.get(f"/api/v1/companies/{world.company_b.id}", headers=bearer(api.bound))
    client.get("/api/v1/companies?limit=1", headers=bearer(api.token))
    client.get("/api/v1/companies")
    calls = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "api_call").order_by(AuditEvent.id)
    ).all()
    assert [(c.actor_label, c.after["method"], c.after["path"], c.after["status"]) for c in calls] == [
        ("api:tmc-a", "GET", f"/api/v1/companies/{world.company_b.id}", 404),
        ("api:reservation-system", "GET", "/api/v1/companies?limit=1", 200),
        ("api:anonymous", "GET", "/api/v1/companies", 401),
    ]
    created = client.post(
        f"/api/v1/companies/{world.company_a.id}/interactions",
        json={"kind": "call", "summary": "x"},
        headers=bearer(api.token),
    ).get_json()
    change = db_session.scalar(
        select(AuditEvent).where(AuditEvent.entity == "interaction", AuditEvent.entity_id == created["id"])
    )
    assert change.actor_label == "api:reservation-system"


def test_openapi_document_and_reference_page(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    for path in ("/api/v1/companies", "/api/v1/companies/{company_id}", "/api/v1/segments"):
        assert path in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "vendor/redoc/redoc.standalone.js" in page.get_data(as_text=True)
    assert "cdn" not in page.get_data(as_text=True).lower()


def test_the_company_list_writes_each_company_as_the_schema_does(client, api, world, db_session):
    from blueprints.api.schemas import CompanySchema
    from portal.companies.models import Company

    world.company_a.score, world.company_a.tier = Decimal("61.5"), "gold"
    db_session.flush()
    listed = client.get("/api/v1/companies", headers=bearer(api.token)).get_json()["items"]
    dumped = CompanySchema(many=True).dump(db_session.scalars(select(Company).order_by(Company.id)).all())
    assert listed == dumped
    assert listed[0]["score"] == "61.50" and listed[0]["updated_at"].endswith("Z")


def test_segment_keys_other_than_the_documented_ones_are_left_out(client, api, world):
    response = client.post(
        "/api/v1/segments",
        json={"segments": [_coupon(9, world) | {"TO": [], "traveller_name": {"x": 1}}]},
        headers=bearer(api.token),
    )
    assert response.status_code == 200 and response.get_json()["created"] == 1


def test_segment_rows_load_as_the_row_schema_loads_them():
    # Plainly right rows skip the per-row schema (SegmentList); the result must be the same.
    from blueprints.api.schemas import SegmentBatch, SegmentInput

    rows = [
        {"ticket_number": "7812345000001", "coupon_number": 1, "cabin": None, "TO": [], "x": {"y": 1}},
        {"traveller": "张三", "net_revenue": 12.5, "distance_km": 1088, "traveller_name": "李四"},
        {},
    ]
    assert SegmentBatch().load({"segments": rows}) == {"segments": SegmentInput(many=True).load(rows)}


def test_segment_ingest_tells_new_rows_from_those_already_there(client, api, world):
    first = [_coupon(1, world), _coupon(2, world)]
    posted = client.post("/api/v1/segments", json={"segments": first}, headers=bearer(api.token))
    assert posted.status_code == 200
    batch = [_coupon(3, world), _coupon(2, world), _coupon(4, world, origin="PEKING"), _coupon(1, world)]
    report = client.post("/api/v1/segments", json={"segments": batch}, headers=bearer(api.token)).get_json()
    assert (report["created"], report["existing"], report["rejected"]) == (1, 2, 1)
    assert [r["result"] for r in report["results"]] == ["created", "existing", "rejected", "existing"]
