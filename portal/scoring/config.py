"""Scoring configuration versions: validation, saving, history, and a dry-run preview.

Every save adds a new ScoringConfig row (old rows are never updated), so each snapshot can
name the rules it was computed with. Saving does not rescore; `preview` shows what a rescore
with proposed rules would change, computed in memory on the latest score date.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.auth.models import User
from portal.companies.models import ACTIVITY_STATUSES, Company
from portal.errors import ValidationFailed
from portal.extensions import db
from portal.scoring.engine import COMPONENTS, TIER_ORDER, Rules, compute, rank_scores
from portal.scoring.models import ScoreSnapshot, ScoringConfig
from portal.scoring.operations import latest_score_date
from portal.timeutil import local_today

COMPONENT_LABELS = {
    "revenue": _l("Revenue"),
    "frequency": _l("Frequency"),
    "premium": _l("Premium cabins"),
    "growth": _l("Growth"),
    "recency": _l("Recency"),
    "attainment": _l("Attainment"),
}
WEIGHT_FIELDS = tuple(f"weight_{name}" for name in COMPONENTS)
SHARE_FIELDS = ("share_platinum", "share_gold", "share_silver")
DAY_FIELDS = ("active_days", "lost_days")
RULE_FIELDS = WEIGHT_FIELDS + SHARE_FIELDS + DAY_FIELDS
MAX_WEIGHT = 1000
MAX_DAYS = 3650
MAX_NOTE = 500
MOVERS_SHOWN = 20
HISTORY_SHOWN = 50


def latest_config() -> ScoringConfig | None:
    """The newest saved version (the rules in use), or None while the defaults apply."""
    return db.session.scalar(select(ScoringConfig).order_by(ScoringConfig.id.desc()).limit(1))


def _plain_decimal(value: Decimal) -> Decimal:
    """5.00 -> 5, 12.50 -> 12.5: how a person would type the share."""
    value = Decimal(value)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def rule_values(rules: Rules) -> dict:
    """The setting values of a Rules (for a form's initial data and for comparisons)."""
    values = {f"weight_{name}": rules.weights[name] for name in COMPONENTS}
    values.update(
        share_platinum=_plain_decimal(rules.share_platinum),
        share_gold=_plain_decimal(rules.share_gold),
        share_silver=_plain_decimal(rules.share_silver),
        active_days=rules.active_days,
        lost_days=rules.lost_days,
    )
    return values


def _whole(value, errors: list[str]) -> int | None:
    if isinstance(value, bool) or value is None or value == "":
        errors.append(_("Enter a whole number."))
        return None
    if isinstance(value, int):
        return value
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors.append(_("Enter a whole number."))
        return None
    if not number.is_finite() or number != number.to_integral_value():
        errors.append(_("Enter a whole number."))
        return None
    return int(number)


def _number(value, errors: list[str]) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        errors.append(_("Enter a number."))
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors.append(_("Enter a number."))
        return None
    if not number.is_finite():
        errors.append(_("Enter a number."))
        return None
    return number


def _weight_problem(weight: int) -> str | None:
    if weight < 0:
        return _("A weight cannot be negative.")
    if weight > MAX_WEIGHT:
        return _("At most %(max)s.", max=MAX_WEIGHT)
    return None


def _share_problem(share: Decimal) -> str | None:
    if share < 0:
        return _("A share cannot be negative.")
    if share > 100:
        return _("At most 100 %.")
    if share != share.quantize(Decimal("0.01")):
        return _("At most two decimal places.")
    return None


def _days_problem(days: int) -> str | None:
    if days < 1:
        return _("At least 1 day.")
    if days > MAX_DAYS:
        return _("At most %(max)s days.", max=MAX_DAYS)
    return None


def _read_fields(names, values: Mapping, parse, problem, reasons: dict, clean: dict) -> None:
    """Each field of `names` parsed from `values` into `clean`, or its errors into `reasons`:
    the parser's, or the one `problem` finds with the parsed value."""
    for name in names:
        errors: list[str] = []
        value = parse(values.get(name), errors)
        if value is not None and (message := problem(value)):
            errors.append(message)
        if errors:
            reasons[name] = errors
        else:
            clean[name] = value


def clean_values(values: Mapping) -> dict:
    """The validated settings of `values` (weights, shares, day limits); raises
    ValidationFailed with a reason per field (None for rules across fields)."""
    reasons: dict[str | None, list[str]] = {}
    clean: dict = {}

    _read_fields(WEIGHT_FIELDS, values, _whole, _weight_problem, reasons, clean)
    if len(clean) == len(WEIGHT_FIELDS) and sum(clean[n] for n in WEIGHT_FIELDS) == 0:
        reasons[None] = [_("At least one weight must be more than zero.")]

    _read_fields(SHARE_FIELDS, values, _number, _share_problem, reasons, clean)
    if all(n in clean for n in SHARE_FIELDS) and sum(clean[n] for n in SHARE_FIELDS) > 100:
        total = _plain_decimal(sum(clean[n] for n in SHARE_FIELDS))
        reasons.setdefault(None, []).append(
            _("The tier shares add up to %(total)s %%; they may add up to at most 100 %%.", total=total)
        )

    _read_fields(DAY_FIELDS, values, _whole, _days_problem, reasons, clean)
    if "active_days" in clean and "lost_days" in clean and clean["lost_days"] <= clean["active_days"]:
        reasons.setdefault("lost_days", []).append(
            _("Must be more than the active limit (%(days)s days).", days=clean["active_days"])
        )

    if reasons:
        raise ValidationFailed(reasons)
    return clean


def rules_from(clean: Mapping) -> Rules:
    """Rules from validated settings (not saved: config_id stays None)."""
    return Rules(
        weights={name: clean[f"weight_{name}"] for name in COMPONENTS},
        share_platinum=clean["share_platinum"],
        share_gold=clean["share_gold"],
        share_silver=clean["share_silver"],
        active_days=clean["active_days"],
        lost_days=clean["lost_days"],
    )


def proposed_rules(values: Mapping) -> Rules:
    """Validated Rules from proposed settings, for a preview; raises ValidationFailed."""
    return rules_from(clean_values(values))


def save_config(actor: User | None, values: Mapping) -> ScoringConfig:
    """Store the settings as a new version by `actor`; raises ValidationFailed. Flushes.

    A note saying why is required. Saving the same settings as the version in use is refused,
    so a repeated submit does not add empty versions.
    """
    reasons: dict[str | None, list[str]] = {}
    try:
        clean = clean_values(values)
    except ValidationFailed as e:
        reasons, clean = dict(e.reasons), None
    note = (values.get("note") or "").strip()
    if not note:
        reasons["note"] = [_("Say why the rules change: the note is kept with the version.")]
    elif len(note) > MAX_NOTE:
        reasons["note"] = [_("At most %(max)s characters.", max=MAX_NOTE)]
    if clean is not None and not reasons:
        current = latest_config()
        if current is not None and rule_values(Rules.from_config(current)) == rule_values(rules_from(clean)):
            reasons[None] = [_("These are the rules in use already; nothing to save.")]
    if reasons:
        raise ValidationFailed(reasons)
    config = ScoringConfig(**clean, note=note, author_id=actor.id if actor is not None else None)
    db.session.add(config)
    db.session.flush()
    return config


def history(limit: int = HISTORY_SHOWN) -> list[dict]:
    """The newest saved versions first, each with its author's name (one query)."""
    rows = db.session.execute(
        select(ScoringConfig, User.name, User.email)
        .outerjoin(User, User.id == ScoringConfig.author_id)
        .order_by(ScoringConfig.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "config": config,
            "settings": rule_values(Rules.from_config(config)),
            "author": name or email or None,
        }
        for config, name, email in rows
    ]


def rescore_date() -> date:
    """The date a rescore from the configuration page applies to: the latest score date, or
    today when nothing was scored yet."""
    return latest_score_date() or local_today()


def scores_status() -> dict:
    """What the latest scores were computed with: their date, companies and config versions."""
    latest = latest_score_date()
    if latest is None:
        return {"score_date": None, "companies": 0, "config_ids": []}
    rows = db.session.execute(
        select(ScoreSnapshot.config_id, func.count())
        .where(ScoreSnapshot.score_date == latest)
        .group_by(ScoreSnapshot.config_id)
    ).all()
    return {
        "score_date": latest,
        "companies": sum(count for _, count in rows),
        "config_ids": sorted({config_id for config_id, _ in rows}, key=lambda c: (c is not None, c)),
    }


@dataclass
class Preview:
    """What rescoring with proposed rules would change, against the rules in use, on the same data."""

    as_of: date
    scored: int
    # matrix[i][j]: companies now in TIER_ORDER[i] that would be in TIER_ORDER[j]
    matrix: list[list[int]]
    tiers_now: dict[str, int]
    tiers_proposed: dict[str, int]
    statuses_now: dict[str, int]
    statuses_proposed: dict[str, int]
    moved: int
    rank_changed: int
    movers: list[dict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)


def _changes(now: Rules, proposed: Rules) -> list[dict]:
    labels = {
        f"weight_{name}": _("%(component)s weight", component=COMPONENT_LABELS[name]) for name in COMPONENTS
    }
    labels.update(
        share_platinum=_l("Platinum share"),
        share_gold=_l("Gold share"),
        share_silver=_l("Silver share"),
        active_days=_l("Active within (days)"),
        lost_days=_l("Lost after (days)"),
    )
    before, after = rule_values(now), rule_values(proposed)
    return [
        {"field": name, "label": labels[name], "now": before[name], "proposed": after[name]}
        for name in RULE_FIELDS
        if before[name] != after[name]
    ]


def preview(proposed: Rules, now: Rules | None = None, as_of: date | None = None) -> Preview:
    """Score the latest score date (or today) in memory with the rules in use and with the
    proposed rules; nothing is written. The data is read once and ranked twice."""
    now = now or Rules.from_config(latest_config())
    as_of = as_of or rescore_date()
    current = compute(as_of, now)
    by_company = {s.company_id: s for s in current}
    # rank_scores replaces percentiles, totals, ranks and tiers; copies keep `current` intact.
    proposed_scores = rank_scores([replace(s) for s in current], proposed)

    index = {tier: i for i, tier in enumerate(TIER_ORDER)}
    matrix = [[0] * len(TIER_ORDER) for _ in TIER_ORDER]
    movers, rank_changed = [], 0
    for s in proposed_scores:
        before = by_company[s.company_id]
        matrix[index[before.tier]][index[s.tier]] += 1
        rank_changed += before.rank != s.rank
        if before.tier != s.tier:
            movers.append((before, s))
    shown = movers[:MOVERS_SHOWN]
    names = dict(
        db.session.execute(
            select(Company.id, Company.name_zh).where(Company.id.in_([s.company_id for _, s in shown]))
        ).all()
        if shown
        else []
    )
    return Preview(
        as_of=as_of,
        scored=len(current),
        matrix=matrix,
        tiers_now=_count(current, "tier", TIER_ORDER),
        tiers_proposed=_count(proposed_scores, "tier", TIER_ORDER),
        statuses_now=_count(current, "activity_status", ACTIVITY_STATUSES),
        statuses_proposed=_count(proposed_scores, "activity_status", ACTIVITY_STATUSES),
        moved=len(movers),
        rank_changed=rank_changed,
        movers=[
            {
                "company_id": s.company_id,
                "name": names.get(s.company_id, ""),
                "tier_now": before.tier,
                "tier_proposed": s.tier,
                "rank_now": before.rank,
                "rank_proposed": s.rank,
                "total_now": before.total,
                "total_proposed": s.total,
            }
            for before, s in shown
        ],
        changes=_changes(now, proposed),
    )


def _count(scores, attribute: str, keys: tuple[str, ...]) -> dict[str, int]:
    counts = Counter(getattr(s, attribute) for s in scores)
    return {key: counts.get(key, 0) for key in keys}
