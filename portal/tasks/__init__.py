"""The task queue (Huey) that carries long work out of web requests: imports, review and statement PDFs, job
runs started by hand, the mail outbox and webhook deliveries.

The embedded default keeps the queue in a SQLite file under PORTAL_DATA_DIR (no extra service,
only a worker process beside gunicorn: `flask --app wsgi worker`); with
`PORTAL_TASK_BROKER=redis://host:6379/0` the web servers and workers of several machines share
one Redis queue. The tests run tasks at
once, in the caller (Huey's immediate mode).

A queue message carries only the id of a TaskRun row (portal/tasks/models.py); the row says
what to do and where it stands. `enqueue` writes the row, the caller commits, then `dispatch`
sends the message. Area modules `portal/<area>/tasks.py` declare thin entry points with
`@task(...)`: they call the area's services and own their commits, like jobs.
"""

import os

from flask import Flask
from huey import Huey
from huey.storage import RedisStorage, SqliteStorage

from portal.readiness import ready_check

# Configured by `init_app` (storage from the app's configuration); tasks register on import.
huey = Huey("portal", immediate=True, results=False)

TASK_MODULES = (
    "portal.imports.tasks",
    "portal.reviews.tasks",
    "portal.jobs.tasks",
    "portal.mail.tasks",
    "portal.api.tasks",
    "portal.selfservice.tasks",
    "portal.reminders.tasks",
    "portal.agreements.tasks",
    "portal.tasks.maintenance",
)


def init_app(app: Flask) -> None:
    """Point the queue at the configured broker and register every task module."""
    import importlib

    from portal.tasks import runs

    broker = app.config.get("TASK_BROKER") or ""
    if broker.startswith(("redis://", "rediss://", "unix://")):
        huey.storage_class = RedisStorage
        huey.storage_kwargs = {"url": broker}
    else:
        path = broker.removeprefix("sqlite:///") or os.path.join(app.config["PORTAL_DATA_DIR"], "tasks.db")
        huey.storage_class = SqliteStorage
        huey.storage_kwargs = {"filename": path}
    immediate = bool(app.config.get("TASKS_IMMEDIATE"))
    if not immediate:  # run at once in the caller (tests): Huey keeps its store in memory
        if huey.storage_class is SqliteStorage:
            os.makedirs(os.path.dirname(huey.storage_kwargs["filename"]) or ".", exist_ok=True)
        huey.storage = huey.create_storage()
    huey.immediate = immediate
    runs.bind_app(app)
    for module in TASK_MODULES:
        importlib.import_module(module)


@ready_check("broker")
def broker_reachable() -> None:
    """The queue's store answers (the SQLite file, or Redis in the scale-out mode)."""
    huey.pending_count()
