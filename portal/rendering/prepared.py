"""PDFs prepared by a worker for someone waiting on a page (a booker's statement, a manager's
call list): the request never renders (the request's side is portal/web/prepared.py).

A prepared file is named by what it shows: the digest of its data (and language) is part of
its name, so a second request for the same data is served the file at once, and a change of
the data asks for a new file. The task writes the file under a temporary name and renames it,
so a reader never sees half a PDF. Files older than KEEP_FOR are removed by the queue's daily
sweep.
"""

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from flask import current_app

from portal import pdf
from portal.errors import DomainError

KEEP_FOR = timedelta(days=2)


class RenderFailed(DomainError):
    """A render failed or ran out of time: the same data would fail again, so the run is failed
    at once (shown to admins, who may retry it) instead of being retried by the queue."""


@contextmanager
def render_failures() -> Iterator[None]:
    """Turn a failed render in the block into RenderFailed."""
    try:
        yield
    except pdf.RenderError as e:
        raise RenderFailed(str(e) or type(e).__name__) from e


def root() -> Path:
    return Path(current_app.config["PORTAL_DATA_DIR"]) / "prepared"


def relative(path: Path) -> str:
    """How a task names its file (below the prepared folder)."""
    return str(path.relative_to(root()))


def file_for(kind: str, owner: int, key: dict) -> Path:
    """The file that shows `key` (plain data) for `owner` (a company or a user)."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:40]
    return root() / kind / str(owner) / f"{digest}.pdf"


def write(path: Path, render: Callable[[Path], object]) -> None:
    """Render into a temporary file beside `path`, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.pdf")
    try:
        render(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def target(relative: str) -> Path:
    """A task's file from its args (a path below the prepared folder, never outside it)."""
    base = root().resolve()
    path = (base / relative).resolve()
    if base not in path.parents:
        raise ValueError(f"not a prepared file: {relative}")
    return path


def sweep(now: float | None = None) -> int:
    """Remove prepared files (and partial ones) older than KEEP_FOR; how many."""
    cutoff = (now or time.time()) - KEEP_FOR.total_seconds()
    removed = 0
    if not root().exists():
        return 0
    for path in root().rglob("*"):
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
