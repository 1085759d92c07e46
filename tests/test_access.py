"""Role x route access matrix, generated from the app's URL map; bookers probing other ids."""

import re

import pytest
from flask import url_for

from tests import factories
from tests.conftest import sign_in

ROLES = ("anonymous", "admin", "management", "branch_head", "account_manager", "booker", "station")
STAFF_OK = {"admin": 200, "management": 200, "branch_head": 200, "account_manager": 200}
STAFF_READ = {"anonymous": 302, **STAFF_OK, "booker": 404}
# A sample id that does not exist: staff who may read get 404.
STAFF_NOT_FOUND = {"anonymous": 302, **dict.fromkeys(STAFF_OK, 404), "booker": 404}
# Branch-wide pages: account managers are refused.
BRANCH_READ = STAFF_READ | {"account_manager": 403}
# Dossier pages that change the company: its manager, branch head and admins; management reads only.
DOSSIER_CHANGE = {
    "anonymous": 302,
    "admin": 200,
    "management": 403,
    "branch_head": 200,
    "account_manager": 200,
    "booker": 404,
}

API_READS = (
    "list_companies",
    "get_company",
    "current_score",
    "score_history",
    "list_agreements",
    "get_agreement",
    "list_quotas",
    "list_requests",
    "list_webhooks",
)
API_WRITES = ("create_request", "cancel_request", "create_interaction", "ingest_segments", "create_webhook")

ADMIN_ONLY_DENIED = {"management": 403, "branch_head": 403, "account_manager": 403, "booker": 404}
ADMIN_ONLY = {"anonymous": 302, "admin": 200, **ADMIN_ONLY_DENIED}
ADMIN_AND_MANAGEMENT = ADMIN_ONLY | {"management": 200}
# "Sent back": a POST (or a GET that cannot show a page for the sample) answers with a redirect
# to those allowed.
ADMIN_ONLY_SENT_BACK = ADMIN_ONLY | {"admin": 302}
ADMIN_AND_MANAGEMENT_SENT_BACK = ADMIN_AND_MANAGEMENT | {"admin": 302, "management": 302}
DOSSIER_CHANGE_SENT_BACK = DOSSIER_CHANGE | dict.fromkeys(("admin", "branch_head", "account_manager"), 302)
# Approvals: the company's branch head and admins.
APPROVERS = DOSSIER_CHANGE | {"account_manager": 403}
APPROVERS_SENT_BACK = DOSSIER_CHANGE_SENT_BACK | {"account_manager": 403}
# Station staff: their station's pages (the sample notice and service ids do not exist: 404);
# refused like bookers (404) everywhere else except their account pages.
STATION_ONLY = {"anonymous": 302, **dict.fromkeys(STAFF_OK, 403), "booker": 404}

# endpoint -> (method, {role: status}). A route missing here fails test_every_route_has_a_rule.
EXPECTED = {
    "main.index": ("GET", dict.fromkeys(ROLES, 302)),
    "main.health": ("GET", dict.fromkeys(ROLES, 200)),
    "main.ready": ("GET", dict.fromkeys(ROLES, 200)),
    "main.home": ("GET", STAFF_READ),
    "main.set_language": ("GET", dict.fromkeys(ROLES, 302)),
    # The public survey page: anyone with a valid link; the sample link is not one.
    "surveys.answer": ("GET", dict.fromkeys(ROLES, 404)),
    "surveys.thanks": ("GET", dict.fromkeys(ROLES, 200)),
    "auth.login": ("GET", {"anonymous": 200} | dict.fromkeys(ROLES[1:], 302)),
    "auth.logout": ("GET", {"anonymous": 302} | dict.fromkeys(ROLES[1:], 200)),
    "auth.change_password": ("GET", {"anonymous": 302} | dict.fromkeys(ROLES[1:], 200)),
    "companies.index": ("GET", STAFF_READ),
    "companies.detail": ("GET", STAFF_READ),
    "companies.timeline_page": ("GET", STAFF_READ),
    "companies.audit": ("GET", STAFF_READ),
    "companies.travellers": ("GET", STAFF_READ),
    "companies.score": ("GET", STAFF_READ),
    "companies.documents": ("GET", STAFF_READ),
    "companies.agreements": ("GET", STAFF_READ),
    "companies.quotas": ("GET", STAFF_READ),
    "companies.reviews": ("GET", STAFF_READ),
    # Admins, branch heads and account managers create companies (in their own scope).
    "companies.new": ("GET", DOSSIER_CHANGE),
    "companies.edit": ("GET", DOSSIER_CHANGE),
    "companies.change_status": ("GET", DOSSIER_CHANGE),
    "companies.group": ("GET", STAFF_READ),
    "companies.new_contact": ("GET", DOSSIER_CHANGE),
    "companies.edit_contact": ("GET", DOSSIER_CHANGE),
    "companies.delete_contact": ("GET", DOSSIER_CHANGE),
    "companies.new_traveller": ("GET", DOSSIER_CHANGE),
    "companies.edit_traveller": ("GET", DOSSIER_CHANGE),
    "companies.delete_traveller": ("GET", DOSSIER_CHANGE),
    "companies.new_interaction": ("GET", DOSSIER_CHANGE),
    "companies.complaint_status": ("GET", DOSSIER_CHANGE),
    # The sample traveller has no identity document: those who may reveal are sent back.
    "companies.reveal_traveller": ("POST", DOSSIER_CHANGE_SENT_BACK),
    "companies.reassign": ("GET", APPROVERS),
    "companies.new_document": ("GET", DOSSIER_CHANGE),
    "companies.new_document_version": ("GET", DOSSIER_CHANGE),
    "companies.delete_document": ("GET", DOSSIER_CHANGE),
    # The sample version id does not exist: staff who may read the dossier get 404.
    "companies.download_document": ("GET", STAFF_NOT_FOUND),
    "companies.travel_page": ("GET", STAFF_READ),
    "companies.travel_csv": ("GET", STAFF_READ),
    "search.index": ("GET", STAFF_READ),
    "auth.reauth": ("GET", {"anonymous": 302} | dict.fromkeys(ROLES[1:], 200)),
    "notifications.index": ("GET", {"anonymous": 302} | dict.fromkeys(ROLES[1:], 200)),
    "notifications.mark_read": ("POST", dict.fromkeys(ROLES, 302)),
    "rankings.index": ("GET", STAFF_READ),
    "rankings.export_csv": ("GET", STAFF_READ),
    "rankings.export_xlsx": ("GET", STAFF_READ),
    "rankings.portfolio": ("GET", BRANCH_READ),
    "scoring.config": ("GET", ADMIN_AND_MANAGEMENT),
    "scoring.rescore": ("POST", ADMIN_AND_MANAGEMENT_SENT_BACK),
    "agreements.index": ("GET", STAFF_READ),
    "agreements.detail": ("GET", STAFF_READ),
    # Without ?company_id= the new-agreement page sends the user to pick a company.
    "agreements.new": ("GET", DOSSIER_CHANGE_SENT_BACK),
    # The sample agreement is active: its terms are not editable (redirect with a message).
    "agreements.edit_terms": ("GET", DOSSIER_CHANGE_SENT_BACK),
    "agreements.submit": ("POST", DOSSIER_CHANGE_SENT_BACK),
    "agreements.approve": ("POST", APPROVERS_SENT_BACK),
    # Reject and terminate need a reason: without one the page shows the error.
    "agreements.reject": ("POST", APPROVERS),
    "agreements.terminate": ("POST", APPROVERS),
    "agreements.renew": ("POST", DOSSIER_CHANGE_SENT_BACK),
    "agreements.render_document": ("POST", DOSSIER_CHANGE_SENT_BACK),
    "agreements.upload_scan": ("POST", DOSSIER_CHANGE),
    # The sample version id does not exist: staff who may read the agreement get 404.
    "agreements.download": ("GET", STAFF_NOT_FOUND),
    "selfservice.home": (
        "GET",
        {"anonymous": 302, "booker": 200} | dict.fromkeys(STAFF_OK, 403),
    ),
    # Self-service: bookers only (their own company); staff are refused.
    **dict.fromkeys(
        (
            "selfservice.requests",
            "selfservice.new_request",
            "selfservice.travellers",
            "selfservice.new_traveller",
            "selfservice.edit_traveller",
            "selfservice.remove_traveller",
            "selfservice.history",
            "selfservice.statement_page",
            "selfservice.statement_csv",
            "selfservice.statement_pdf",
            "selfservice.feedback",
        ),
        ("GET", {"anonymous": 302, "booker": 200} | dict.fromkeys(STAFF_OK, 403)),
    ),
    # The booker cancels its own sample request.
    "selfservice.cancel_request": ("POST", {"anonymous": 302, "booker": 302} | dict.fromkeys(STAFF_OK, 403)),
    # Quota management: staff who see the company read; management never changes.
    "quotas.agreement": ("GET", STAFF_READ),
    "quotas.detail": ("GET", STAFF_READ),
    "quotas.new": ("GET", DOSSIER_CHANGE),
    "quotas.edit": ("GET", DOSSIER_CHANGE),
    # The sample quota has a request (delete is refused with a message) and copy has no month:
    # both send the user back to a page.
    **dict.fromkeys(
        ("quotas.delete", "quotas.copy"),
        ("POST", DOSSIER_CHANGE_SENT_BACK),
    ),
    "admin.users": ("GET", ADMIN_ONLY),
    "admin.new_user": ("GET", ADMIN_ONLY),
    "admin.edit_user": ("GET", ADMIN_ONLY),
    # The sample reminder id does not exist: those allowed get 404, like any unknown reminder.
    "reminders.index": ("GET", STAFF_READ),
    "reminders.complete": ("GET", {"anonymous": 302, **dict.fromkeys(ROLES[1:], 404), "management": 403}),
    "reminders.snooze": ("GET", {"anonymous": 302, **dict.fromkeys(ROLES[1:], 404), "management": 403}),
    "reminders.branch": ("GET", BRANCH_READ),
    "reminders.call_list": ("GET", BRANCH_READ),
    "reminders.call_list_pdf": ("GET", BRANCH_READ),
    "reminders.jobs": (
        "GET",
        {"anonymous": 302, "admin": 200, **dict.fromkeys(ROLES[2:5], 403), "booker": 404},
    ),
    "reminders.run_job": (
        "POST",
        {"anonymous": 302, "admin": 302, **dict.fromkeys(ROLES[2:5], 403), "booker": 404},
    ),
    "admin.set_enabled": ("POST", ADMIN_ONLY_SENT_BACK),
    # Imports and merges: administrators only (the sample batch id does not exist: 404).
    "admin.imports": ("GET", ADMIN_ONLY),
    "admin.import_detail": ("GET", {"anonymous": 302, "admin": 404, **ADMIN_ONLY_DENIED}),
    "admin.import_report": ("GET", {"anonymous": 302, "admin": 404, **ADMIN_ONLY_DENIED}),
    "admin.merge_companies": ("GET", ADMIN_ONLY),
    # Background tasks: administrators only (the sample run id does not exist).
    "admin.import_task": ("GET", {"anonymous": 302, "admin": 404, **ADMIN_ONLY_DENIED}),
    "admin.tasks": ("GET", ADMIN_ONLY),
    "admin.retry_task": ("POST", {"anonymous": 302, "admin": 404, **ADMIN_ONLY_DENIED}),
    # API clients and webhook deliveries: administrators only (the sample client id does not exist).
    "admin.api_clients": ("GET", ADMIN_ONLY),
    "admin.new_api_client": ("GET", ADMIN_ONLY),
    "admin.revoke_api_client": ("POST", {"anonymous": 302, "admin": 404, **ADMIN_ONLY_DENIED}),
    "admin.webhook_deliveries": ("GET", ADMIN_ONLY),
    # The JSON API takes bearer tokens only: a signed-in session is no credential there.
    **{f"api.{name}": ("GET", dict.fromkeys(ROLES, 401)) for name in API_READS},
    **{f"api.{name}": ("POST", dict.fromkeys(ROLES, 401)) for name in API_WRITES},
    "api.delete_webhook": ("DELETE", dict.fromkeys(ROLES, 401)),
    "api_docs.openapi_json": ("GET", dict.fromkeys(ROLES, 200)),
    "api_docs.reference": ("GET", dict.fromkeys(ROLES, 200)),
    "pipeline.index": ("GET", STAFF_READ),
    "pipeline.opportunities": ("GET", STAFF_READ),
    "pipeline.export_csv": ("GET", STAFF_READ),
    "pipeline.export_xlsx": ("GET", STAFF_READ),
    "pipeline.stale": ("GET", STAFF_READ),
    "pipeline.prospects": ("GET", STAFF_READ),
    "pipeline.forecast": ("GET", BRANCH_READ),
    # Without ?company_id= the new-opportunity page sends the user to the prospect list.
    "pipeline.new": ("GET", DOSSIER_CHANGE_SENT_BACK),
    "pipeline.detail": ("GET", STAFF_READ),
    "pipeline.edit": ("GET", DOSSIER_CHANGE),
    # A stage move without a stage shows the opportunity page with the error.
    "pipeline.move": ("POST", DOSSIER_CHANGE),
    # Reviews: staff list; a generate POST without a period goes back with an error; the sample
    # review id does not exist (404 to everyone allowed).
    "reviews.index": ("GET", STAFF_READ),
    "reviews.generate": ("POST", {"anonymous": 302, **dict.fromkeys(STAFF_OK, 302), "booker": 404}),
    "reviews.download": ("GET", STAFF_NOT_FOUND),
    # Organisation: administrators only. Branch A and office A hold staff and companies, so
    # closing them is refused with a message (a redirect to the list).
    **dict.fromkeys(
        ("org.index", "org.new_branch", "org.new_office", "org.edit_branch", "org.edit_office", "org.move"),
        ("GET", ADMIN_ONLY),
    ),
    **dict.fromkeys(
        ("org.close_branch", "org.close_office"),
        ("POST", ADMIN_ONLY_SENT_BACK),
    ),
    # A leaver's handover page (the sample user holds nothing): administrators only.
    "admin.leave": ("GET", ADMIN_ONLY),
    "stations.index": ("GET", STATION_ONLY | {"station": 200}),
    "stations.notice_pdf": ("GET", STATION_ONLY | {"station": 404}),
    "stations.mark_done": ("POST", STATION_ONLY | {"station": 404}),
    # Stations and their distribution lists: administrators only.
    **dict.fromkeys(
        ("admin.stations", "admin.edit_station"),
        ("GET", ADMIN_ONLY),
    ),
    # The whole audit trail: administrators, and management to read.
    **dict.fromkeys(
        ("audit.index", "audit.export_csv"),
        ("GET", ADMIN_AND_MANAGEMENT),
    ),
}


# Where a role list above does not name station staff, they are answered 404 (never allowed).
for _method, _statuses in EXPECTED.values():
    _statuses.setdefault("station", 404)


def _user_for(world, role):
    if role == "station":
        from tests.stations.helpers import world_station

        return world_station(world)[1]
    return {
        "admin": world.admin,
        "management": world.management,
        "branch_head": world.head_a,
        "account_manager": world.manager_a1,
        "booker": world.booker_a,
    }.get(role)


def _sample_args(world, rule) -> dict:
    """Values for a rule's arguments that the role's own scope contains."""
    values = {
        "company_id": world.company_a.id,
        "user_id": world.manager_a2.id,
        "code": "en",
        "filename": "css/portal.css",
        "contact_id": world.contact_a.id,
        "traveller_id": world.traveller_a.id,
        "interaction_id": world.complaint_a.id,
        "agreement_id": world.agreement_a.id,
        "document_id": world.document_a.id,
        "version_id": 999_999,
        "batch_id": 999_999,
        "run_id": 999_999,
        "reminder_id": 999_999,
        "review_id": 999_999,
        "opportunity_id": world.opportunity_a.id,
        "branch_id": world.branch_a.id,
        "office_id": world.office_a.id,
        "client_id": 999_999,
        "webhook_id": 999_999,
        "notice_id": 999_999,
        "service_id": 999_999,
        "token": "not-a-survey-link",
    }
    if "station_id" in rule.arguments:
        from tests.stations.helpers import world_station

        values["station_id"] = world_station(world)[0].id
    if {"quota_id", "request_id"} & set(rule.arguments):
        values.update(_quota_sample(world))
    return {name: values[name] for name in rule.arguments}


def _quota_sample(world) -> dict:
    """A quota of company A's agreement with one confirmed request (made once per world)."""
    if not hasattr(world, "quota_sample"):
        from sqlalchemy.orm import object_session

        from tests.quotas.helpers import priority_request, quota

        session = object_session(world.agreement_a)
        sample = quota(session, world.agreement_a)
        request = priority_request(session, sample, world.traveller_a, requested_by_id=world.booker_a.id)
        world.quota_sample = {"quota_id": sample.id, "request_id": request.id}
        session.commit()  # inside the test's outer transaction: a refused request's rollback keeps it
    return world.quota_sample


def _csrf(client) -> str:
    page = client.get("/account/password")
    if page.status_code != 200:
        page = client.get("/login")
    return factories.csrf_from(page)


def test_every_route_has_a_rule(app):
    """Every endpoint declares its access, and the matrix below covers it."""
    from portal.auth.policy import access_of

    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            assert access_of(rule.endpoint) is not None, f"{rule.endpoint} has no @allow/@public rule"
            assert rule.endpoint in EXPECTED, f"{rule.endpoint} is missing from the access matrix"


def access_failures(app, client, world, role, rules) -> list[str]:
    """Signed in as `role` (anonymous: not signed in), each rule's request against the matrix: a
    line for every status that is not the expected one."""
    user = _user_for(world, role)
    if user is not None:
        assert sign_in(client, user.email).status_code == 302
    failures = []
    for rule in rules:
        method, statuses = EXPECTED[rule.endpoint]
        with app.test_request_context():
            url = url_for(rule.endpoint, **_sample_args(world, rule))
        if method == "POST":
            response = client.post(url, data={"csrf_token": _csrf(client)})
        else:
            response = client.open(url, method=method)
        if response.status_code != statuses[role]:
            failures.append(f"{method} {url}: {response.status_code}, expected {statuses[role]}")
    return failures


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, client, world, role):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    failures = access_failures(app, client, world, role, rules)
    assert not failures, "\n".join(failures)


def test_undeclared_route_is_refused(app):
    """A view without a rule fails closed, even for an administrator."""
    from portal import create_app

    other = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    other.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    response = other.test_client().get("/undeclared")
    assert response.status_code == 404
    assert b"secret" not in response.data


def _ids_of_other_companies(session, world, argument: str) -> list[int]:
    """Ids, for a URL argument, of rows that belong to companies other than booker A's (plus an
    id that exists nowhere): each argument gets ids of its own kind, never a coincidence."""
    from sqlalchemy import select

    from portal.agreements.models import Agreement
    from portal.companies.models import Company, Contact, Document, Interaction, Traveller
    from portal.pipeline.models import Opportunity
    from portal.quotas.models import PriorityRequest, Quota

    own = world.company_a.id
    statements = {
        "company_id": select(Company.id).where(Company.id != own),
        "contact_id": select(Contact.id).where(Contact.company_id != own),
        "traveller_id": select(Traveller.id).where(Traveller.company_id != own),
        "interaction_id": select(Interaction.id).where(Interaction.company_id != own),
        "agreement_id": select(Agreement.id).where(Agreement.company_id != own),
        "document_id": select(Document.id).where(Document.company_id != own),
        "opportunity_id": select(Opportunity.id).where(Opportunity.company_id != own),
        "request_id": select(PriorityRequest.id).where(PriorityRequest.company_id != own),
        "quota_id": select(Quota.id).join(Agreement).where(Agreement.company_id != own),
    }
    ids = [999_999]
    if argument in statements:
        ids += session.scalars(statements[argument].limit(2)).all()
    return ids


def test_booker_gets_404_for_every_other_company_id(app, client, world, db_session):
    """Every route that takes an id answers 404 to a booker for other companies' ids."""
    sign_in(client, world.booker_a.email)
    with app.test_request_context():
        # The API's booker: a client bound to company A (a session is no credential there).
        from tests.api.helpers import api_client, bearer

        api_headers = bearer(api_client(db_session, "booker-a-system", company=world.company_a)[1])
    id_routes = [r for r in app.url_map.iter_rules() if any(a.endswith("_id") for a in r.arguments)]
    assert id_routes
    for rule in id_routes:
        choices = {a: _ids_of_other_companies(db_session, world, a) for a in rule.arguments}
        for i in range(max(len(c) for c in choices.values())):
            args = {a: c[min(i, len(c) - 1)] for a, c in choices.items()}
            url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, args=args: str(args[m.group(1)]), rule.rule)
            if url.startswith("/api/"):
                for method in rule.methods & {"GET", "POST", "DELETE"}:
                    assert client.open(url, method=method, headers=api_headers).status_code == 404, url
                continue
            if "GET" in rule.methods:
                assert client.get(url).status_code == 404, url
            if "POST" in rule.methods:
                assert client.post(url, data={"csrf_token": _csrf(client)}).status_code == 404, url


def test_refusals_are_audited(client, world, db_session):
    from sqlalchemy import select

    from portal.audit.models import AuditEvent

    sign_in(client, world.booker_a.email)
    assert client.get(f"/companies/{world.company_b.id}").status_code == 404
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "refused")).all()
    assert any(
        e.actor_id == world.booker_a.id and e.path == f"/companies/{world.company_b.id}" for e in events
    )


def test_branch_head_of_other_branch_is_refused_and_audited(client, world, db_session):
    from sqlalchemy import select

    from portal.audit.models import AuditEvent

    sign_in(client, world.head_b.email)
    assert client.get(f"/companies/{world.company_a.id}").status_code == 403
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "refused", AuditEvent.actor_id == world.head_b.id)
    ).one()
    assert event.company_id == world.company_a.id


def test_manager_sees_other_portfolio_by_name_only(client, world):
    sign_in(client, world.manager_a2.email)
    page = client.get(f"/companies/{world.company_a.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert world.company_a.name_zh in html
    assert world.company_a.credit_code not in html
    assert world.contact_a.name not in html
    listing = client.get("/companies/?all=1").get_data(as_text=True)
    assert world.company_a.name_zh in listing
    assert world.company_a.credit_code not in listing
