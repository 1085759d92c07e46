"""Mail on SQLite and PostgreSQL through a real SMTP server on 127.0.0.1 (aiosmtpd): the daily
digest with an .ics per revisit, notification mails, retries when SMTP fails, row claims."""

import email
from datetime import datetime, timedelta
from email import policy

import pytest
from icalendar import Calendar
from sqlalchemy import select, update

from portal import outbox
from portal.db import utcnow
from portal.mail import operations as mail
from portal.mail.models import OutboundEmail
from portal.mail.tasks import send_pending
from portal.notifications.models import Notification
from portal.reminders import operations as ops
from portal.reminders.digests import enqueue_digests
from portal.reminders.models import Reminder
from tests import factories
from tests.conftest import free_port

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture()
def mail_to(app, monkeypatch):
    """Point the app's SMTP settings at a port."""

    def _point(port):
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5)

    return _point


def received(inbox):
    return [email.message_from_bytes(e.content, policy=policy.default) for e in inbox.messages]


@pytest.fixture()
def due_revisits(db_session, world):
    """Two revisits of manager A1 due (one today, one overdue), one not yet due."""
    today = datetime(2026, 6, 1).date()
    c1 = factories.company(
        db_session, world.office_a, world.manager_a1, tier="gold", name_zh="华夏航天股份有限公司"
    )
    c2 = factories.company(db_session, world.office_a, world.manager_a1, tier="silver")
    c3 = factories.company(db_session, world.office_a, world.manager_a1, tier="silver")
    rows = [
        Reminder(
            company_id=c1.id,
            assignee_id=world.manager_a1.id,
            kind="revisit",
            title="Revisit: 华夏航天股份有限公司",
            due_on=today,
        ),
        Reminder(
            company_id=c2.id,
            assignee_id=world.manager_a1.id,
            kind="revisit",
            title="Revisit two",
            due_on=today - timedelta(days=3),
        ),
        Reminder(
            company_id=c3.id,
            assignee_id=world.manager_a1.id,
            kind="revisit",
            title="Later",
            due_on=today + timedelta(days=3),
        ),
    ]
    db_session.add_all(rows)
    db_session.flush()
    return today, rows


def test_digest_arrives_with_an_ics_per_revisit(db_session, world, smtp, mail_to, due_revisits):
    today, rows = due_revisits
    mail_to(smtp.port)
    assert enqueue_digests(today) == 1
    assert enqueue_digests(today) == 0  # one digest per manager and day
    counts = send_pending()
    assert counts["sent"] == 1
    [msg] = received(smtp)
    assert msg["To"] == world.manager_a1.email
    assert "2 due" in msg["Subject"]
    calendars = [part for part in msg.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert len(calendars) == 2
    events = {}
    for part in calendars:
        cal = Calendar.from_ical(part.get_content())
        [event] = cal.walk("VEVENT")
        events[str(event["UID"])] = event
    by_id = {r.id: r for r in rows}
    assert set(events) == {
        f"reminder-{rows[0].id}@portal.demo.example",
        f"reminder-{rows[1].id}@portal.demo.example",
    }
    for uid, event in events.items():
        reminder = by_id[int(uid.split("-")[1].split("@")[0])]
        assert event.decoded("DTSTART") == reminder.due_on
        assert str(event["SUMMARY"]) == reminder.title
    assert "华夏航天股份有限公司" in "".join(str(e["SUMMARY"]) for e in events.values())
    sent = db_session.scalars(select(OutboundEmail)).all()
    assert [(m.attempts, m.sent_at is not None) for m in sent] == [(1, True)]
    assert send_pending()["sent"] == 0  # nothing sent twice


def test_notifications_are_mailed_once(db_session, world, smtp, mail_to):
    mail_to(smtp.port)
    db_session.add(
        Notification(user_id=world.booker_a.id, kind="quota_confirmed", message="Seat confirmed: CA1501")
    )
    db_session.add(
        Notification(user_id=world.booker_b.id, kind="quota_waitlisted", message="Waitlisted: CA1502")
    )
    db_session.flush()
    assert mail.enqueue_notifications() == 2
    assert mail.enqueue_notifications() == 0
    assert send_pending()["sent"] == 2
    by_to = {m["To"]: m for m in received(smtp)}
    assert set(by_to) == {world.booker_a.email, world.booker_b.email}
    assert "CA1501" in by_to[world.booker_a.email].get_content()
    assert all(n.emailed_at for n in db_session.scalars(select(Notification)))


def test_failing_smtp_keeps_the_mail_queued_and_retries(db_session, world, smtp, mail_to, due_revisits):
    today, _rows = due_revisits
    enqueue_digests(today)
    mail_to(free_port())  # nobody listens: connection refused
    counts = send_pending()
    assert counts == {"sent": 0, "failed": 1, "gave_up": 0, "skipped": 0}
    [row] = db_session.scalars(select(OutboundEmail)).all()
    assert row.attempts == 1 and row.sent_at is None and row.claimed_at is None
    assert "Error" in row.last_error or "refused" in row.last_error.lower()
    assert row.next_attempt_at > utcnow()
    assert send_pending()["sent"] == 0  # not before its next attempt
    mail_to(smtp.port)
    assert send_pending(now=row.next_attempt_at + timedelta(seconds=1))["sent"] == 1
    db_session.refresh(row)
    assert row.attempts == 2 and row.sent_at is not None and row.last_error is None
    assert len(smtp.messages) == 1


def test_gives_up_after_the_last_attempt(app, db_session, world, mail_to, due_revisits, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 1)
    enqueue_digests(due_revisits[0])
    mail_to(free_port())
    assert send_pending()["gave_up"] == 1
    [row] = db_session.scalars(select(OutboundEmail)).all()
    assert row.failed_at is not None and row.sent_at is None  # kept, with its error, never lost silently


def test_a_claimed_mail_is_not_sent_by_another_sender(db_session, world, smtp, mail_to, due_revisits):
    enqueue_digests(due_revisits[0])
    mail_to(smtp.port)
    db_session.execute(update(OutboundEmail).values(claimed_at=utcnow(), claimed_by="other:1"))
    db_session.commit()
    assert send_pending()["sent"] == 0
    assert smtp.messages == []
    # A claim older than the stale limit (its sender died) is taken over.
    later = utcnow() + outbox.CLAIM_STALE + timedelta(minutes=1)
    assert send_pending(now=later)["sent"] == 1


def test_snoozed_and_done_reminders_are_not_in_the_digest(db_session, world, due_revisits):
    today, rows = due_revisits
    ops.snooze_reminder(
        world.manager_a1, rows[0], until=today + timedelta(days=2), reason="Away", today=today
    )
    rows[1].status = "done"
    db_session.flush()
    assert enqueue_digests(today) == 0


def test_digest_and_mail_jobs_deliver(app, db_session, world, smtp, mail_to, due_revisits):
    from portal.jobs.runner import run_job

    today, _rows = due_revisits
    mail_to(smtp.port)
    db_session.add(Notification(user_id=world.booker_a.id, kind="quota_promoted", message="Promoted: CA1503"))
    db_session.commit()
    assert run_job("digest", today=today).counts == {"digests": 1}
    run = run_job("mail", today=today)
    assert run.outcome == "ok" and run.counts["sent"] == 2 and run.counts["notifications"] >= 1
    assert {m["To"] for m in received(smtp)} == {world.manager_a1.email, world.booker_a.email}
    assert run_job("mail", today=today).counts["sent"] == 0
