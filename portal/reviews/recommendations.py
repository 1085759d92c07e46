"""Recommendations of an account review: explicit rules, each a small pure function over the
review's data dict (see portal.reviews.data.account_data), returning a finding or None.

A finding is a plain dict: a `code` the PDF template words in Chinese, a `priority` (1 is the
most urgent) and the figures the sentence quotes. Thresholds are constants so tests can pin
each rule at its boundary.
"""

from decimal import Decimal

PREMIUM_RISE_POINTS = Decimal(5)  # premium share up by at least this many percentage points
MIDYEAR_ELAPSED = Decimal(50)  # percent of the agreement year elapsed
ATTAINMENT_PLAN = Decimal(100)  # forecast attainment in percent
DECLINE_PERCENT = Decimal(-20)  # revenue growth below this is a decline worth a call
REVISIT_DAYS = 60  # a top-tier account should have been visited within this many days
TOP_TIERS = ("platinum",)


def sleeping(data: dict) -> dict | None:
    """A sleeping account gets a reactivation visit."""
    if (data.get("score") or {}).get("activity_status") == "sleeping":
        return {"code": "reactivation_visit", "priority": 1}
    return None


def premium_rising(data: dict) -> dict | None:
    """Premium share up by 5 points or more against the previous period: offer an upgrade."""
    change = data["kpis"].get("premium_share_change")
    if change is not None and change >= PREMIUM_RISE_POINTS:
        return {"code": "upgrade_offer", "priority": 3, "points": change}
    return None


def attainment_risk(data: dict) -> dict | None:
    """Past mid-year (elapsed >= 50 %) and the forecast under plan (< 100 %): a risk."""
    att = data.get("attainment")
    if not att or att.get("forecast_percent") is None or att.get("elapsed_percent") is None:
        return None
    if att["elapsed_percent"] >= MIDYEAR_ELAPSED and att["forecast_percent"] < ATTAINMENT_PLAN:
        return {"code": "attainment_risk", "priority": 2, "forecast": att["forecast_percent"]}
    return None


def complaints_overdue(data: dict) -> dict | None:
    """Open complaints past their due date: escalate."""
    overdue = (data.get("complaints") or {}).get("open_past_due", 0)
    if overdue > 0:
        return {"code": "escalate_complaints", "priority": 1, "count": overdue}
    return None


def declining(data: dict) -> dict | None:
    """Revenue down by more than 20 % against the previous period: a retention call."""
    growth = data["kpis"].get("growth_percent")
    if growth is not None and growth < DECLINE_PERCENT:
        return {"code": "retention_call", "priority": 2, "growth": growth}
    return None


def top_tier_unvisited(data: dict) -> dict | None:
    """A top-tier account with no completed revisit in the last 60 days: visit it."""
    tier = (data.get("score") or {}).get("tier")
    days = (data.get("revisits") or {}).get("days_since_last")
    if tier in TOP_TIERS and (days is None or days > REVISIT_DAYS):
        return {"code": "top_tier_visit", "priority": 2, "days": days}
    return None


RULES = (sleeping, complaints_overdue, attainment_risk, declining, top_tier_unvisited, premium_rising)


def recommend(data: dict) -> list[dict]:
    """Every finding of every rule, most urgent first (rule order breaks ties)."""
    found = [finding for rule in RULES if (finding := rule(data)) is not None]
    return sorted(found, key=lambda f: f["priority"])
