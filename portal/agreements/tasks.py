"""Task entry point of agreement documents: render the agreement PDF as the next version of
its document, for the person who asked."""

from portal.agreements import documents, operations
from portal.agreements.models import Agreement
from portal.audit.trail import acting_for
from portal.auth.models import User
from portal.extensions import db
from portal.rendering import prepared
from portal.tasks.runs import RunContext, task
from portal.timeutil import local_today


@task("agreements.render_document")
def render_document(ctx: RunContext, agreement_id: int, version: str, user_id: int) -> dict:
    """Read the agreement into a plain context, end that transaction, render (seconds, no
    transaction open), then record the version in a short second one; if recording fails the
    rendered file is removed again. The user's right to change it is checked when recording."""
    user = db.session.get(User, user_id)
    agreement = db.session.get(Agreement, agreement_id)
    context = documents.agreement_context(agreement, version=version, today=local_today())
    db.session.commit()  # nothing to write: ends the read transaction before the render
    with prepared.render_failures():
        stored = documents.render_agreement_pdf(version, context)
    try:
        agreement = db.session.get(Agreement, agreement_id)
        with acting_for(user.id, user.email):
            recorded = operations.add_document_version(
                user,
                agreement,
                kind="agreement",
                filename=f"{agreement.number}.pdf",
                stored_name=stored.stored_name,
                content_type=stored.content_type,
                size_bytes=stored.size_bytes,
                sha256=stored.sha256,
                template_version=version,
            )
            number = recorded.version
            db.session.commit()
    except BaseException:
        db.session.rollback()
        documents.remove_stored(stored.stored_name)
        raise
    return {"version": number}
