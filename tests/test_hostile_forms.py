"""Hostile input on every form of the site, for every role that may use it.

Nothing here is a hand-kept list of forms. The walker takes the routes from the URL map (with
the access matrix's sample ids), learns which form class each route uses by recording every
PortalForm the app validates, reads the form's fields (names, kinds, choices) from that instance,
and takes a valid value for every field from the HTML the role is shown (or, where the page
leaves it empty, from the field's kind and validators). It then posts hostile values field by
field: no 5xx, the raw markup never comes back, and an input the app refuses writes nothing.
A form class under blueprints/ that the walk never reaches fails the test.
"""

import functools
import importlib
import io
import pkgutil
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from flask import url_for
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    TimeField,
)
from wtforms.validators import Length, NumberRange, Regexp

import blueprints
from blueprints.forms import PortalForm
from portal.auth.policy import PUBLIC, access_of
from portal.db import utcnow
from portal.extensions import db
from portal.surveys import links as survey_links
from portal.surveys.models import Survey
from portal.tasks.models import TaskRun
from tests import factories
from tests.conftest import sign_in
from tests.test_access import ROLES, _quota_sample, _sample_args, _user_for

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE_BREAK = '"><img src=x onerror=alert(1)>'
MARKUP = (SCRIPT, "<img src=x onerror=alert(1)>")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Every value is tried in every field (the first role that may use a form), a rotating few in the
# fields of the other roles. Lists stand for a field sent several times; bytes for a file where
# text is expected.
HOSTILE = (
    "",
    "   ",
    "x" * 20_000,
    "a\x00b\x01c\x1b[31m\x7fd\u202e",
    SCRIPT,
    ATTRIBUTE_BREAK,
    "' OR 1=1 --",
    "'; DROP TABLE company; --",
    "2026-02-30",
    "99999-01-01",
    "0000-00-00T25:61",
    str(10**30),
    "-1",
    "-0.000001",
    "1e400",
    "NaN",
    "１２３",
    "２０２６-０３-０１",
    "𠮷😀",
    ["1", "2"],
    b"not a form value",
)
DOWNLOADS = (".pdf", ".csv", ".xlsx")


class FormsInPage(HTMLParser):
    """The forms of a page: action, method and the value each field shows."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "method": (a.get("method") or "get").lower()})
            self.forms[-1]["values"] = {}
            return
        if not self.forms or not a.get("name"):
            if tag == "option" and self._select and "value" in a:
                self._option(a)
            return
        values = self.forms[-1]["values"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    values[a["name"]] = a.get("value", "y")
            elif kind != "file":
                values.setdefault(a["name"], a.get("value") or "")
        elif tag == "select":
            self._select = a["name"]
        elif tag == "textarea":
            self._textarea = a["name"]
            values[a["name"]] = ""
        elif tag == "option" and self._select:
            self._option(a)

    def _option(self, a):
        values = self.forms[-1]["values"]
        if "selected" in a or not values.get(self._select):
            values[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["values"][self._textarea] += data


def form_classes() -> set[type]:
    """Every FlaskForm subclass defined in a module under blueprints/ (but the PortalForm base):
    one that bypasses PortalForm is never seen by the walk, and so fails it."""
    for module in pkgutil.walk_packages(blueprints.__path__, "blueprints."):
        importlib.import_module(module.name)
    found, todo = set(), [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    # A form class made per request (the handover's, a field per company) counts as its base.
    return {
        c
        for c in found
        if c.__module__.startswith("blueprints.") and c is not PortalForm and "<locals>" not in c.__qualname__
    }


def leaves(form_or_field):
    """The input fields of a form, row lists and sub-forms unfolded."""
    for f in form_or_field:
        if isinstance(f, FieldList):
            for entry in f.entries:
                yield from leaves([entry])
        elif isinstance(f, FormField):
            yield from leaves(f)
        elif f.name != "csrf_token":
            yield f


def generic_value(f, n: int, taken: dict):
    """A value that the field's kind and validators accept, for a field the page leaves empty."""
    if isinstance(f, SelectField):
        values = [str(v[0]) for v in f.choices or [] if str(v[0])]
        return values[0] if values else ""
    if isinstance(f, BooleanField):
        return "y"
    if isinstance(f, DateTimeLocalField):
        return (datetime.now() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    if isinstance(f, DateField):
        return (date.today() + timedelta(days=20)).isoformat()
    if isinstance(f, TimeField):
        return "09:30"
    if isinstance(f, IntegerField | DecimalField):
        bounds = [v for v in f.validators if isinstance(v, NumberRange)]
        low = bounds[0].min if bounds and bounds[0].min is not None else 1
        return str(max(low, 1))
    if isinstance(f, PasswordField):
        return factories.PASSWORD
    if isinstance(f, EmailField):
        return f"walker{n}@test.example"
    if f.type == "FileField":
        return PDF
    patterns = [v.regex.pattern for v in f.validators if isinstance(v, Regexp)]
    if patterns:
        return matching(patterns[0], frozenset(v for v in taken.values() if isinstance(v, str)))
    if isinstance(f, HiddenField):
        return ""
    longest = min([v.max for v in f.validators if isinstance(v, Length) and v.max > 0] or [100])
    return f"W{n} {f.name}"[:longest]


@functools.cache
def matching(pattern: str, taken: frozenset) -> str:
    """The simplest non-blank text the pattern accepts that no other field of the form has (two
    airports differ), Hypothesis finding and shrinking it."""
    return find(
        st.from_regex(pattern, fullmatch=True),
        lambda s: s.strip() == s and s != "" and not s.startswith("0") and s not in taken,
        settings=settings(database=None, derandomize=True),
    )


def encoded(data: dict) -> dict:
    """Form data for the test client: bytes become an uploaded file."""
    out = {}
    for name, value in data.items():
        out[name] = (io.BytesIO(value), "hostile.pdf") if isinstance(value, bytes) else value
    return out


class Crashed:
    """Stands for the 500 the app would answer: TESTING propagates the exception instead."""

    status_code = 500
    mimetype = "text/plain"
    location = ""

    def __init__(self, error: Exception):
        tb = error.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        self.reason = f"{type(error).__name__}: {error} at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"

    def get_data(self, as_text=False):
        return self.reason


@dataclass
class Target:
    """One URL whose view builds a form, and what the walk learnt of it."""

    endpoint: str
    url: str
    method: str
    form: type
    fields: list = field(default_factory=list)
    baseline: dict = field(default_factory=dict)


class Walker:
    """Signs in as a role, finds the forms it may use, posts hostile values, collects failures."""

    def __init__(self, app, db_session, monkeypatch):
        self.app, self.session = app, db_session
        self.failures: list[str] = []
        self.exercised: set[type] = set()
        self.validated: list[PortalForm] = []  # the forms the last request validated
        self.requests = 0
        original = PortalForm.validate
        validated = self.validated

        def recording_validate(form, *args, **kwargs):
            validated.append(form)
            return original(form, *args, **kwargs)

        monkeypatch.setattr(PortalForm, "validate", recording_validate)
        self.signed_out = False
        self.client = None
        self.role = None
        self.token = ""

    # --- the world's state -------------------------------------------------------------------
    @functools.cached_property
    def counting(self):
        """One query of the rows per table; refusals of access are audited, failed sign-ins
        counted on purpose. Built once: the walk counts twice per request."""
        parts = []
        for table in db.metadata.sorted_tables:
            if table.name == "login_attempt":
                continue
            q = select(func.count()).select_from(table)
            if table.name == "audit_event":
                q = q.where(table.c.action != "refused")
            parts.append(q.scalar_subquery().label(table.name))
        return select(*parts)

    def counts(self) -> dict[str, int]:
        """Rows per table (see `counting`)."""
        return dict(self.session.execute(self.counting).mappings().one())

    # --- signing in --------------------------------------------------------------------------
    def become(self, role):
        """Sign in as `role` in a world of its own: what other roles' walks changed (a deleted
        contact, a terminated agreement) does not hide a form from this one."""
        from portal.reminders.models import Reminder

        self.world = factories.small_world(self.session)
        _quota_sample(self.world)
        self.draft = factories.agreement(self.session, self.world.company_a, status="draft")
        reminder = Reminder(
            company_id=self.world.company_a.id,
            assignee_id=self.world.manager_a1.id,
            kind="revisit",
            title="回访",
            due_on=date.today(),
        )
        self.session.add(reminder)
        failed_run = TaskRun(name="mail.send", args={}, status="failed", attempts=4, error="test")
        self.session.add(failed_run)
        self.session.flush()
        with self.app.test_request_context():
            token = survey_links.new_token()
            survey = Survey(
                company_id=self.world.company_a.id,
                contact_id=self.world.contact_a.id,
                reason="quarterly",
                occasion=f"walk-{role}",
                token_hash=survey_links.token_hash(token),
                sent_at=utcnow(),
                expires_at=utcnow() + timedelta(days=7),
            )
            self.session.add(survey)
            signed = survey_links.sign(token)
        self.session.commit()
        self.extra = {"reminder_id": reminder.id, "run_id": failed_run.id, "token": signed}
        self.role = role
        self.client = self.app.test_client()
        # Sign-in throttling counts failures per address: each role's walk comes from its own.
        self.client.environ_base["REMOTE_ADDR"] = f"127.0.0.{10 + ROLES.index(role)}"
        self.token = ""
        self.ensure_signed_in()

    def ensure_signed_in(self):
        self.signed_out = False
        user = _user_for(self.world, self.role)
        page = self.client.get("/account/password")
        if user is not None and page.status_code != 200:
            assert sign_in(self.client, user.email).status_code == 302
            page = self.client.get("/account/password")
        if page.status_code != 200:
            page = self.client.get("/login")
        self.token = factories.csrf_from(page)

    # --- requests ----------------------------------------------------------------------------
    def send(self, target: Target, data: dict, *, as_json: bool = False):
        self.validated.clear()
        self.requests += 1
        try:
            if as_json:
                return self.client.post(target.url, json={**data, "csrf_token": self.token})
            if target.method == "GET":
                plain = {k: v for k, v in data.items() if not isinstance(v, bytes)}
                return self.client.get(target.url, query_string=plain)
            response = self.client.post(
                target.url,
                data=encoded({**data, "csrf_token": self.token}),
                content_type="multipart/form-data",
            )
            if response.status_code in (301, 302, 303) and urlsplit(response.location).path == "/login":
                self.signed_out = True
            return response
        except Exception as e:  # noqa: BLE001 -- the testing app raises what would be a 500
            self.session.rollback()
            return Crashed(e)

    def page(self, url):
        self.validated.clear()
        response = self.client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            return None
        parser = FormsInPage()
        parser.feed(response.get_data(as_text=True))
        return parser

    # --- finding the forms -------------------------------------------------------------------
    def sample_urls(self, rule) -> list[str]:
        args = _sample_args(self.world, rule) | {k: v for k, v in self.extra.items() if k in rule.arguments}
        variants = [args]
        if "agreement_id" in rule.arguments:
            variants.append(args | {"agreement_id": self.draft.id})
        with self.app.test_request_context():
            return [url_for(rule.endpoint, **v) for v in variants]

    def rules(self):
        for rule in self.app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            with self.app.test_request_context():
                access = access_of(rule.endpoint)
            if PUBLIC in access or self.role in access:
                yield rule

    def targets(self):
        """The URLs (from the URL map and the links and forms of the role's pages) that build a form
        the role may use, with the values its pages show. Each POST target is found just before it
        is walked, after the walks before it (an edit form before the delete that ends its row)."""
        pages, found = {}, []
        candidates: dict[str, list[str]] = {}
        for rule in self.rules():
            urls = self.sample_urls(rule)
            candidates[rule.endpoint] = urls
            if "GET" not in rule.methods or rule.rule.endswith(DOWNLOADS):
                continue
            for url in urls:
                parsed = self.page(url)
                if parsed is None:
                    continue
                pages[url] = parsed
                # A form the page validates without a CSRF token is a GET form (filters).
                for form in {type(f): f for f in self.validated if not f.meta.csrf}.values():
                    found.append(Target(rule.endpoint, url, "GET", type(form), fields=list(leaves(form))))
        adapter = self.app.url_map.bind("localhost")
        for parsed in pages.values():
            for href in parsed.links + [f["action"] for f in parsed.forms]:
                parts = urlsplit(href)
                if parts.netloc or not parts.path.startswith("/") or not parts.query:
                    continue
                try:
                    endpoint, _args = adapter.match(parts.path, method="POST")
                except Exception:  # noqa: BLE001 -- a link to something that takes no POST
                    continue
                if endpoint in candidates:
                    candidates[endpoint].append(f"{parts.path}?{parts.query}")
        shown = {}
        for url, parsed in pages.items():
            for f in parsed.forms:
                shown.setdefault(urlsplit(urljoin(url, f["action"])).path, {}).update(f["values"])
        for target in found:
            self.fill_baseline(target, shown)
            yield target
        for endpoint, urls in candidates.items():
            if "POST" not in next(self.app.url_map.iter_rules(endpoint)).methods:
                continue
            # The first URL that builds a form for this role stands for the endpoint.
            for url in dict.fromkeys(urls):
                target = self.probe(endpoint, url, shown)
                if target is not None:
                    yield target
                    break

    def fill_baseline(self, target: Target, shown: dict):
        values = dict(shown.get(urlsplit(target.url).path, {}))
        for n, f in enumerate(target.fields):
            value = values.get(f.name, "")
            target.baseline[f.name] = value if value.strip() else generic_value(f, n, target.baseline)

    def probe(self, endpoint, url, shown) -> Target | None:
        """The form a POST to the URL validates for this role (None: none, or the role may not)."""
        try:
            response = self.send(Target(endpoint, url, "POST", PortalForm), {})
            forms = [f for f in self.validated if f.meta.csrf]
            self.check_status(response, f"probe POST {url}")
            if response.status_code in (401, 403, 404) or not forms:
                return None
            target = Target(endpoint, url, "POST", type(forms[-1]), fields=list(leaves(forms[-1])))
            # A page reached through a link with a query (a new agreement for a company) shows its
            # own values; the crawl has the others.
            page = self.page(url) if urlsplit(url).query else None
            values = dict(shown.get(urlsplit(url).path, {}))
            for form in page.forms if page else []:
                values.update(form["values"])
            self.fill_baseline(target, {urlsplit(url).path: values})
            return target
        finally:
            if self.signed_out or endpoint.startswith("auth."):
                self.ensure_signed_in()

    # --- checks ------------------------------------------------------------------------------
    def check_status(self, response, what):
        if response.status_code >= 500:
            reason = getattr(response, "reason", "")
            self.failures.append(f"{self.role}: {what}: {response.status_code} {reason}")

    def check(self, target: Target, hostile: dict, *, as_json: bool = False):
        if self.signed_out:
            self.ensure_signed_in()
        before = self.counts()
        response = self.send(target, {**target.baseline, **hostile}, as_json=as_json)
        shown = {name: str(value)[:30] for name, value in hostile.items()}
        what = f"{target.method} {target.url} {target.form.__name__} {shown}"
        self.check_status(response, what)
        refused = any(f.errors for f in self.validated if type(f) is target.form)
        after = self.counts()
        bodies = [response.get_data(as_text=True)] if response.mimetype == "text/html" else []
        if response.status_code in (301, 302, 303) and urlsplit(response.location).path != "/login":
            followed = self.send(Target(target.endpoint, response.location, "GET", PortalForm), {})
            self.check_status(followed, f"{what} -> {response.location}")
            if followed.mimetype == "text/html":
                bodies.append(followed.get_data(as_text=True))
                refused = refused or any(m in bodies[-1] for m in ("alert-danger", "alert-warning"))
        for body in bodies:
            for markup in MARKUP:
                if markup in body:
                    self.failures.append(f"{self.role}: {what}: raw {markup!r} in the response")
        if refused and before != after:
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            self.failures.append(f"{self.role}: {what}: refused, yet rows changed {changed}")

    def walk(self, target: Target, thorough: bool):
        """Every hostile value in all fields at once, then field by field among valid values (all
        of them the first time a form class is walked, a rotating few for the other roles)."""
        if not target.fields and target.form in self.exercised:
            return  # a button: the probe posted it for this role already
        try:
            names = [f.name for f in target.fields] or ["unexpected"]
            everywhere = (
                HOSTILE
                if thorough and target.fields
                else [HOSTILE[(len(self.exercised) + k) % len(HOSTILE)] for k in (0, 7, 14)]
            )
            for value in everywhere:
                self.check(target, dict.fromkeys(names, value))
            if target.method == "POST":
                # A JSON body: numbers, objects and lists where the form expects text.
                odd = [10**30, {"$ne": None}, [1, [2]], None, True, -1.5]
                self.check(target, {n: odd[i % len(odd)] for i, n in enumerate(names)}, as_json=True)
            per_field = 2 if thorough else 1
            for i, name in enumerate(names):
                for k in range(per_field):
                    self.check(
                        target, {name: HOSTILE[(i * per_field + k + len(self.exercised)) % len(HOSTILE)]}
                    )
            self.exercised.add(target.form)
        finally:
            if target.endpoint.startswith("auth."):
                self.ensure_signed_in()


@pytest.fixture()
def walker(app, db_session, monkeypatch):
    from portal.reviews import generation

    # A queued review is rendered by a worker thread that cannot see the test's transaction;
    # rendering is the reviews tests' business, the walk only queues.
    monkeypatch.setattr(generation, "start_in_background", lambda *args, **kwargs: None)
    # The walk posts wrong passwords on purpose (sign-in, re-authentication, password change), and
    # those count against the role's own account: with the real limit (5 per account) each role was
    # throttled halfway through its walk, and a later sign-in (after a probe signed it out) got 429
    # or not depending on how many forms came before. Throttling is tests/test_auth_throttle.py's.
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES", 10**6)
    return Walker(app, db_session, monkeypatch)


def test_hostile_values_on_every_form(walker):
    """Every form, every role that may use it: no 5xx, no raw markup, nothing written when refused."""
    for role in ROLES:
        walker.become(role)
        for target in walker.targets():
            walker.walk(target, thorough=target.form not in walker.exercised)
    assert not walker.failures, "\n".join(walker.failures)
    # A form built per request (the leaver's handover, a field per company) is a subclass.
    reached = {c for c in form_classes() if any(issubclass(e, c) for e in walker.exercised)}
    missing = sorted(f"{c.__module__}.{c.__name__}" for c in form_classes() - reached)
    assert not missing, f"forms no role's walk reached: {missing}"


def test_form_discovery_finds_the_site_forms():
    """The walk's list of forms comes from the code: it holds the sign-in and terms forms."""
    names = {c.__name__ for c in form_classes()}
    assert {"LoginForm", "TermsForm", "TravelFilterForm", "QuotaForm"} <= names
    assert PortalForm not in form_classes()


def _token(client) -> str:
    return factories.csrf_from(client.get("/account/password"))


def test_a_file_where_text_is_expected_is_an_empty_field(client, world):
    """A file posted as the sign-in email reads as no email (it failed with a TypeError)."""
    client.get("/lang/en")
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "csrf_token": factories.csrf_from(page),
            "email": (io.BytesIO(b"x"), "a.txt"),
            "password": factories.PASSWORD,
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "This field is required." in response.get_data(as_text=True)


def test_a_json_body_of_the_wrong_shape_is_refused_plainly(client, world, login):
    login(world.manager_a1)
    token = _token(client)
    url = f"/companies/{world.company_a.id}/contacts/new"
    for body in ([1, 2], "text", {"name": {"$ne": None}}):
        response = client.post(url, json=body, headers={"X-CSRFToken": token})
        assert response.status_code in (200, 400), body


def test_a_nul_character_never_reaches_the_database(client, world):
    """PostgreSQL refuses NUL even in a query's parameters: the sign-in answered 500."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"csrf_token": factories.csrf_from(page), "email": "a\x00@b.example", "password": "x\x00y"},
    )
    assert response.status_code == 401


def test_ids_beyond_the_integer_range_are_refused(client, world, login, db_session):
    """A 31-digit id overflowed SQLite's integer (OverflowError) and PostgreSQL's."""
    login(world.head_a)
    client.get("/lang/en")
    token = _token(client)
    huge = str(10**30)
    response = client.post(
        f"/companies/{world.company_a.id}/manager", data={"csrf_token": token, "manager_id": huge}
    )
    assert response.status_code == 200
    assert "Not a valid choice." in response.get_data(as_text=True)
    assert (
        client.post("/notifications/read", data={"csrf_token": token, "notification_id": huge}).status_code
        == 400
    )


def test_a_portfolio_review_names_an_existing_branch_in_ascii_digits(client, world, login, db_session):
    """Full-width "１２３" passed str.isdigit() and became branch 123 (a foreign-key 500)."""
    from sqlalchemy import func, select

    from portal.reviews.models import Review

    login(world.admin)
    token = _token(client)
    before = db_session.scalar(select(func.count()).select_from(Review))
    for branch, status in (("１２３", 400), ("999999", 404)):
        response = client.post(
            "/reviews/generate",
            data={"csrf_token": token, "kind": "portfolio", "branch_id": branch, "period": "2026Q3"},
        )
        assert response.status_code == status, branch
    assert db_session.scalar(select(func.count()).select_from(Review)) == before


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    values=st.dictionaries(
        st.sampled_from(["name", "title", "role", "phone", "email", "notes"]),
        st.one_of(st.text(max_size=300), st.sampled_from([v for v in HOSTILE if isinstance(v, str)])),
    )
)
def test_random_text_on_a_dossier_form(client, world, db_session, values):
    """Any text (Hypothesis's, any plane, any category) in any field of the contact form: an
    answer that is not a 5xx, no raw markup, and a refused input writes no contact."""
    from sqlalchemy import func, select

    from portal.companies.models import Contact

    if client.get("/account/password").status_code != 200:
        assert sign_in(client, world.manager_a1.email).status_code == 302
    token = _token(client)
    before = db_session.scalar(select(func.count()).select_from(Contact))
    data = {"name": "王经理", "role": "travel_manager"} | values | {"csrf_token": token}
    response = client.post(f"/companies/{world.company_a.id}/contacts/new", data=data)
    assert response.status_code in (200, 302)
    body = response.get_data(as_text=True)
    assert not any(markup in body for markup in MARKUP)
    after = db_session.scalar(select(func.count()).select_from(Contact))
    assert after == before + (1 if response.status_code == 302 else 0)
