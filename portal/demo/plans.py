"""The plans of the demo world: what is decided about branches, offices and companies before
and while their rows are written, and the ids every table gets."""

from dataclasses import dataclass, field
from datetime import date, datetime

from portal.demo.people import Person


@dataclass(eq=False)
class OfficePlan:
    id: int
    code: str
    city: str
    branch: "BranchPlan"
    share: float
    districts: tuple[str, ...]
    managers: list[int] = field(default_factory=list)


@dataclass(eq=False)
class BranchPlan:
    id: int
    code: str
    name: str
    city: str
    share: float
    offices: list[OfficePlan] = field(default_factory=list)
    head_id: int = 0


@dataclass(eq=False)
class CompanyPlan:
    """Everything decided about one company before and while its rows are written."""

    id: int
    status: str
    behaviour: str  # steady, new, sleeping, lost, prospect, suspended, closed
    group: str = "single"  # single, parent, subsidiary
    parent: "CompanyPlan | None" = None
    industry: str = ""
    office: OfficePlan | None = None
    manager_id: int | None = None
    previous_manager_id: int | None = None
    reassigned_on: date | None = None
    weight: float = 0.0
    annual: float = 0.0  # segments a year at today's rate
    expected: float = 0.0  # segments over the whole window
    tier: str = "standard"  # a proxy of the tier scoring will give: size rank
    trade: tuple[str, str] = ("", "")
    words: tuple[str, str] = ("", "")
    name_zh: str = ""
    name_en: str = ""
    domain: str = ""
    city: str = ""
    district: str = ""
    first_day: int | None = None  # window day index of the first and last possible flight
    last_day: int | None = None
    trend: float = 0.0
    created_at: datetime | None = None
    has_agreements: bool = False
    international: float = 0.0
    premium: float = 0.0
    discounts: dict = field(default_factory=dict)  # (scope, cabin) or (origin, destination, cabin) -> %
    contacts: list = field(default_factory=list)  # (id, role, Person)
    travellers: list = field(default_factory=list)  # (id, Person)
    booker_person: Person | None = None
    # What its segments came to, for sizing agreements and quotas.
    revenue_by_month: list = field(default_factory=list)
    segments_by_month: list = field(default_factory=list)
    flown_last_day: int | None = None
    recent_routes: dict = field(default_factory=dict)  # (origin, destination, cabin) -> count, 90 days
    flights_of: list = field(default_factory=list)  # per key traveller: segments in the last year
    top_route: tuple[str, str] | None = None
    current_agreement: dict | None = None
    first_agreement: dict | None = None
    renewal: dict | None = None
    booker_ids: list = field(default_factory=list)


class Ids:
    """Explicit, sequential ids per table, so foreign keys are known before anything is written."""

    def __init__(self):
        self._next = {}

    def __call__(self, table: str) -> int:
        value = self._next.get(table, 1)
        self._next[table] = value + 1
        return value

    def tables(self) -> list[str]:
        return list(self._next)

    def issued(self, table: str) -> int:
        return self._next.get(table, 1) - 1
