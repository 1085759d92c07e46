"""The audit viewer: searching the whole trail, one formatter for people, the CSV export."""

import csv
import io
from datetime import date, datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.audit import queries
from portal.audit.display import audit_line
from portal.audit.models import AuditEvent
from portal.auth import operations as accounts
from portal.org import operations as org
from tests import factories
from tests.conftest import sign_in


def _event(session, **kw) -> AuditEvent:
    values = dict(actor_label="someone@test.example", action="update", entity="company", entity_id=1)
    values.update(kw)
    event = AuditEvent(**values)
    session.add(event)
    session.flush()
    return event


def _found(session, **filters) -> list[int]:
    return [e.id for e in session.scalars(queries.search(queries.TrailFilter(**filters)))]


@pytest.fixture()
def trail(db_session, world):
    """Four known events, apart from whatever the world's creation wrote."""
    t = type("Trail", (), {})()
    # 2026-03-01 01:00 Asia/Shanghai is 2026-02-28 17:00 UTC: the local date decides
    t.late_feb_utc = _event(
        db_session,
        at=datetime(2026, 2, 28, 17, 0),
        actor_label="zhang@test.example",
        entity="company",
        entity_id=700_007,
        before={"status": "prospect"},
        after={"status": "active"},
    )
    t.refused = _event(
        db_session,
        at=datetime(2026, 3, 2, 3, 0),
        actor_label="li@test.example",
        action="refused",
        entity="request",
        entity_id=None,
        after={"reason": "role booker not allowed"},
    )
    t.user = _event(
        db_session,
        at=datetime(2026, 3, 5, 3, 0),
        actor_label="zhang@test.example",
        entity="user",
        entity_id=700_007,
        before={"role": "account_manager"},
        after={"role": "branch_head"},
        batch="a" * 32,
    )
    t.old = _event(
        db_session,
        at=datetime(2025, 1, 1, 3, 0),
        actor_label="wang@test.example",
        entity="company",
        entity_id=700_008,
        action="create",
        after={"name_zh": "旧公司"},
    )
    return t  # fmt: skip


def test_search_by_actor_entity_id_action_refused_dates_and_batch(app, db_session, trail):
    with app.app_context():
        assert _found(db_session, actor="ZHANG@") == [trail.user.id, trail.late_feb_utc.id]
        assert _found(db_session, actor="%") == []  # a LIKE wildcard is a plain character
        assert _found(db_session, entity="company", entity_id=700_007) == [trail.late_feb_utc.id]
        assert _found(db_session, entity_id=700_007) == [trail.user.id, trail.late_feb_utc.id]
        assert trail.old.id in _found(db_session, action="create")
        assert _found(db_session, refused_only=True, actor="li@") == [trail.refused.id]
        assert _found(db_session, refused_only=True, action="create", actor="li@") == [trail.refused.id]
        march = _found(db_session, date_from=date(2026, 3, 1), date_to=date(2026, 3, 5))
        assert march == [trail.user.id, trail.refused.id, trail.late_feb_utc.id]
        assert _found(db_session, date_from=date(2026, 3, 2), date_to=date(2026, 3, 2)) == [trail.refused.id]
        assert _found(db_session, batch="a" * 32) == [trail.user.id]


def test_one_formatter_labels_fields_and_translates_codes(app, db_session, trail):
    with app.test_request_context(), force_locale("en"):
        line = audit_line(trail.user)
        assert (line.action, line.entity) == ("Changed", "User account")
        [change] = line.changes
        assert (change.key, change.label, change.old, change.new) == (
            "role",
            "Role",
            "Account manager",
            "Branch head",
        )
        company = audit_line(trail.late_feb_utc).changes[0]
        assert (company.label, company.old, company.new) == ("Status", "Prospect", "Active")
        secret = _event(db_session, entity="user", before={"password_hash": "x", "is_enabled": True},
                        after={"password_hash": "y", "is_enabled": False})  # fmt: skip
        shown = {c.key: (c.label, c.old, c.new) for c in audit_line(secret).changes}
        assert shown == {"password_hash": ("Password", "***", "***"), "is_enabled": ("Enabled", "Yes", "No")}
        unknown = audit_line(_event(db_session, after={"some_column": "x" * 300, "status": "no-such-code"}))
        assert unknown.changes[0].label == "some_column" and unknown.changes[0].new.endswith("…")
        assert unknown.changes[1].new == "no-such-code"


def test_csv_rows_hold_labels_and_neutralise_formulas(app, db_session, world):
    event = _event(db_session, actor_label="=cmd@test.example", ip="10.0.0.9", after={"name_zh": "=1+1"})
    with app.test_request_context(), force_locale("en"):
        stmt = queries.search(queries.TrailFilter(entity_id=event.entity_id, actor="cmd@"))
        with_ip = "".join(queries.csv_chunks(stmt, with_ip=True))
        without_ip = "".join(queries.csv_chunks(stmt, with_ip=False))
    assert with_ip.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(with_ip.lstrip("\ufeff"))))
    assert rows[0][:3] == ["When (local time)", "Who", "Address"]
    assert rows[1][1] == "'=cmd@test.example" and rows[1][2] == "10.0.0.9"
    assert rows[1][7] == "Chinese name: =1+1"  # starts with a label: no formula
    assert "10.0.0.9" not in without_ip


def test_csv_export_is_bounded_and_read_in_chunks(app, db_session, world, monkeypatch):
    for i in range(7):
        _event(db_session, actor_label=f"bulk{i}@test.example")
    monkeypatch.setattr(queries, "EXPORT_CHUNK", 3)
    monkeypatch.setattr(queries, "EXPORT_LIMIT", 5)
    with app.test_request_context(), force_locale("en"):
        chunks = list(queries.csv_chunks(queries.search(queries.TrailFilter(actor="bulk")), with_ip=False))
    assert len(chunks) == 3  # the header, then 3 + 2 rows
    rows = list(csv.reader(io.StringIO("".join(chunks).lstrip("\ufeff"))))
    assert [r[1] for r in rows[1:]] == [f"bulk{i}@test.example" for i in (6, 5, 4, 3, 2)]


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["admin", "management"])
def test_admins_and_management_search_the_trail(client, db_session, world, trail, login, reader):
    login(getattr(world, reader))
    page = client.get("/audit/?actor=zhang&entity=user")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Branch head" in text and "Account manager" in text and "User account" in text
    assert f"/audit/?batch={'a' * 32}" in text.replace("&amp;", "&")
    assert "wang@" not in text


def test_the_trail_is_paginated(client, db_session, world, login):
    for i in range(55):
        _event(db_session, actor_label=f"page{i}@test.example")
    login(world.admin)
    first = client.get("/audit/?actor=page").get_data(as_text=True)
    assert first.count('data-action="update"') == 50 and "page=2" in first
    second = client.get("/audit/?actor=page&page=2").get_data(as_text=True)
    assert second.count('data-action="update"') == 5
    assert client.get("/audit/?actor=page&page=abc").status_code == 200
    # every kind of record the trail holds can be asked for, labelled or not
    assert client.get("/audit/?entity=agreement_discount").status_code == 200


@pytest.mark.parametrize(
    "query, message",
    [
        ("entity_id=abc", "Not a valid integer value."),
        ("entity_id=-4", "Number must be between 1 and 2147483647."),
        ("date_from=2026-13-45", "Not a valid date value."),
        ("date_from=2026-03-05&date_to=2026-03-01", "The end date is before the start date."),
        ("entity=no_such_table", "Not a valid choice."),
        ("action=explode", "Not a valid choice."),
        ("batch=../../etc", "Not a valid change."),
        ("actor=" + "x" * 300, "Field cannot be longer than 254 characters."),
    ],
)
def test_bad_filters_get_a_message_not_a_500(client, world, login, query, message):
    login(world.admin)
    for url in (f"/audit/?{query}", f"/audit/export.csv?{query}"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert message in response.get_data(as_text=True)


@pytest.mark.parametrize("reader, sees_ip", [("admin", True), ("management", False)])
def test_export_csv_streams_the_search_with_the_address_for_admins_only(
    client, db_session, world, trail, login, reader, sees_ip
):
    trail.user.ip = "10.1.2.3"
    db_session.flush()
    login(getattr(world, reader))
    response = client.get("/audit/export.csv?actor=zhang")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert "Branch head" in body and "wang@" not in body
    assert ("10.1.2.3" in body) is sees_ip


def test_an_export_wider_than_the_bound_asks_to_narrow_the_search(
    client, db_session, world, trail, login, monkeypatch
):
    monkeypatch.setattr(queries, "EXPORT_LIMIT", 1)
    login(world.admin)
    response = client.get("/audit/export.csv?actor=zhang")
    assert response.status_code == 302 and "/audit/?actor=zhang" in response.headers["Location"]
    assert "Narrow the search" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_dossier_audit_tab_uses_the_same_labels(client, db_session, world, login):
    with client.application.test_request_context():
        world.company_a.status = "suspended"
        db_session.flush()
    login(world.manager_a1)
    tab = client.get(f"/companies/{world.company_a.id}/audit").get_data(as_text=True)
    assert "Status" in tab and "<del>Active</del> → Suspended" in tab


def test_a_move_reads_as_one_change_in_the_viewer(client, db_session, world, login):
    login(world.admin)
    page = client.get(f"/org/move?from={world.office_a.id}")
    response = client.post(
        "/org/move",
        data={
            "csrf_token": factories.csrf_from(page),
            "from": world.office_a.id,
            "company_ids": [world.company_a.id, world.company_a2.id],
            "office_id": world.office_b.id,
            "manager_id": world.manager_b1.id,
        },
    )
    assert response.status_code == 302 and "/audit/?batch=" in response.headers["Location"]
    change = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Companies moved" in change and "Showing the events of one change." in change
    assert change.count('data-entity="company"') >= 2
    batch = response.headers["Location"].rsplit("=", 1)[1]
    assert db_session.scalar(
        select(AuditEvent.id).where(AuditEvent.batch == batch, AuditEvent.action == "move")
    )


def test_management_reads_the_trail_but_changes_nothing(client, world, login):
    login(world.management)
    assert client.get("/audit/").status_code == 200
    assert client.get("/org/").status_code == 403
    assert client.get(f"/admin/users/{world.manager_a1.id}/leave").status_code == 403


def test_account_changes_reach_the_trail_with_labels(app, client, db_session, world, login):
    with app.test_request_context():
        accounts.update_user(
            world.admin, world.manager_a2, name="新名字", role="branch_head", office_id=world.office_a.id,
            company_id=None, phone=None, title=None,
        )  # fmt: skip
        org.rename(
            world.admin, world.office_b, name_zh="浦东新区营业部", name_en="Pudong New Area", city="上海"
        )
    login(world.admin)
    page = client.get(f"/audit/?entity=user&entity_id={world.manager_a2.id}").get_data(as_text=True)
    assert "<del>Account manager</del> → Branch head" in page
    offices = client.get("/audit/?entity=sales_office").get_data(as_text=True)
    assert "Chinese name" in offices and "浦东新区营业部" in offices


def test_one_change_gives_its_events_one_batch_and_nested_blocks_join_it(app, db_session, world):
    from portal.audit.trail import one_change

    with app.test_request_context():
        with one_change() as outer:
            world.office_a.city = "北京市"
            db_session.flush()
            with one_change() as inner:
                world.office_b.city = "上海市"
                db_session.flush()
        world.branch_a.city = "北京市"
        db_session.flush()
    assert inner == outer and len(outer) == 32
    batches = dict(
        db_session.execute(
            select(AuditEvent.entity, AuditEvent.batch).where(AuditEvent.action == "update")
        ).all()
    )
    assert batches == {"sales_office": outer, "branch": None}


def test_the_dossier_tab_links_a_move_to_the_whole_change_for_trail_readers(client, db_session, world, login):
    with client.application.test_request_context():
        moved = org.move_companies(world.admin, [world.company_a.id], world.office_b.id, world.manager_b1.id)
    link = f"/audit/?batch={moved.batch}"
    login(world.management)
    assert link in client.get(f"/companies/{world.company_a.id}/audit").get_data(as_text=True)
    other = client.application.test_client()
    sign_in(other, world.head_b.email)  # company A is now in branch B
    tab = other.get(f"/companies/{world.company_a.id}/audit")
    assert tab.status_code == 200 and link not in tab.get_data(as_text=True)
