"""Task entry point of review PDFs: render the queue within the render limits."""

from portal.reviews.generation import drain
from portal.tasks.runs import RunContext, task


@task("reviews.render")
def render_queue(ctx: RunContext) -> dict:
    """Render queued reviews while a render slot is free (each claimed row by row, so two
    workers never render the same review; a review waiting for a slot is taken by the drain of
    the task whose render ends)."""
    return {"rendered": drain()}
