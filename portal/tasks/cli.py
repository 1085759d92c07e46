"""`flask --app wsgi worker`: the task queue's worker process (Huey's consumer)."""

import click
from flask import Flask


def register(app: Flask) -> None:
    """Attach the worker command."""

    @app.cli.command("worker")
    @click.option("--workers", "-w", default=2, show_default=True, type=click.IntRange(1, 64))
    @click.option(
        "--processes",
        is_flag=True,
        help="Worker processes instead of threads (for CPU-bound work such as many PDFs).",
    )
    def worker(workers: int, processes: bool):
        """Run tasks from the queue until stopped (SIGINT finishes running tasks, SIGTERM stops at
        once; an interrupted task is queued again when a worker starts)."""
        from portal.tasks import huey
        from portal.tasks.runs import recover_abandoned

        if app.config.get("TASKS_IMMEDIATE"):
            raise click.ClickException("TASKS_IMMEDIATE is set: tasks run in the caller, not a worker.")
        requeued = recover_abandoned()
        if requeued:
            click.echo(f"requeued task runs whose worker ended: {requeued}", err=True)
        broker = "redis" if app.config.get("TASK_BROKER", "").startswith("redis") else "sqlite"
        click.echo(f"worker: {workers} {'processes' if processes else 'threads'}, queue {broker}", err=True)
        consumer = huey.create_consumer(
            workers=workers, worker_type="process" if processes else "thread", periodic=True
        )
        consumer.run()
