"""One command starts everything (./run.sh → honcho → the Procfile), Ctrl-C stops it all."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def procfile() -> dict[str, str]:
    """The Procfile's process types and their commands, in order."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_the_procfile_names_web_worker_and_scheduler():
    processes = procfile()
    assert list(processes) == ["web", "worker", "scheduler"]  # web first: honcho's -p port is its $PORT
    assert re.search(r"gunicorn --bind 127\.0\.0\.1:\$PORT .* wsgi:app$", processes["web"])
    assert processes["worker"].endswith("flask --app wsgi worker")
    assert processes["scheduler"].endswith("flask --app wsgi scheduler run")
    check = subprocess.run(
        [VENV_BIN / "honcho", "check", "-f", ROOT / "Procfile"], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stderr
    assert "Valid procfile detected (web, worker, scheduler)" in check.stderr


def test_run_sh_migrates_then_starts_the_procfile_with_honcho():
    script = (ROOT / "run.sh").read_text()
    assert subprocess.run(["bash", "-n", ROOT / "run.sh"], check=False).returncode == 0
    assert script.index("db upgrade") < script.index("seed --if-empty") < script.index("honcho start")
    assert script.rstrip().endswith('exec .venv/bin/honcho start -f Procfile -p "$port"')


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_honcho_serves_the_web_runs_the_worker_and_the_scheduler_and_ctrl_c_stops_every_process(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "PORTAL_ENV": "testing",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}",
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
        "WEB_CONCURRENCY": "1",
        "PORTAL_LOG_FORMAT": "json",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    log = open(tmp_path / "honcho.log", "w+")
    # Its own process group, as a terminal's foreground job: Ctrl-C signals the whole group.
    honcho = subprocess.Popen(
        [VENV_BIN / "honcho", "start", "-f", "Procfile", "-p", str(port), "web", "worker", "scheduler"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        answer = None
        while time.monotonic() < deadline and answer is None:
            try:
                ask = urllib.request.Request(
                    f"http://127.0.0.1:{port}/health", headers={"X-Request-ID": "rid-77"}
                )
                with urllib.request.urlopen(ask, timeout=2) as r:
                    answer = r.status, r.headers["X-Request-ID"]
            except OSError:
                time.sleep(0.3)
        while time.monotonic() < deadline and "scheduled " not in Path(log.name).read_text():
            time.sleep(0.3)
        output = Path(log.name).read_text()
        assert answer == (200, "rid-77"), output
        assert "scheduled " in output, output  # the scheduler process listed its jobs
        # PORTAL_LOG_FORMAT=json: what web writes, gunicorn's lines and the app's, is JSON lines.
        lines = [line.split(" | ", 1) for line in output.splitlines() if " | " in line]
        web = [json.loads(text) for prefix, text in lines if prefix.split()[-1] == "web.1"]
        assert any(e["logger"] == "gunicorn.error" for e in web), output
        assert {
            "logger": "portal.request",
            "path": "/health",
            "status": 200,
            "request_id": "rid-77",
        }.items() <= next(e for e in web if e["logger"] == "portal.request").items(), output

        os.killpg(honcho.pid, signal.SIGINT)
        honcho.wait(timeout=30)
        deadline = time.monotonic() + 15
        while group_alive(honcho.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not group_alive(honcho.pid), "a process outlived Ctrl-C"
    finally:
        if group_alive(honcho.pid):
            os.killpg(honcho.pid, signal.SIGKILL)
        honcho.wait(timeout=10)
        log.close()


def test_the_deployment_samples_hold_no_secret_and_name_only_settings_the_portal_reads():
    sample = (ROOT / "scripts" / "deploy" / "portal.env.example").read_text()
    settings = dict(line.split("=", 1) for line in sample.splitlines() if line and not line.startswith("#"))
    assert settings["SECRET_KEY"] == "" and settings["PORTAL_FIELD_KEY"] == ""
    assert settings["PORTAL_ENV"] == "production"
    read = "".join((ROOT / name).read_text() for name in ("config.py", "portal/__init__.py", "Procfile"))
    for name in settings:
        assert name in read, f"{name} is read nowhere"
    nginx = (ROOT / "scripts" / "deploy" / "nginx.conf").read_text()
    assert nginx.count("server 10.0.1.") == 3
    assert "proxy_set_header X-Request-ID $request_id;" in nginx
