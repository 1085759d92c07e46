"""Attainment of an agreement: to date, run-rate forecast and the rebate it would earn.

Pure functions over dates and integers (fen, segments), and one query for the year's totals. The
agreement year runs from `valid_from` (or its anniversary) for one year, cut short by
`valid_to`; both ends are inclusive days. Money stays in integer fen and Decimal: no float.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from portal.segments.totals import company_totals


@dataclass(frozen=True)
class YearWindow:
    """The agreement year that contains a day: first and last day (inclusive)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Tier:
    """An incentive tier: attainment threshold and rebate, both in percent."""

    threshold: Decimal
    rebate: Decimal


@dataclass(frozen=True)
class Attainment:
    """Where an agreement stands in its current year."""

    window: YearWindow
    as_of: date  # the last day counted (today, or the year's last day once it is over)
    elapsed_days: int
    revenue_fen: int
    segments: int
    commitment_revenue_fen: int
    commitment_segments: int
    forecast_revenue_fen: int
    forecast_segments: int
    revenue_percent: Decimal | None  # to date, of the commitment
    segments_percent: Decimal | None
    forecast_percent: Decimal | None  # forecast, of the commitment
    tier: Tier | None  # the highest tier the forecast reaches
    rebate_fen: int  # what that tier would pay on the forecast revenue

    @property
    def progress(self) -> Decimal:
        """Revenue to date in percent of the commitment, capped at 100 for a progress bar."""
        return min(self.revenue_percent or Decimal(0), Decimal(100))


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in other years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def agreement_year(valid_from: date, valid_to: date, today: date) -> YearWindow | None:
    """The agreement year containing `today` (or the last one, once the agreement ended);
    None before the agreement starts."""
    if today < valid_from:
        return None
    ref = min(today, valid_to)
    k = ref.year - valid_from.year
    if add_years(valid_from, k) > ref:
        k -= 1
    start = add_years(valid_from, k)
    end = min(add_years(valid_from, k + 1) - timedelta(days=1), valid_to)
    return YearWindow(start, end)


def elapsed_days(window: YearWindow, today: date) -> int:
    """Days of the year counted so far, today included (the whole year once it is over)."""
    return max(0, (min(today, window.end) - window.start).days + 1)


def forecast(to_date: int, elapsed: int, year_days: int) -> int:
    """Run-rate forecast to the end of the year: to_date / elapsed days x year days, rounded."""
    if elapsed <= 0:
        return 0
    if elapsed >= year_days:
        return to_date
    value = Decimal(to_date) * year_days / elapsed
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def share(value: int, of: int) -> Decimal | None:
    """value / of in percent (two decimals, for display); None without a base."""
    if of <= 0:
        return None
    return (Decimal(value) * 100 / of).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def reached_tier(revenue_fen: int, commitment_fen: int, tiers: list[Tier]) -> Tier | None:
    """The highest tier whose threshold the revenue reaches; exact (no rounding at the edge)."""
    if commitment_fen <= 0:
        return None
    best = None
    for tier in sorted(tiers, key=lambda t: t.threshold):
        # revenue / commitment x 100 >= threshold, without a division.
        if Decimal(revenue_fen) * 100 >= tier.threshold * commitment_fen:
            best = tier
    return best


def rebate(revenue_fen: int, commitment_fen: int, tiers: list[Tier]) -> tuple[Tier | None, int]:
    """The tier the revenue reaches and its rebate in fen (rebate percent x revenue)."""
    tier = reached_tier(revenue_fen, commitment_fen, tiers)
    if tier is None:
        return None, 0
    amount = (Decimal(revenue_fen) * tier.rebate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return tier, int(amount)


def compute(
    *,
    valid_from: date,
    valid_to: date,
    today: date,
    revenue_fen: int,
    segments: int,
    commitment_revenue_fen: int,
    commitment_segments: int,
    tiers: list[Tier],
) -> Attainment | None:
    """Attainment from the year's totals (None before the agreement starts)."""
    window = agreement_year(valid_from, valid_to, today)
    if window is None:
        return None
    elapsed = elapsed_days(window, today)
    forecast_revenue = forecast(revenue_fen, elapsed, window.days)
    forecast_segments = forecast(segments, elapsed, window.days)
    tier, rebate_fen = rebate(forecast_revenue, commitment_revenue_fen, tiers)
    return Attainment(
        window=window,
        as_of=min(today, window.end),
        elapsed_days=elapsed,
        revenue_fen=revenue_fen,
        segments=segments,
        commitment_revenue_fen=commitment_revenue_fen,
        commitment_segments=commitment_segments,
        forecast_revenue_fen=forecast_revenue,
        forecast_segments=forecast_segments,
        revenue_percent=share(revenue_fen, commitment_revenue_fen),
        segments_percent=share(segments, commitment_segments),
        forecast_percent=share(forecast_revenue, commitment_revenue_fen),
        tier=tier,
        rebate_fen=rebate_fen,
    )


def for_agreement(agreement, today: date) -> Attainment | None:
    """The agreement's attainment in its current year, with one aggregate query."""
    window = agreement_year(agreement.valid_from, agreement.valid_to, today)
    if window is None:
        return None
    revenue, segments = company_totals(agreement.company_id, window.start, min(today, window.end))
    return compute(
        valid_from=agreement.valid_from,
        valid_to=agreement.valid_to,
        today=today,
        revenue_fen=revenue,
        segments=segments,
        commitment_revenue_fen=agreement.commitment_revenue_fen,
        commitment_segments=agreement.commitment_segments,
        tiers=[Tier(t.threshold_percent, t.rebate_percent) for t in agreement.incentive_tiers],
    )
