"""The queue's own periodic tasks: bring back runs whose worker died; sweep old prepared PDFs."""

from huey import crontab

from portal.rendering import prepared
from portal.tasks import huey
from portal.tasks.runs import in_app_context, recover_abandoned


@huey.periodic_task(crontab(minute="*"), name="tasks.recover")
def recover() -> None:
    """Every minute in the worker: requeue runs left running by a dead worker."""
    in_app_context(recover_abandoned)


@huey.periodic_task(crontab(minute="17", hour="3"), name="tasks.sweep_prepared")
def sweep_prepared() -> None:
    """Every night in the worker: remove prepared PDFs nobody fetched for KEEP_FOR."""
    in_app_context(prepared.sweep)
