"""The ranking's filters: GET arguments (declared and bounded by portal.web.query) checked
against the values the user may pick.

Anything unknown (an office outside the user's branch, a manager of another branch) is ignored,
never an error: a filter link that went stale still shows a page.
"""

from collections.abc import Mapping

from portal.companies.models import ACTIVITY_STATUSES, INDUSTRIES, TIERS
from portal.scoring.queries import DEFAULT_SORT, SORTS, FilterOptions, RankingFilters
from portal.web.query import int_param, text_param

PARAMS = (
    text_param("q", maximum=100),
    int_param("branch"),
    int_param("office"),
    int_param("manager"),
    text_param("tier", choices=TIERS),
    text_param("status", choices=ACTIVITY_STATUSES),
    text_param("industry", choices=INDUSTRIES),
    text_param("sort", DEFAULT_SORT, choices=tuple(f"{d}{k}" for k in SORTS for d in ("", "-"))),
)
FILTER_ARGS = tuple(p.name for p in PARAMS)


def _known_id(value: int | None, known: set[int]) -> int | None:
    return value if value in known else None


def read_filters(values: Mapping, options: FilterOptions) -> RankingFilters:
    """The filters of a request (its parsed arguments), each kept only when it is one of the
    user's choices."""
    return RankingFilters(
        q=values["q"].strip(),
        branch=_known_id(values["branch"], {b.id for b in options.branches}),
        office=_known_id(values["office"], {o.id for o in options.offices}),
        manager=_known_id(values["manager"], {m.id for m in options.managers}),
        tier=values["tier"],
        status=values["status"],
        industry=values["industry"],
    )


def export_args(values: Mapping) -> dict:
    """The query arguments an export link carries: the filters and sort, not the page."""
    defaults = {p.name: p.default for p in PARAMS}
    return {name: values[name] for name in FILTER_ARGS if values[name] and values[name] != defaults[name]}
