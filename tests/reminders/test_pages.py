"""Reminder pages on SQLite and PostgreSQL: the manager's groups, complete and snooze (with bad
input), access per role, the branch view, the call list in HTML and PDF, the jobs page."""

import shutil
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.companies.models import Interaction
from portal.jobs.models import JobRun
from portal.reminders.models import Reminder
from portal.timeutil import local_today
from tests import factories
from tests.conftest import sign_in
from tests.test_access import ROLES, access_failures


@pytest.fixture()
def today(app):
    with app.app_context():
        return local_today()


@pytest.fixture()
def mine(db_session, world, today):
    """Manager A1's reminders: overdue, today, this week, later."""
    rows = {}
    for key, offset in (("overdue", -3), ("today", 0), ("week", 4), ("later", 20)):
        company = factories.company(db_session, world.office_a, world.manager_a1, name_zh=f"回访公司{key}")
        rows[key] = Reminder(
            company_id=company.id,
            assignee_id=world.manager_a1.id,
            kind="revisit",
            title=f"Revisit {key}",
            due_on=today + timedelta(days=offset),
        )
        db_session.add(rows[key])
    db_session.flush()
    return rows


def csrf(client, url):
    return factories.csrf_from(client.get(url))


def test_manager_sees_own_reminders_grouped(client, login, world, mine):
    login(world.manager_a1)
    html = client.get("/reminders/").get_data(as_text=True)
    for key, reminder in mine.items():
        section = html.split(f'data-testid="group-{key}"')[1].split("</section>")[0]
        assert f'data-testid="reminder-{reminder.id}"' in section
    assert "3 days overdue" in html


def test_other_manager_sees_none_of_them(client, login, world, mine):
    login(world.manager_a2)
    html = client.get("/reminders/").get_data(as_text=True)
    assert "回访公司" not in html
    assert client.get(f"/reminders/{mine['today'].id}/complete").status_code == 404
    assert client.get(f"/reminders/{mine['today'].id}/snooze").status_code == 404


@pytest.mark.parametrize(
    ("who", "status"), [("head_a", 200), ("head_b", 404), ("admin", 200), ("booker_a", 404)]
)
def test_who_may_act_on_a_reminder(client, world, mine, who, status):
    assert sign_in(client, getattr(world, who).email).status_code == 302
    assert client.get(f"/reminders/{mine['today'].id}/complete").status_code == status


def test_complete_records_an_interaction(client, login, db_session, world, mine):
    login(world.manager_a1)
    reminder = mine["overdue"]
    url = f"/reminders/{reminder.id}/complete"
    token = csrf(client, url)
    bad = client.post(
        url, data={"csrf_token": token, "kind": "visit", "occurred_at": "2026-01-01T10:00", "summary": " "}
    )
    assert bad.status_code == 200 and "This field is required" in bad.get_data(as_text=True)
    future = client.post(
        url, data={"csrf_token": token, "kind": "call", "occurred_at": "2099-01-01T10:00", "summary": "x"}
    )
    assert future.status_code == 200 and "in the future" in future.get_data(as_text=True)
    wrong_kind = client.post(
        url,
        data={"csrf_token": token, "kind": "complaint", "occurred_at": "2026-01-01T10:00", "summary": "x"},
    )
    assert wrong_kind.status_code == 200 and "Not a valid choice" in wrong_kind.get_data(as_text=True)
    ok = client.post(
        url,
        data={
            "csrf_token": token,
            "kind": "call",
            "occurred_at": "2026-01-01T10:00",
            "summary": "Called the travel manager",
            "outcome": "Fine",
        },
    )
    assert ok.status_code == 302
    db_session.refresh(reminder)
    assert reminder.status == "done"
    interaction = db_session.get(Interaction, reminder.interaction_id)
    assert (interaction.kind, interaction.summary, interaction.author_id) == (
        "call",
        "Called the travel manager",
        world.manager_a1.id,
    )
    # The timeline of the company shows it.
    page = client.get(f"/companies/{reminder.company_id}/timeline").get_data(as_text=True)
    assert "Called the travel manager" in page
    # Done is done.
    assert (
        client.post(
            url,
            data={"csrf_token": token, "kind": "call", "occurred_at": "2026-01-01T10:00", "summary": "again"},
        ).status_code
        == 200
    )


def test_snooze_bad_input_then_good(client, login, db_session, world, mine, today):
    login(world.manager_a1)
    reminder = mine["today"]
    url = f"/reminders/{reminder.id}/snooze"
    token = csrf(client, url)
    past = client.post(
        url, data={"csrf_token": token, "until": (today - timedelta(days=1)).isoformat(), "reason": "x"}
    )
    assert past.status_code == 200 and "must be in the future" in past.get_data(as_text=True)
    no_reason = client.post(
        url, data={"csrf_token": token, "until": (today + timedelta(days=3)).isoformat(), "reason": ""}
    )
    assert no_reason.status_code == 200 and "Say why" in no_reason.get_data(as_text=True)
    too_far = client.post(
        url, data={"csrf_token": token, "until": (today + timedelta(days=90)).isoformat(), "reason": "x"}
    )
    assert too_far.status_code == 200 and "at most 60 days" in too_far.get_data(as_text=True)
    garbage = client.post(url, data={"csrf_token": token, "until": "not-a-date", "reason": "x"})
    assert garbage.status_code == 200
    db_session.refresh(reminder)
    assert reminder.status == "open"
    ok = client.post(
        url,
        data={
            "csrf_token": token,
            "until": (today + timedelta(days=3)).isoformat(),
            "reason": "Client abroad",
        },
    )
    assert ok.status_code == 302
    db_session.refresh(reminder)
    assert (reminder.status, reminder.snoozed_until, reminder.snooze_reason) == (
        "snoozed",
        today + timedelta(days=3),
        "Client abroad",
    )
    html = client.get("/reminders/").get_data(as_text=True)
    week = html.split('data-testid="group-week"')[1].split("</section>")[0]
    assert f'data-testid="reminder-{reminder.id}"' in week


def test_branch_view_rates(app, client, login, db_session, world, mine, today):
    mine["overdue"].status = "done"
    mine["overdue"].completed_at = mine["overdue"].created_at  # done today: after its due date, late
    db_session.flush()
    login(world.head_a)
    html = client.get("/reminders/branch?days=30").get_data(as_text=True)
    assert world.manager_a1.name in html and world.manager_b1.name not in html
    assert client.get(f"/reminders/branch?branch_id={world.branch_b.id}").status_code == 403
    admin = app.test_client()
    assert sign_in(admin, world.admin.email).status_code == 302
    html = admin.get(f"/reminders/branch?branch_id={world.branch_b.id}").get_data(as_text=True)
    assert world.manager_b1.name in html
    assert admin.get("/reminders/branch?branch_id=999999").status_code == 404


def test_branch_rates_query(app, db_session, world, mine, today):
    from portal.reminders.queries import branch_rates

    mine["overdue"].status = "done"
    mine["overdue"].completed_at = mine["overdue"].created_at - timedelta(days=5)
    db_session.flush()
    with app.app_context():
        rates = {
            r.manager.id: r for r in branch_rates(world.branch_a.id, today - timedelta(days=30), today, today)
        }
    a1 = rates[world.manager_a1.id]
    assert (a1.due, a1.on_time, a1.late, a1.open_overdue, a1.rate) == (2, 1, 0, 0, 50)


def test_call_list_html_and_pdf(client, login, db_session, world):
    world.company_a.tier = "gold"
    world.company_a2.tier = "silver"
    world.company_a.activity_status = "sleeping"
    factories.contact(db_session, world.company_a, name="王主任", phone="010-88886666")
    db_session.flush()
    login(world.head_a)
    html = client.get(f"/reminders/calls?office_id={world.office_a.id}&tier=gold&activity=sleeping").get_data(
        as_text=True
    )
    assert world.company_a.name_zh in html and "010-88886666" in html
    assert world.company_a2.name_zh not in html
    assert client.get(f"/reminders/calls?office_id={world.office_b.id}").status_code == 404
    assert client.get("/reminders/calls?office_id=abc&tier=bogus").status_code == 200
    response = client.get(f"/reminders/calls.pdf?office_id={world.office_a.id}&tier=gold")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    if shutil.which("pdftotext") and shutil.which("pdffonts"):
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
            f.write(response.data)
            f.flush()
            text = subprocess.run(
                ["pdftotext", f.name, "-"], capture_output=True, text=True, check=True
            ).stdout
            fonts = subprocess.run(["pdffonts", f.name], capture_output=True, text=True, check=True).stdout
        assert world.company_a.name_zh in text and "亲切关怀" in text
        assert "WenQuanYi" in fonts


def test_jobs_page_and_run_now(client, login, db_session, world):
    login(world.admin)
    html = client.get("/reminders/jobs").get_data(as_text=True)
    assert "revisits" in html and "Run now" in html
    token = csrf(client, "/reminders/jobs")
    response = client.post("/reminders/jobs/run", data={"csrf_token": token, "name": "revisits"})
    assert response.status_code == 302
    run = db_session.scalars(select(JobRun).where(JobRun.name == "revisits")).one()
    assert run.outcome == "ok" and run.finished_at is not None
    assert client.post("/reminders/jobs/run", data={"csrf_token": token, "name": "nope"}).status_code == 302
    assert "Choose a job" in client.get("/reminders/jobs").get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_reminders_access_matrix(app, client, world, role):
    """The access matrix of tests/test_access.py, for this area's endpoints."""
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("reminders.")]
    failures = access_failures(app, client, world, role, rules)
    assert not failures, "\n".join(failures)
