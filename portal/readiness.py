"""What /ready checks before a load balancer sends an instance traffic: the database, the data
folder and whatever else registers here (the task queue's broker registers its own check with
`ready_check("broker")`). A check returns nothing when its part is reachable and raises when not."""

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from flask import current_app
from sqlalchemy import text

from portal.extensions import db

log = logging.getLogger(__name__)

# (name, check) in the order they run; modules append theirs through ready_check().
READY_CHECKS: list[tuple[str, Callable[[], None]]] = []


def ready_check(name: str):
    """Register a check under `name` (a decorator); registering a name again replaces it."""

    def decorate(check: Callable[[], None]) -> Callable[[], None]:
        READY_CHECKS[:] = [(n, c) for n, c in READY_CHECKS if n != name]
        READY_CHECKS.append((name, check))
        return check

    return decorate


@ready_check("database")
def database_reachable() -> None:
    """The database answers a query."""
    db.session.execute(text("SELECT 1"))


@ready_check("storage")
def storage_writable() -> None:
    """PORTAL_DATA_DIR (shared storage in production) takes a file and gives it back."""
    folder = Path(current_app.config["PORTAL_DATA_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".ready-", dir=folder)
    try:
        os.write(fd, b"ok")
    finally:
        os.close(fd)
        os.unlink(name)


def run_checks() -> tuple[bool, dict[str, str]]:
    """Run every check: (all passed, {name: "ok" or "unreachable"}). Failures are logged."""
    results = {}
    for name, check in READY_CHECKS:
        try:
            check()
            results[name] = "ok"
        except Exception:  # any failure of a part is what this reports
            log.exception("ready check %s failed", name)
            results[name] = "unreachable"
    return all(v == "ok" for v in results.values()), results
