"""The queue's own periodic task: bring back runs whose worker died."""

from huey import crontab

from portal.tasks import huey
from portal.tasks.runs import in_app_context, recover_abandoned


@huey.periodic_task(crontab(minute="*"), name="tasks.recover")
def recover() -> None:
    """Every minute in the worker: requeue runs left running by a dead worker."""
    in_app_context(recover_abandoned)
