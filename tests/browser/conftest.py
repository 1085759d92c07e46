"""Fixtures for browser journeys: Chromium, a live server on a committed small world, a page per test.

The browser is Debian's Chromium (Playwright cannot download its own here). Without it the
journeys are skipped, unless REQUIRE_BROWSER=1 (CI), where that is a failure. The page only
ever talks to the live server on 127.0.0.1: any other request is recorded and aborted.
"""

import os
import shutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server

from portal.extensions import db
from tests import factories
from tests.conftest import REQUIRE_BROWSER, make_app

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 10_000
# Report every CSP violation in the console in one wording, whatever Chromium's own message says.
# Init scripts come from the driver, so the page's CSP does not block this one.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`Content Security Policy violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
});
"""


def chromium_path() -> str | None:
    """Debian's Chromium, or a `chromium` on PATH; None when neither is there."""
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def skip_or_fail(reason: str) -> None:
    """Skip (or, when REQUIRE_BROWSER=1, fail) because the browser cannot run."""
    if not REQUIRE_BROWSER:
        pytest.skip(f"{reason} (set REQUIRE_BROWSER=1 to make this a failure)")
    pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run."""
    executable = chromium_path()
    if executable is None:
        skip_or_fail("Chromium is not installed (/usr/bin/chromium, or chromium on PATH)")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as e:
        skip_or_fail(f"Playwright is not importable: {e}")
    playwright = sync_playwright().start()
    try:
        instance = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    except Error as e:
        playwright.stop()
        skip_or_fail(f"Playwright cannot launch {executable}: {e.message.splitlines()[0]}")
    yield instance
    instance.close()
    playwright.stop()


@dataclass
class LiveServer:
    """The address of a running portal and plain values (ids, emails) from its world."""

    url: str
    world: SimpleNamespace
    # The served app, for a journey that adds rows of its own (in an app context, committed).
    app: object = None


def _capture(w: factories.World) -> SimpleNamespace:
    """Plain values of the small world, safe to use after its session has closed."""

    def person(user):
        return SimpleNamespace(id=user.id, email=user.email, name=user.name, role=user.role)

    def firm(company):
        return SimpleNamespace(id=company.id, name_zh=company.name_zh, credit_code=company.credit_code)

    people = ("admin", "management", "head_a", "head_b", "manager_a1", "manager_a2", "manager_b1")
    firms = ("company_a", "company_a2", "company_b")
    offices = ("office_a", "office_b")
    values = {name: person(getattr(w, name)) for name in (*people, "booker_a", "booker_b")}
    values.update({name: firm(getattr(w, name)) for name in firms})
    values.update(
        {name: SimpleNamespace(id=getattr(w, name).id, name_zh=getattr(w, name).name_zh) for name in offices}
    )
    values["agreement_a_number"] = w.agreement_a.number
    return SimpleNamespace(**values)


@pytest.fixture(scope="module")
def live_server(fresh_database, tmp_path_factory):
    """The portal on a fresh SQLite file holding a committed small world, served from a thread."""
    url = fresh_database("sqlite")
    app = make_app(url, tmp_path_factory.mktemp("data"))
    with app.app_context():
        world = _capture(factories.small_world(db.session))
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", world=world, app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@dataclass
class PageLog:
    """What a page did besides rendering: console errors, script errors, requests."""

    base_url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    # Chromium logs "Failed to load resource ... 404" for a page answered 404 on purpose.
    expected_statuses: set[int] = field(default_factory=set)

    def is_local(self, url: str) -> bool:
        # data: URLs (Bootstrap's inline SVG icons) never leave the browser.
        return url.startswith(self.base_url + "/") or url.startswith("data:")

    def external_requests(self) -> list[str]:
        return [u for u in self.requests if not self.is_local(u)]

    def csp_violations(self) -> list[str]:
        return [m for m in self.console_errors if "Content Security Policy" in m]

    def unexpected_errors(self) -> list[str]:
        allowed = tuple(f"status of {s} " for s in self.expected_statuses)
        unexpected = [
            m
            for m in self.console_errors
            if not (m.startswith("Failed to load resource") and any(a in m for a in allowed))
        ]
        return unexpected + self.page_errors

    def assert_clean(self) -> None:
        """No CSP violation, no script or console error, nothing fetched from elsewhere."""
        assert not self.csp_violations(), self.csp_violations()
        assert not self.unexpected_errors(), self.unexpected_errors()
        assert not self.external_requests(), self.external_requests()


@pytest.fixture()
def page_log(live_server):
    """The current test's PageLog; the `page` fixture fills it."""
    return PageLog(base_url=live_server.url)


@contextmanager
def logged_page(browser, page_log: PageLog, **context_options):
    """A fresh context (zh-CN, Asia/Shanghai, plus `context_options`) and page that only reaches
    the live server and records into `page_log`; checked for CSP, script errors and outside
    traffic when the block ends."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context_options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)

    def only_local(route):
        if page_log.is_local(route.request.url):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_local)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and page_log.console_errors.append(m.text))
    page.on("pageerror", lambda e: page_log.page_errors.append(str(e)))
    page.on("request", lambda r: page_log.requests.append(r.url))
    try:
        yield page
    finally:
        context.close()
    page_log.assert_clean()


@pytest.fixture()
def page(browser, live_server, page_log):
    """A desktop-sized page (1280 x 800), see `logged_page`."""
    with logged_page(browser, page_log, viewport={"width": 1280, "height": 800}) as page:
        yield page


def sign_in(page, base_url: str, email: str, password: str = factories.PASSWORD) -> None:
    """Sign in through the real form and wait for the page the portal sends us to."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form:has(input[name=password]) button[type=submit]")
    assert "/login" not in page.url, f"sign-in as {email} failed: still on {page.url}"
