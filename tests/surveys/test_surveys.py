"""Satisfaction surveys: who gets one and when, the one-time link (used twice, expired, altered),
the answers and what a detractor opens, and where the results show."""

from datetime import date, timedelta

from sqlalchemy import select

from portal.companies import operations as company_ops
from portal.db import utcnow
from portal.mail.models import OutboundEmail
from portal.notifications.models import Notification
from portal.reminders.models import Reminder
from portal.surveys import operations as surveys
from portal.surveys.models import Survey, SurveyResponse
from tests import factories
from tests.surveys.conftest import survey_paths

TODAY = date(2026, 12, 7)
ANSWERS = {"nps": "9", "rating_booking": "5", "rating_service": "4", "rating_manager": "5", "comment": "很好"}


def _contacts(session, company):
    live = factories.contact(session, company, name="王经理", email="wang@example.com")
    factories.contact(session, company, name="李会计", email="li@example.com", role="finance")
    factories.contact(session, company, name="无邮箱")
    gone = factories.contact(session, company, name="已删除", email="gone@example.com")
    gone.deleted_at = utcnow()
    session.flush()
    return live


def test_quarterly_surveys_go_once_per_contact_and_quarter_to_active_companies(ctx, db_session, world):
    _contacts(db_session, world.company_a)
    prospect = factories.company(db_session, world.office_a, world.manager_a1, status="prospect")
    factories.contact(db_session, prospect, email="p@example.com")
    assert surveys.send_quarterly(TODAY) == 2
    assert surveys.send_quarterly(TODAY + timedelta(days=1)) == 0  # the job runs daily
    mails = db_session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "survey")).all()
    assert sorted(m.to_address for m in mails) == ["li@example.com", "wang@example.com"]
    assert all("/survey/" in m.body_text for m in mails)
    assert {s.occasion for s in db_session.scalars(select(Survey))} == {"2026Q4"}
    assert surveys.send_quarterly(date(2027, 1, 2)) == 2  # the next quarter


def test_resolving_a_complaint_surveys_the_contacts_once(ctx, db_session, world):
    _contacts(db_session, world.company_a)
    complaint = world.complaint_a
    company_ops.set_complaint_status(world.manager_a1, complaint, "in_progress")
    assert db_session.scalars(select(Survey)).all() == []
    company_ops.set_complaint_status(world.manager_a1, complaint, "resolved")
    company_ops.set_complaint_status(world.manager_a1, complaint, "open")
    company_ops.set_complaint_status(world.manager_a1, complaint, "resolved")
    rows = db_session.scalars(select(Survey)).all()
    assert len(rows) == 2
    assert {(s.reason, s.occasion, s.interaction_id) for s in rows} == {
        ("complaint", f"complaint-{complaint.id}", complaint.id)
    }


def _one_link(db_session, world) -> str:
    factories.contact(db_session, world.company_a, email="wang@example.com")
    from flask import current_app

    with current_app.test_request_context():
        surveys.send_quarterly(TODAY)
    db_session.commit()
    [path] = survey_paths(db_session)
    return path


def _post(client, path, **changes):
    page = client.get(path)
    data = {**ANSWERS, **changes, "csrf_token": factories.csrf_from(page)}
    return client.post(path, data=data)


def test_the_page_works_on_a_phone_without_signing_in_and_answers_once(app, client, db_session, world):
    with app.app_context():
        path = _one_link(db_session, world)
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="viewport"' in html and 'data-testid="survey-form"' in html
    assert world.company_a.name_zh in html
    response = _post(client, path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/survey/thanks")
    assert client.get("/survey/thanks").status_code == 200
    [answer] = db_session.scalars(select(SurveyResponse)).all()
    assert (answer.nps, answer.rating_booking, answer.rating_service, answer.rating_manager) == (9, 5, 4, 5)
    assert answer.comment == "很好" and answer.company_id == world.company_a.id
    # The same link a second time: a friendly page, nothing written.
    again = client.get(path)
    assert again.status_code == 410 and 'data-testid="survey-unavailable"' in again.get_data(as_text=True)
    replay = client.post(path, data={**ANSWERS, "csrf_token": factories.csrf_from(page)})
    assert replay.status_code == 410
    assert len(db_session.scalars(select(SurveyResponse)).all()) == 1


def test_an_expired_link_answers_a_friendly_page(app, client, db_session, world):
    with app.app_context():
        path = _one_link(db_session, world)
    survey = db_session.scalars(select(Survey)).one()
    survey.expires_at = utcnow() - timedelta(minutes=1)
    db_session.commit()
    response = client.get(path)
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True) or "过期" in response.get_data(as_text=True)
    token = factories.csrf_from(client.get("/login"))
    assert client.post(path, data={**ANSWERS, "csrf_token": token}).status_code == 410
    assert db_session.scalars(select(SurveyResponse)).all() == []


def test_a_link_older_than_its_lifetime_is_expired_even_if_the_row_says_otherwise(app, db_session, world):
    with app.app_context():
        path = _one_link(db_session, world)
    token = path.rsplit("/", 1)[1]
    app.config["SURVEY_LINK_DAYS"] = -1  # the signature is now older than allowed
    try:
        with app.test_request_context():
            try:
                surveys.open_survey(token)
            except surveys.SurveyUnavailable as e:
                assert e.reason == "expired"
            else:
                raise AssertionError("an expired signature opened the survey")
    finally:
        app.config["SURVEY_LINK_DAYS"] = 21


def test_an_altered_or_unknown_link_is_not_found(app, client, db_session, world):
    with app.app_context():
        path = _one_link(db_session, world)
    assert client.get(path[:-2] + "xx").status_code == 404
    assert client.get("/survey/not-a-token").status_code == 404


def test_bad_answers_come_back_on_the_form_and_nothing_is_written(app, client, db_session, world):
    with app.app_context():
        path = _one_link(db_session, world)
    response = _post(client, path, nps="11", rating_service="")
    assert response.status_code == 200
    assert 'data-testid="survey-form"' in response.get_data(as_text=True)
    assert db_session.scalars(select(SurveyResponse)).all() == []
    assert db_session.scalars(select(Survey)).one().answered_at is None
    no_csrf = client.post(path, data=ANSWERS)
    assert no_csrf.status_code in (200, 400)
    assert db_session.scalars(select(SurveyResponse)).all() == []


def test_a_detractor_opens_a_follow_up_for_the_manager_and_a_passive_does_not(app, client, db_session, world):
    with app.app_context():
        factories.contact(db_session, world.company_a, email="a@example.com")
        factories.contact(db_session, world.company_a, email="b@example.com")
        with app.test_request_context():
            surveys.send_quarterly(TODAY)
        db_session.commit()
    first, second = survey_paths(db_session)
    assert _post(client, first, nps="7").status_code == 302
    assert db_session.scalars(select(Reminder).where(Reminder.kind == "follow_up")).all() == []
    assert _post(client, second, nps="6").status_code == 302
    [reminder] = db_session.scalars(select(Reminder).where(Reminder.kind == "follow_up")).all()
    assert reminder.assignee_id == world.manager_a1.id and reminder.company_id == world.company_a.id
    assert reminder.status == "open"
    told = db_session.scalars(select(Notification).where(Notification.kind == "survey_detractor")).all()
    assert [n.user_id for n in told] == [world.manager_a1.id]


def test_the_page_speaks_english_when_asked(app, client, db_session, world):
    with app.app_context():
        path = _one_link(db_session, world)
    assert "推荐" in client.get(path).get_data(as_text=True)
    client.get("/lang/en")
    assert "recommend us" in client.get(path).get_data(as_text=True)


def test_the_surveys_job_sends_the_quarter_once(app, db_session, world):
    from portal.jobs.runner import run_job

    with app.test_request_context():
        _contacts(db_session, world.company_a)
        db_session.commit()
        first = run_job("surveys", today=TODAY)
        second = run_job("surveys", today=TODAY + timedelta(days=1))
    assert (first.outcome, first.counts["surveys"]) == ("ok", 2)
    assert (second.outcome, second.counts["surveys"]) == ("ok", 0)
    assert len(survey_paths(db_session)) == 2
