"""Reviews in the portal: list, generate (inline in tests), download permissions, failures, CLI."""

from datetime import date

import pytest
from sqlalchemy import select

from portal import files
from portal.pdf import RenderError
from portal.reviews import generation
from portal.reviews import tasks as review_tasks
from portal.reviews.models import Review
from tests import factories
from tests.conftest import sign_in
from tests.reviews.helpers import TODAY, known_company
from tests.scoring.scenes import snapshot


def _done_review(app, session, **kw) -> Review:
    """A finished review with a small stored file (no render)."""
    with app.app_context():
        name = files.new_stored_name("pdf")
        (files.documents_dir() / name).write_bytes(b"%PDF-1.7\n%fake\n")
    review = Review(status="done", progress=100, period="2026Q3", stored_name=name, size_bytes=15, **kw)
    session.add(review)
    session.flush()
    return review


@pytest.fixture()
def reviews(app, world, db_session):
    """An account review of company A (branch A), of company B, and portfolio reviews of branch B
    and of everything."""
    return {
        "a": _done_review(app, db_session, kind="account", company_id=world.company_a.id),
        "b": _done_review(app, db_session, kind="account", company_id=world.company_b.id),
        "branch_b": _done_review(app, db_session, kind="portfolio", branch_id=world.branch_b.id),
        "all": _done_review(app, db_session, kind="portfolio"),
    }


@pytest.mark.parametrize(
    ("who", "allowed", "refused"),
    [
        ("manager_a1", ("a",), ("b", "branch_b", "all")),
        ("head_a", ("a",), ("b", "branch_b", "all")),
        ("head_b", ("b", "branch_b"), ("a", "all")),
        ("management", ("a", "b", "branch_b", "all"), ()),
    ],
)
def test_download_permissions(client, world, reviews, who, allowed, refused):
    sign_in(client, getattr(world, who).email)
    for key in allowed:
        response = client.get(f"/reviews/{reviews[key].id}/download")
        assert response.status_code == 200, key
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    for key in refused:
        assert client.get(f"/reviews/{reviews[key].id}/download").status_code == 403, key


def test_booker_gets_404(client, world, reviews):
    sign_in(client, world.booker_a.email)
    for review in reviews.values():
        assert client.get(f"/reviews/{review.id}/download").status_code == 404
    assert client.get("/reviews/").status_code == 404


def test_list_shows_only_visible_reviews(client, world, reviews):
    sign_in(client, world.manager_a1.email)
    client.get("/lang/en")
    page = client.get("/reviews/").get_data(as_text=True)
    assert f"/reviews/{reviews['a'].id}/download" in page
    assert f"/reviews/{reviews['b'].id}/download" not in page
    assert f"/reviews/{reviews['all'].id}/download" not in page
    assert "portfolio-form" not in page  # managers do not generate portfolio reviews


def test_manager_cannot_generate_for_another_portfolio(client, world, db_session):
    sign_in(client, world.manager_a1.email)
    token = factories.csrf_from(client.get("/reviews/"))
    data = {"csrf_token": token, "kind": "account", "company_id": world.company_b.id, "period": "2026Q3"}
    assert client.post("/reviews/generate", data=data).status_code == 403
    data = {"csrf_token": token, "kind": "portfolio", "branch_id": "", "period": "2026Q3"}
    assert client.post("/reviews/generate", data=data).status_code == 403
    assert db_session.scalar(select(Review.id)) is None


def test_generate_account_review_and_download(app, client, world, db_session, monkeypatch):
    """End to end, rendered inline (the test's transaction is invisible to a worker thread)."""
    known_company(db_session, world)
    sign_in(client, world.manager_a1.email)
    dossier = client.get(f"/companies/{world.company_a.id}/reviews")
    assert b'data-testid="generate-review"' in dossier.data
    data = {
        "csrf_token": factories.csrf_from(dossier),
        "kind": "account",
        "company_id": world.company_a.id,
        "period": "2026Q3",
    }
    assert client.post("/reviews/generate", data=data).status_code == 302
    review = db_session.scalars(select(Review)).one()
    assert (review.status, review.progress, review.author_id) == ("done", 100, world.manager_a1.id)
    assert (
        f"/reviews/{review.id}/download".encode()
        in client.get(f"/companies/{world.company_a.id}/reviews").data
    )
    response = client.get(f"/reviews/{review.id}/download")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert len(response.data) == review.size_bytes


def test_failed_render_leaves_no_file_and_is_marked_failed(app, world, db_session, monkeypatch):
    def broken(context, out_path, **kw):
        raise RenderError("rendering account.html failed: boom")

    monkeypatch.setattr(generation, "render_context", broken)
    with app.app_context():
        review = generation.queue_review("account", "2026Q3", company_id=world.company_a.id)
        db_session.commit()
        before = set(files.documents_dir().iterdir())
        assert review_tasks.run_review(review.id, today=TODAY) is False
        assert set(files.documents_dir().iterdir()) == before
    db_session.refresh(review)
    assert review.status == "failed" and review.stored_name is None and "boom" in review.error


def test_monthly_batch_queues_platinum_gold_and_portfolio_once(app, world, db_session):
    snapshot(db_session, world.company_a, date(2026, 9, 30), 1, 90, tier="platinum")
    snapshot(db_session, world.company_b, date(2026, 9, 30), 2, 80, tier="gold")
    snapshot(db_session, world.company_a2, date(2026, 9, 30), 3, 50, tier="silver")
    db_session.flush()
    with app.app_context():
        first = generation.queue_monthly_batch(date(2026, 10, 3))
        again = generation.queue_monthly_batch(date(2026, 10, 20))
    rows = db_session.scalars(select(Review).where(Review.id.in_(first))).all()
    assert sorted((r.kind, r.company_id) for r in rows) == sorted(
        [("portfolio", None), ("account", world.company_a.id), ("account", world.company_b.id)]
    )
    assert {r.period for r in rows} == {"2026Q3"} and again == []


def test_cli_rejects_a_bad_period(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["reviews", "generate", "--company", "1", "--period", "2026Q5", "--out", "x.pdf"]
    )
    assert result.exit_code == 2 and "not a period" in result.output
    result = runner.invoke(
        args=["reviews", "generate", "--period", "2026Q3", "--out", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code == 2 and "exactly one of" in result.output


def test_abandoned_reviews_are_marked_failed(app, world, db_session):
    from datetime import timedelta

    from portal.db import utcnow

    old = Review(
        kind="portfolio", period="2026Q3", status="running", created_at=utcnow() - timedelta(hours=3)
    )
    fresh = Review(kind="portfolio", period="2026Q3", status="queued")
    db_session.add_all([old, fresh])
    db_session.flush()
    with app.app_context():
        assert generation.fail_abandoned() == 1
    db_session.refresh(old)
    db_session.refresh(fresh)
    assert (old.status, fresh.status) == ("failed", "queued") and old.stored_name is None
