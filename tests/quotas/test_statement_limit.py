"""A booker's statement PDF renders at most STATEMENTS_MAX_PER_COMPANY at once per company: the
slots are rows in the database (held by renders in other workers), so a request that finds them
all taken is refused with 429 without rendering (tests/reviews/test_limits_race.py races it)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.db import utcnow
from portal.rendering import slots
from portal.rendering.models import RenderSlot
from portal.selfservice import statement

URL = "/self/statement.pdf?month=2026-03"


def _held_elsewhere(session, company, started_at=None) -> RenderSlot:
    """A slot of the company's pool held by a render in another worker."""
    row = RenderSlot(pool=f"statement:company:{company.id}", slot=1, started_at=started_at or utcnow())
    session.add(row)
    session.commit()
    return row


def test_twenty_rapid_downloads_while_a_render_runs_start_no_render(
    client, db_session, world, login, renderer
):
    held = _held_elsewhere(db_session, world.company_a)
    login(world.booker_a)
    answers = [client.get(URL) for _ in range(20)]
    assert {r.status_code for r in answers} == {429}
    assert "A statement of your company is being produced right now" in answers[0].get_data(as_text=True)
    assert answers[0].headers["Retry-After"] == "10"
    assert renderer.started == 0
    db_session.delete(held)
    db_session.commit()
    assert client.get(URL).status_code == 200 and renderer.started == 1
    assert db_session.scalar(select(func.count(RenderSlot.id))) == 0  # released after the render


def test_another_company_is_not_held_up(client, db_session, world, login, renderer):
    _held_elsewhere(db_session, world.company_a)
    login(world.booker_b)
    response = client.get(URL)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert renderer.started == 1


def test_a_slot_left_by_a_dead_worker_expires(client, db_session, world, login, renderer):
    _held_elsewhere(
        db_session, world.company_a, started_at=utcnow() - statement.SLOT_STALE_AFTER - timedelta(1)
    )
    login(world.booker_a)
    assert client.get(URL).status_code == 200 and renderer.started == 1


def test_a_failed_render_releases_its_slot(app, db_session, world):
    with app.app_context():
        with pytest.raises(RuntimeError), statement.statement_slot(world.company_a.id):
            raise RuntimeError("the render failed")
        assert slots.take(f"statement:company:{world.company_a.id}", 1, stale_after=timedelta(1)) is not None
