"""The agreement PDF is rendered by the task worker, never in the request: the POST queues a
run and the documents tab lists the version once the worker has recorded it, in the name of
the person who asked."""

from sqlalchemy import select

from portal import pdf
from portal.audit.models import AuditEvent
from portal.companies.models import DocumentVersion
from portal.tasks import runs
from tests import factories
from tests.reviews.helpers import CountingRenderer


def test_the_post_queues_the_render_and_the_worker_records_the_version(
    app, client, world, login, db_session, no_worker, monkeypatch
):
    renderer = CountingRenderer()
    monkeypatch.setattr(pdf, "render_pdf", lambda folder, entry, context, out, **kw: renderer(context, out))
    login(world.manager_a1)
    page = client.get(f"/agreements/{world.agreement_a.id}")
    response = client.post(
        f"/agreements/{world.agreement_a.id}/document", data={"csrf_token": factories.csrf_from(page)}
    )
    assert response.status_code == 302 and renderer.started == 0 and len(no_worker) == 1
    assert "being produced" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db_session.scalar(select(DocumentVersion)) is None
    with app.app_context():
        runs.execute(no_worker[0])
    version = db_session.scalars(select(DocumentVersion)).one()
    assert version.version == 1 and renderer.started == 1
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "document_version", AuditEvent.action == "create")
    ).one()
    assert (event.actor_id, event.actor_label) == (world.manager_a1.id, world.manager_a1.email)
