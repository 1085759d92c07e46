"""Early warnings: an off-roster month for one company, then the rules run once."""

import random
from typing import TYPE_CHECKING

from sqlalchemy import select

from portal.alerts.operations import months_before, run_early_warnings
from portal.audit.trail import acting_as
from portal.db import in_month
from portal.demo import people
from portal.segments.models import Segment
from portal.timeutil import first_of_month

if TYPE_CHECKING:
    from portal.demo.world import World


def write(world: "World") -> None:
    """One of the demo manager's companies had most of last month's segments flown by people
    off its roster (above the branch head's threshold); then the early-warning rules run
    once, so accounts at risk and roster warnings show at once."""
    month = months_before(first_of_month(world.today), 1)
    mine = [
        c
        for c in world.companies
        if c.manager_id == world.demo_manager_id and c.status == "active" and c not in world.booker_companies
    ]
    if mine:
        company = max(mine, key=lambda c: c.annual)
        rng = random.Random(f"portal-demo-roster:{world.seed}")
        ids = list(
            world.conn.scalars(
                select(Segment.id)
                .where(
                    Segment.company_id == company.id,
                    in_month(Segment.flight_date, month),
                )
                .order_by(Segment.id)
            )
        )
        for segment_id in ids[: max(1, len(ids) * 7 // 10)]:
            world.conn.execute(
                Segment.__table__.update()
                .where(Segment.id == segment_id)
                .values(traveller_id=None, traveller_name=people.person(rng).name)
            )
    with acting_as("system:early_warnings"):
        counts = run_early_warnings(world.today, world.now)
    world.counts["alert"] = counts["churn_opened"] + counts["roster_opened"]
