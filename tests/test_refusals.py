"""Every refused access is audited, including rows outside the user's scope answered 404: an id
of another company's row smuggled under a company the user may see, someone else's reminder or
notification, a booker probing other companies' ids. Unknown ids are plain 404s."""

import re
from datetime import timedelta

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.companies.models import DocumentVersion
from portal.notifications.models import Notification
from portal.reminders.models import Reminder
from portal.timeutil import local_today
from tests import factories
from tests.conftest import sign_in
from tests.test_access import _csrf, _ids_of_other_companies


def _refusals(db_session, user, path: str) -> list[AuditEvent]:
    return db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "refused", AuditEvent.actor_id == user.id, AuditEvent.path == path
        )
    ).all()


def _api_refusals(db_session, label: str, path: str) -> list[AuditEvent]:
    return db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "refused", AuditEvent.actor_label == label, AuditEvent.path == path
        )
    ).all()


def _version(db_session, document) -> DocumentVersion:
    version = DocumentVersion(
        document_id=document.id,
        version=1,
        filename="licence.pdf",
        stored_name=f"probe-{document.id}.pdf",
        content_type="application/pdf",
        size_bytes=10,
        sha256="0" * 64,
    )
    db_session.add(version)
    db_session.flush()
    return version


def test_another_companys_rows_under_a_visible_company_are_refused_and_audited(client, world, db_session):
    contact_b = factories.contact(db_session, world.company_b)
    complaint_b = factories.interaction(db_session, world.company_b, kind="complaint")
    document_b = factories.document(db_session, world.company_b)
    assert sign_in(client, world.manager_a1.email).status_code == 302
    smuggled = {
        "contacts": contact_b.id,
        "travellers": world.traveller_b.id,
        "complaints": complaint_b.id,
        "documents": f"{document_b.id}/delete",
    }
    for kind, tail in smuggled.items():
        url = f"/companies/{world.company_a.id}/{kind}/{tail}"
        assert client.get(url).status_code == 404, url
        [event] = _refusals(db_session, world.manager_a1, url)
        assert event.company_id == world.company_b.id
        assert event.ip == "127.0.0.1"


def test_another_documents_version_is_refused_and_audited(client, world, db_session):
    version_b = _version(db_session, factories.document(db_session, world.company_b))
    assert sign_in(client, world.manager_a1.email).status_code == 302
    url = f"/companies/{world.company_a.id}/documents/{world.document_a.id}/versions/{version_b.id}"
    assert client.get(url).status_code == 404
    assert len(_refusals(db_session, world.manager_a1, url)) == 1


def test_another_agreements_file_is_refused_and_audited(client, world, db_session):
    document_b = factories.document(db_session, world.company_b, kind="signed_scan")
    document_b.agreement_id = world.agreement_b.id
    version_b = _version(db_session, document_b)
    assert sign_in(client, world.manager_a1.email).status_code == 302
    url = f"/agreements/{world.agreement_a.id}/files/{version_b.id}"
    assert client.get(url).status_code == 404
    assert len(_refusals(db_session, world.manager_a1, url)) == 1


def test_unknown_ids_are_not_refusals(client, world, db_session):
    assert sign_in(client, world.manager_a1.email).status_code == 302
    url = f"/companies/{world.company_a.id}/contacts/999999"
    assert client.get(url).status_code == 404
    assert _refusals(db_session, world.manager_a1, url) == []


def test_an_out_of_scope_reminder_is_refused_and_audited(app, client, world, db_session):
    with app.app_context():
        tomorrow = local_today() + timedelta(days=1)
    reminder = Reminder(
        company_id=world.company_a.id,
        assignee_id=world.manager_a1.id,
        kind="revisit",
        title="Revisit",
        due_on=tomorrow,
    )
    db_session.add(reminder)
    db_session.flush()
    assert sign_in(client, world.manager_a2.email).status_code == 302
    for action in ("complete", "snooze"):
        url = f"/reminders/{reminder.id}/{action}"
        assert client.get(url).status_code == 404
        assert client.post(url, data={"csrf_token": _csrf(client)}).status_code == 404
        events = _refusals(db_session, world.manager_a2, url)
        assert len(events) == 2 and {e.company_id for e in events} == {world.company_a.id}
    db_session.refresh(reminder)
    assert reminder.status == "open"


def test_someone_elses_notification_is_refused_and_audited(client, world, db_session):
    note = Notification(user_id=world.manager_a1.id, kind="info", message="for A1 only")
    db_session.add(note)
    db_session.flush()
    assert sign_in(client, world.manager_a2.email).status_code == 302
    response = client.post(
        "/notifications/read", data={"csrf_token": _csrf(client), "notification_id": note.id}
    )
    assert response.status_code == 404
    assert len(_refusals(db_session, world.manager_a2, "/notifications/read")) == 1
    db_session.refresh(note)
    assert note.read_at is None


def test_every_probe_of_another_companys_ids_by_a_booker_is_audited(app, client, world, db_session):
    """Every route taking an id answers a booker 404 for other companies' rows, and records it."""
    from tests.quotas.helpers import priority_request, quota

    priority_request(db_session, quota(db_session, world.agreement_b), world.traveller_b)
    sign_in(client, world.booker_a.email)
    with app.test_request_context():
        # The API's booker: a client bound to company A (a session is no credential there).
        from tests.api.helpers import api_client, bearer

        api_headers = bearer(api_client(db_session, "booker-a-system", company=world.company_a)[1])
    id_routes = [r for r in app.url_map.iter_rules() if any(a.endswith("_id") for a in r.arguments)]
    missing = []
    for rule in id_routes:
        # Real rows of other companies (the first id of each list exists nowhere); staff routes
        # refuse a booker before looking at the id at all.
        choices = {a: _ids_of_other_companies(db_session, world, a)[1:] or [999_999] for a in rule.arguments}
        args = {a: c[0] for a, c in choices.items()}
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, args=args: str(args[m.group(1)]), rule.rule)
        if url.startswith("/api/"):
            if "company_id" in rule.arguments:  # other ids (a webhook's, a request's) exist nowhere here
                method = next(iter(rule.methods & {"GET", "POST", "DELETE"}))
                assert client.open(url, method=method, headers=api_headers).status_code == 404, url
                if not _api_refusals(db_session, "api:booker-a-system", url):
                    missing.append(f"{method} {url}")
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        if method == "GET":
            assert client.get(url).status_code == 404, url
        else:
            assert client.post(url, data={"csrf_token": _csrf(client)}).status_code == 404, url
        if not _refusals(db_session, world.booker_a, url):
            missing.append(f"{method} {url}")
    assert not missing, "not audited:\n" + "\n".join(missing)
