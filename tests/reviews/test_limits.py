"""Bounded review renders: per user, machine-wide, and one render for the same review asked
twice. Requests go through the test client; renders are counted at the renderer entry point
(generation.render_context) with a stand-in that writes a tiny PDF."""

import pytest
from sqlalchemy import func, select

from portal.reviews import admission, generation
from portal.reviews import tasks as review_tasks
from portal.reviews.models import Review
from tests import factories
from tests.conftest import sign_in
from tests.reviews.helpers import CountingRenderer

PERIODS = [f"{year}Q{q}" for year in range(2021, 2026) for q in range(1, 5)]  # 20 periods


@pytest.fixture()
def renderer(monkeypatch):
    """Count the renders that start (nothing is laid out)."""
    counting = CountingRenderer()
    monkeypatch.setattr(generation, "render_context", counting)
    return counting


@pytest.fixture()
def later(monkeypatch):
    """The background render has not run yet when the next request arrives (the requests come
    faster than renders end); `later` counts the starts asked for."""
    asked = []
    monkeypatch.setattr(generation, "start_in_background", lambda: asked.append(1))
    return asked


def _client_of(app, user):
    client = app.test_client()
    sign_in(client, user.email)
    client.get("/lang/en")
    return client


def _generate(client, company_id, period):
    token = factories.csrf_from(client.get(f"/companies/{company_id}/reviews"))
    data = {"csrf_token": token, "kind": "account", "company_id": company_id, "period": period}
    return client.post("/reviews/generate", data=data)


def _in_flight(session) -> int:
    return session.scalar(select(func.count(Review.id)).where(Review.status.in_(("queued", "running"))))


def test_twenty_rapid_requests_by_one_user_start_two_renders(app, client, world, db_session, renderer, later):
    sign_in(client, world.manager_a1.email)
    client.get("/lang/en")
    answers = [_generate(client, world.company_a.id, period) for period in PERIODS]
    assert [r.status_code for r in answers] == [302] * 2 + [429] * 18
    refused = answers[-1]
    assert "You already have 2 reviews being generated" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"] == "60"
    assert _in_flight(db_session) == 2 and len(later) == 2
    with app.app_context():
        assert review_tasks.drain() == 2
    assert renderer.started == 2
    assert db_session.scalars(select(Review.status)).all() == ["done", "done"]
    # Finished reviews no longer count: the user may ask again.
    assert _generate(client, world.company_a.id, PERIODS[5]).status_code == 302


def test_the_same_review_asked_by_several_people_is_rendered_once(app, world, db_session, renderer, later):
    clients = [_client_of(app, u) for u in (world.manager_a1, world.head_a, world.management, world.admin)]
    for client in clients * 5:  # 20 requests
        response = _generate(client, world.company_a.id, "2026Q3")
        assert response.status_code == 302
    review = db_session.scalars(select(Review)).one()
    assert (review.author_id, review.in_flight_key) == (
        world.manager_a1.id,
        f"account:{world.company_a.id}:-:2026Q3",
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This review is already being generated" in page
    with app.app_context():
        review_tasks.drain()
    assert renderer.started == 1
    db_session.refresh(review)
    assert (review.status, review.in_flight_key) == ("done", None)
    # Once done, asking again makes a new review.
    assert _generate(client, world.company_a.id, "2026Q3").status_code == 302
    assert db_session.scalar(select(func.count(Review.id))) == 2


def test_requests_beyond_the_machine_wide_limit_are_refused(
    app, client, world, db_session, later, monkeypatch
):
    monkeypatch.setitem(app.config, "REVIEWS_MAX_WAITING", 3)
    codes = []
    for user in (world.manager_a1, world.head_a, world.management, world.admin):
        codes.append(_generate(_client_of(app, user), world.company_a.id, f"2025Q{len(codes) + 1}"))
    assert [r.status_code for r in codes] == [302, 302, 302, 429]
    assert "Too many reviews are being generated right now" in codes[-1].get_data(as_text=True)
    assert _in_flight(db_session) == 3


def test_queued_reviews_render_in_order_within_the_running_limit(
    app, world, db_session, renderer, monkeypatch
):
    monkeypatch.setitem(app.config, "REVIEWS_MAX_RUNNING", 2)
    with app.app_context():
        batch = generation.queue_review("portfolio", "2026Q3")
        first = admission.admit_review(world.manager_a1, "account", "2026Q1", company_id=world.company_a.id)
        second = admission.admit_review(world.head_a, "account", "2026Q2", company_id=world.company_a.id)
        third = admission.admit_review(world.management, "account", "2026Q3", company_id=world.company_b.id)
        db_session.commit()
        # People's requests first, oldest first; never more than two rendering at once.
        assert admission.claim() == first.review_id
        assert admission.claim() == second.review_id
        assert admission.claim() is None
        assert review_tasks.run_review(third.review_id) is False  # no slot: it stays queued
        assert review_tasks.render_review(first.review_id) is True
        assert admission.claim() == third.review_id
        review_tasks.render_review(second.review_id)
        assert admission.claim() == batch.id
    assert renderer.started == 2


def test_batch_does_not_queue_a_review_a_person_has_in_flight(app, world, db_session):
    from datetime import date

    from tests.scoring.scenes import snapshot

    snapshot(db_session, world.company_a, date(2026, 9, 30), 1, 90, tier="platinum")
    db_session.flush()
    with app.app_context():
        asked = admission.admit_review(world.manager_a1, "account", "2026Q3", company_id=world.company_a.id)
        queued = generation.queue_monthly_batch(date(2026, 10, 3))
    kinds = db_session.execute(select(Review.kind, Review.company_id).where(Review.id.in_(queued))).all()
    assert kinds == [("portfolio", None)] and asked.joined is False


def test_a_render_abandoned_by_a_dead_process_frees_its_slot(app, world, db_session, renderer, monkeypatch):
    from datetime import timedelta

    from portal.db import utcnow

    monkeypatch.setitem(app.config, "REVIEWS_MAX_RUNNING", 1)
    dead = Review(
        kind="portfolio",
        period="2026Q2",
        status="running",
        in_flight_key="portfolio:-:-:2026Q2",
        started_at=utcnow() - timedelta(minutes=30),
    )
    db_session.add(dead)
    db_session.flush()
    with app.app_context():
        waiting = admission.admit_review(world.management, "portfolio", "2026Q2")
        db_session.commit()
        assert waiting.joined is False  # the dead render's key was released
        assert admission.claim() == waiting.review_id
    db_session.refresh(dead)
    assert (dead.status, dead.in_flight_key) == ("failed", None)
