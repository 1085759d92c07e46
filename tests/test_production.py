"""Production posture: the demo seed refuses to run in production unless forced, and a
development portal listening beyond this machine is warned about when gunicorn starts."""

import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from portal import create_app
from portal.auth.models import User
from portal.extensions import db
from portal.serving import exposure_warning, is_loopback
from tests.conftest import drop_pg_database

ROOT = Path(__file__).resolve().parents[1]
SEED = ["seed", "--companies", "2", "--years", "1", "--quiet", "--score-months", "0"]


@pytest.fixture(params=["sqlite", "postgresql"])
def production_app(request, fresh_database, tmp_path_factory):
    """A production app on a fresh, migrated database of each backend."""
    url = fresh_database(request.param)
    app = create_app(
        "production",
        SQLALCHEMY_DATABASE_URI=url,
        SECRET_KEY="production-test-key-not-secret",
        PORTAL_FIELD_KEY="AQEJyteoRzHJ7G9-Shthw8fgur03k4002RIJRQ1260I=",
        PORTAL_DATA_DIR=str(tmp_path_factory.mktemp("data")),
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()
    if url.startswith("postgresql"):
        drop_pg_database(url)


def _users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize("extra", [[], ["--if-empty"]])
def test_seed_refuses_to_run_in_production(production_app, extra):
    result = production_app.test_cli_runner().invoke(args=SEED + extra)
    assert result.exit_code != 0
    assert "--allow-demo-in-production" in result.output and "demo-pass" not in result.output
    assert _users(production_app) == 0


def test_seed_runs_in_production_when_forced(production_app):
    result = production_app.test_cli_runner().invoke(args=[*SEED, "--allow-demo-in-production"])
    assert result.exit_code == 0, result.output
    assert "admin@demo.example" in result.output
    assert _users(production_app) > 0


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("127.0.0.5", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("", False),
        ("::", False),
        ("192.168.1.20", False),
        ("portal.example.com", False),
    ],
)
def test_loopback_hosts(host, local):
    assert is_loopback(host) is local


def test_exposure_warning_only_for_development_beyond_loopback():
    assert exposure_warning("development", [("127.0.0.1", 5000), "/run/portal.sock"]) is None
    assert exposure_warning("production", [("0.0.0.0", 5000)]) is None
    message = exposure_warning("development", [("127.0.0.1", 5000), ("0.0.0.0", 8000)])
    assert "0.0.0.0:8000" in message and "127.0.0.1:5000" not in message


@pytest.mark.parametrize(
    ("env", "bind", "warned"),
    [
        ("development", ("0.0.0.0", 5000), True),
        ("development", ("127.0.0.1", 5000), False),
        ("production", ("0.0.0.0", 5000), False),
    ],
)
def test_gunicorn_warns_when_development_listens_beyond_this_machine(monkeypatch, env, bind, warned):
    """gunicorn.conf.py (read by gunicorn from the project folder) checks the real binds."""
    monkeypatch.setenv("PORTAL_ENV", env)
    warnings = []
    server = SimpleNamespace(
        cfg=SimpleNamespace(address=[bind]), log=SimpleNamespace(warning=warnings.append)
    )
    runpy.run_path(str(ROOT / "gunicorn.conf.py"))["when_ready"](server)
    assert bool(warnings) is warned


def test_run_sh_does_not_seed_in_production():
    script = (ROOT / "run.sh").read_text()
    seed_at = script.index("seed --if-empty")
    assert 'if [ "$PORTAL_ENV" = production ]' in script[:seed_at]
