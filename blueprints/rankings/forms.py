"""The ranking's filters: plain GET arguments checked against the values the user may pick.

Anything unknown (a tier that does not exist, an office outside the user's branch, `abc` for an
id) is ignored, never an error: a filter link that went stale still shows a page.
"""

from werkzeug.datastructures import MultiDict

from portal.companies.models import ACTIVITY_STATUSES, INDUSTRIES, TIERS
from portal.scoring.queries import DEFAULT_SORT, SORTS, FilterOptions, RankingFilters

FILTER_ARGS = ("q", "branch", "office", "manager", "tier", "status", "industry", "sort")


def _known_id(args: MultiDict, name: str, known: set[int]) -> int | None:
    value = args.get(name, type=int)
    return value if value in known else None


def _known(args: MultiDict, name: str, known) -> str:
    value = args.get(name, "", type=str)
    return value if value in known else ""


def read_filters(args: MultiDict, options: FilterOptions) -> RankingFilters:
    """The filters of a request, each kept only when it is one of the user's choices."""
    return RankingFilters(
        q=args.get("q", "", type=str).strip()[:100],
        branch=_known_id(args, "branch", {b.id for b in options.branches}),
        office=_known_id(args, "office", {o.id for o in options.offices}),
        manager=_known_id(args, "manager", {m.id for m in options.managers}),
        tier=_known(args, "tier", TIERS),
        status=_known(args, "status", ACTIVITY_STATUSES),
        industry=_known(args, "industry", INDUSTRIES),
    )


def read_sort(args: MultiDict) -> str:
    """The sort key (`-` first reverses it); the default for anything unknown."""
    sort = args.get("sort", DEFAULT_SORT, type=str)
    return sort if sort.lstrip("-") in SORTS else DEFAULT_SORT


def export_args(args: MultiDict) -> dict:
    """The query arguments an export link carries: the filters and sort, not the page."""
    return {name: args.get(name) for name in FILTER_ARGS if args.get(name)}
