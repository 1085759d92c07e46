"""The pipeline's busy pages make a fixed number of SQL queries however many rows they show."""

from datetime import date, timedelta

import pytest

from portal.auth.models import User
from portal.org.models import SalesOffice
from tests import factories
from tests.test_query_counts import assert_same_count, fresh_request_state, get_counted, signed_in_as

PAGES = ("/pipeline/", "/pipeline/list", "/pipeline/stale", "/pipeline/forecast", "/pipeline/export.csv")


def _grow(db_session, ids: dict, n: int) -> None:
    """n more opportunities on fresh companies of branch A, with other owners, some stale."""
    office = db_session.get(SalesOffice, ids["office"])
    people = [db_session.get(User, ids[k]) for k in ("manager_a1", "manager_a2", "head_a")]
    for i in range(n):
        company = factories.company(db_session, office, people[i % 2])
        o = factories.opportunity(
            db_session,
            company,
            people[0] if i % 2 else people[2],
            stage=("lead", "qualified", "proposal", "negotiation")[i % 4],
            next_step="回访",
            next_step_on=date.today() - timedelta(days=1 + i % 2),
        )
        o.updated_at = o.updated_at - timedelta(days=40 * (i % 2))
    db_session.flush()


@pytest.mark.parametrize("url", PAGES)
def test_pipeline_pages_do_not_query_per_row(app, client, world, db_session, url):
    email = world.head_a.email
    ids = {
        "office": world.office_a.id,
        "manager_a1": world.manager_a1.id,
        "manager_a2": world.manager_a2.id,
        "head_a": world.head_a.id,
    }
    _grow(db_session, ids, 1)
    fresh_request_state(db_session)
    signed_in_as(app, client, email)
    small = get_counted(app, client, url)
    with app.app_context():
        _grow(db_session, ids, 8)
        fresh_request_state(db_session)
    large = get_counted(app, client, url)
    assert_same_count(small, large)
