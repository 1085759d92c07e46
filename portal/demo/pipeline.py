"""The sales pipeline: opportunities and the stage changes that brought them where they are."""

from datetime import datetime, timedelta
from datetime import time as clock
from typing import TYPE_CHECKING

from portal.demo import reference as ref
from portal.pipeline.models import DEFAULT_PROBABILITY, OPEN_STAGES, Opportunity, OpportunityStageChange

if TYPE_CHECKING:
    from portal.demo.world import World


def write(world: "World") -> None:
    """Opportunities: prospects to sign, renewals coming up, a few upsells."""
    rng = world.rng
    opportunities, changes = [], []
    for c in world.companies:
        if c.manager_id is None:
            continue
        short = c.trade[0]
        current = c.current_agreement
        wanted = []  # (kind, stage, title, agreement)
        if c.status == "prospect" and rng.random() < 0.75:
            stages, weights = (
                ("lead", "qualified", "proposal", "negotiation", "lost"),
                (30, 25, 20, 15, 10),
            )
            stage = "negotiation" if current else rng.choices(stages, weights=weights)[0]
            wanted.append(("new_account", stage, f"{short}新签协议", current))
        elif c.behaviour == "new" and c.first_agreement is not None:
            wanted.append(("new_account", "won", f"{short}新签协议", c.first_agreement))
        if c.renewal is not None:
            title = f"{short}{c.renewal['valid_from'].year}年协议续签"
            wanted.append(("renewal", "negotiation", title, c.renewal))
        elif current is not None and c.status == "active":
            if (current["valid_to"] - world.today).days <= 120:
                title = f"{short}{current['valid_to'].year}年协议续签"
                wanted.append(("renewal", rng.choice(("qualified", "proposal")), title, None))
            elif c.behaviour == "steady" and rng.random() < 0.08:
                stage = rng.choice(("lead", "qualified", "proposal"))
                wanted.append(("upsell", stage, f"{short}国际航线增量", None))
        for kind, stage, title, agreement in wanted:
            row, history = _opportunity(world, c, rng, kind, stage, title, agreement)
            opportunities.append(row)
            changes += history
    world.insert(Opportunity, opportunities)
    world.insert(OpportunityStageChange, changes)


def _opportunity(world: "World", c, rng, kind, stage, title, agreement) -> tuple[dict, list[dict]]:
    """One opportunity and the stage changes that brought it where it is."""
    if stage == "won":
        path = [*OPEN_STAGES, "won"]
        closed_on = agreement["valid_from"] - timedelta(days=rng.randint(5, 20))
        begin = datetime.combine(closed_on - timedelta(days=rng.randint(40, 120)), clock(2))
    else:
        if stage == "lost":
            path = [*OPEN_STAGES[: rng.randint(1, 3)], "lost"]
        else:
            path = list(OPEN_STAGES[: OPEN_STAGES.index(stage) + 1])
        begin = world.now - timedelta(days=rng.randint(20, 200))
    opportunity_id = world.ids("opportunity")
    at, changes = begin, []
    for i, step in enumerate(path):
        if i:
            at = min(world.now, at + timedelta(days=rng.randint(5, 30)))
        changes.append(
            dict(
                id=world.ids("opportunity_stage_change"),
                opportunity_id=opportunity_id,
                from_stage=path[i - 1] if i else None,
                to_stage=step,
                actor_id=c.manager_id,
                at=at,
            )
        )
    is_open = stage in OPEN_STAGES
    annual_fen = round(max(c.annual, 30) * 1600, -4) * 100  # about 1,600 CNY a segment
    if kind == "upsell":
        annual_fen *= rng.uniform(0.2, 0.5)
    row = dict(
        id=opportunity_id,
        company_id=c.id,
        title=title,
        kind=kind,
        stage=stage,
        lost_reason=rng.choice(("price", "competitor", "no_budget", "timing")) if stage == "lost" else None,
        expected_revenue_fen=int(max(round(annual_fen, -6), 10_000_00)),
        probability=DEFAULT_PROBABILITY[stage],
        close_date=world.today + timedelta(days=rng.randint(15, 120)) if is_open else at.date(),
        owner_id=c.manager_id,
        next_step=rng.choice(ref.OPPORTUNITY_STEPS) if is_open else None,
        next_step_on=world.today + timedelta(days=rng.randint(-3, 21)) if is_open else None,
        agreement_id=agreement["id"] if agreement else None,
        stage_changed_at=at,
        created_at=begin,
        updated_at=at,
    )
    return row, changes
