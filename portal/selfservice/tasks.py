"""Task entry point of statement PDFs: render one company's month into its prepared file."""

import time
from datetime import date

from flask_babel import force_locale

from portal.companies.models import Company
from portal.extensions import db
from portal.rendering import prepared
from portal.rendering.slots import SlotsBusy
from portal.selfservice import statement
from portal.tasks.runs import RunContext, task

SLOT_WAIT = 120.0  # seconds to wait for a render slot before the queue retries the run


class SlotWaitExpired(RuntimeError):
    """The company's render slots stayed taken: the queue retries the run after its back-off."""


@task("statements.render")
def render_statement(ctx: RunContext, company_id: int, month: str, locale: str, path: str) -> dict:
    """Render the statement into `path` unless it is there (a render that waited for the slot
    may find the file made meanwhile). No transaction is open during the render."""
    out = prepared.target(path)
    if out.exists():
        return {"rendered": False}
    company = db.session.get(Company, company_id)
    # The labels in the language of the booker who asked.
    with force_locale(locale), prepared.render_failures():
        data = statement.statement_data(company, date.fromisoformat(f"{month}-01"))
        db.session.commit()  # nothing to write: ends the read transaction before the render
        deadline = time.monotonic() + SLOT_WAIT
        while True:
            try:
                with statement.statement_slot(company_id):
                    if not out.exists():
                        prepared.write(out, lambda partial: statement.render_statement_pdf(data, partial))
                    return {"rendered": True}
            except SlotsBusy:
                if time.monotonic() > deadline:
                    raise SlotWaitExpired(f"statement slots of company {company_id} stayed taken") from None
                time.sleep(0.25)
