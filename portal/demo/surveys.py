"""Last quarter's satisfaction survey and its answers."""

import random
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import TYPE_CHECKING

from sqlalchemy import select

from portal.demo import reference as ref
from portal.reminders.models import Reminder
from portal.surveys.models import DETRACTOR_MAX, Survey, SurveyResponse
from portal.surveys.operations import link_days, quarter_of

if TYPE_CHECKING:
    from portal.demo.world import World


def write(world: "World") -> None:
    """Last quarter's survey, mailed to about half the active companies' contacts, most of
    them answered: promoters where travel is steady, detractors where it fades; the demo
    manager's companies are all asked. A recent detractor has a follow-up reminder open.
    Its own random stream, so the rest of the world does not change with it."""
    rng = random.Random(f"portal-demo-surveys:{world.seed}")
    this_quarter = date(world.today.year, (world.today.month - 1) // 3 * 3 + 1, 1)
    start = (this_quarter - timedelta(days=1)).replace(day=1)
    start = date(start.year, (start.month - 1) // 3 * 3 + 1, 1)
    occasion = quarter_of(start)
    sent_at = datetime.combine(start + timedelta(days=2), clock(1, 0))
    mood = {"steady": (8, 10), "new": (7, 10), "sleeping": (2, 8), "lost": (0, 6), "suspended": (3, 8)}
    surveys, responses, follow_ups = [], [], []
    for c in world.companies:
        if c.status != "active" or not c.contacts:
            continue
        mine = c.manager_id == world.demo_manager_id
        if not mine and rng.random() < 0.5:
            continue
        low, high = mood.get(c.behaviour, (5, 10))
        for contact_id, _role, _person in c.contacts:
            survey_id = world.ids("survey")
            answered = (mine or rng.random() < 0.75) and rng.random() < 0.9
            answered_at = sent_at + timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 9))
            surveys.append(
                dict(
                    id=survey_id,
                    company_id=c.id,
                    contact_id=contact_id,
                    reason="quarterly",
                    occasion=occasion,
                    interaction_id=None,
                    token_hash=f"{world.seed:08x}{survey_id:056x}",  # no link opens a demo survey
                    sent_at=sent_at,
                    expires_at=sent_at + timedelta(days=link_days()),
                    answered_at=answered_at if answered else None,
                )
            )
            if not answered:
                continue
            nps = rng.randint(low, high)
            responses.append(
                dict(
                    id=world.ids("survey_response"),
                    survey_id=survey_id,
                    company_id=c.id,
                    nps=nps,
                    rating_booking=max(1, min(5, round(nps / 2) + rng.choice((-1, 0, 0, 1)))),
                    rating_service=max(1, min(5, round(nps / 2) + rng.choice((-1, 0, 1)))),
                    rating_manager=max(1, min(5, round(nps / 2) + rng.choice((0, 0, 1)))),
                    comment=rng.choice(ref.SURVEY_COMMENTS[min(2, nps // 4)]) if rng.random() < 0.6 else None,
                    language="zh" if rng.random() < 0.9 else "en",
                    answered_at=answered_at,
                )
            )
            if nps <= DETRACTOR_MAX and c.manager_id is not None:
                follow_ups.append((c.id, c.manager_id, c.name_zh, nps, answered_at.date()))
    world.insert(Survey, surveys)
    world.insert(SurveyResponse, responses)
    # The recent detractors' follow-ups (one per company and day, as the unique key says).
    taken = set(
        world.conn.execute(
            select(Reminder.company_id, Reminder.due_on).where(Reminder.kind == "follow_up")
        ).all()
    )
    reminders = []
    for company_id, manager_id, name, nps, day in follow_ups[-20:]:
        if (company_id, day) in taken:
            continue
        taken.add((company_id, day))
        created = datetime.combine(day, clock(3, 0))
        reminders.append(
            dict(
                id=world.ids("reminder"),
                company_id=company_id,
                assignee_id=manager_id,
                kind="follow_up",
                title=f"跟进贬损者（NPS {nps}）：{name}"[:200],
                due_on=day,
                status="open",
                created_at=created,
                updated_at=created,
            )
        )
    world.insert(Reminder, reminders)
