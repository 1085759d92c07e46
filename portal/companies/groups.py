"""Group customers (集团客户): a parent company and its subsidiaries, at most MAX_LEVELS levels
deep. The rules for setting a parent, and the group's figures: each member's tier, score,
status, trailing-12-month revenue and segments, and the group's combined agreement attainment."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.agreements import attainment
from portal.agreements.attainment import Attainment
from portal.agreements.models import Agreement
from portal.auth.models import User
from portal.companies.access import full_view_condition
from portal.companies.models import Company
from portal.extensions import db
from portal.segments.totals import totals_by_company

# A group is a parent, its subsidiaries and theirs: three levels at the most.
MAX_LEVELS = 3
TRAILING_DAYS = 365


def ancestor_ids(company_id: int) -> list[int]:
    """The ids of the company's parent, grandparent, ... up to the top (nearest first). A cycle
    already in the data (never written by the portal) ends the walk instead of looping."""
    chain: list[int] = []
    current = db.session.scalar(select(Company.parent_id).where(Company.id == company_id))
    while current is not None and current not in chain and current != company_id:
        chain.append(current)
        current = db.session.scalar(select(Company.parent_id).where(Company.id == current))
    return chain


def descendant_levels(company_id: int) -> dict[int, int]:
    """The company's subsidiaries at every level below it: {id: level}, 1 for its children.
    One query per level."""
    levels: dict[int, int] = {}
    frontier, level = [company_id], 0
    while frontier:
        level += 1
        children = db.session.scalars(
            select(Company.id).where(Company.parent_id.in_(frontier)).order_by(Company.id)
        ).all()
        frontier = [c for c in children if c not in levels and c != company_id]
        for child in frontier:
            levels[child] = level
    return levels


def parent_problems(company_id: int | None, parent: Company) -> list[str]:
    """Why `parent` cannot become the parent of the company (None: a company not saved yet)."""
    if company_id is not None and parent.id == company_id:
        return [_("A company cannot be its own parent.")]
    if parent.status == "closed":
        return [_("%(name)s is closed and cannot head a group.", name=parent.name_zh)]
    above = ancestor_ids(parent.id)
    if company_id is not None and company_id in above:
        return [
            _(
                "%(name)s belongs to this company's group already: that would make a circle.",
                name=parent.name_zh,
            )
        ]
    below = descendant_levels(company_id) if company_id is not None else {}
    if company_id is not None and parent.id in below:
        return [_("%(name)s is a subsidiary of this company: that would make a circle.", name=parent.name_zh)]
    # Levels from the top down to the parent, then this company and its own subsidiaries.
    levels = len(above) + 1 + 1 + max(below.values(), default=0)
    if levels > MAX_LEVELS:
        return [_("A group has at most %(n)s levels: this parent would make %(m)s.", n=MAX_LEVELS, m=levels)]
    return []


@dataclass
class Member:
    """One company of the group as the group page shows it."""

    company: Company
    level: int  # 0 for the group's head
    in_full: bool  # figures only for companies the user sees in full
    revenue_fen: int = 0
    segments: int = 0
    agreement: Agreement | None = None
    attainment: Attainment | None = None


@dataclass
class Group:
    """A company, its subsidiaries and the figures that add up over them."""

    head: Company
    members: list[Member] = field(default_factory=list)
    first: date | None = None
    last: date | None = None
    revenue_fen: int = 0
    segments: int = 0
    commitment_revenue_fen: int = 0
    attained_revenue_fen: int = 0
    forecast_revenue_fen: int = 0
    rebate_fen: int = 0
    hidden: int = 0  # members outside the user's scope, not counted

    @property
    def revenue_percent(self) -> Decimal | None:
        return attainment.share(self.attained_revenue_fen, self.commitment_revenue_fen)

    @property
    def forecast_percent(self) -> Decimal | None:
        return attainment.share(self.forecast_revenue_fen, self.commitment_revenue_fen)


def member_ids(company_id: int) -> list[tuple[int, int]]:
    """(id, level) of the company (level 0) and of its subsidiaries, top down."""
    below = descendant_levels(company_id)
    return [(company_id, 0)] + sorted(below.items(), key=lambda item: (item[1], item[0]))


def group(user: User, head: Company, today: date) -> Group:
    """The group headed by `head` with each member's figures over the trailing 12 months
    and the combined attainment of the members' active agreements. Members the user does not
    see in full are listed by name only and left out of the totals."""
    levels = dict(member_ids(head.id))
    seen = set(
        db.session.scalars(select(Company.id).where(Company.id.in_(levels), full_view_condition(user)))
    )
    companies = {
        c.id: c
        for c in db.session.scalars(
            select(Company).where(Company.id.in_(levels)).options(selectinload(Company.manager))
        )
    }
    result = Group(head=head, first=today - timedelta(days=TRAILING_DAYS - 1), last=today)
    counted = [i for i in levels if i in seen]
    totals = totals_by_company(counted, result.first, result.last)
    agreements = {
        a.company_id: a
        for a in db.session.scalars(
            select(Agreement)
            .where(Agreement.company_id.in_(counted), Agreement.status == "active")
            .options(selectinload(Agreement.incentive_tiers))
            .order_by(Agreement.valid_from)
        )
    }
    for company_id, level in levels.items():
        company = companies[company_id]
        member = Member(company=company, level=level, in_full=company_id in seen)
        result.members.append(member)
        if not member.in_full:
            result.hidden += 1
            continue
        member.revenue_fen, member.segments = totals.get(company_id, (0, 0))
        result.revenue_fen += member.revenue_fen
        result.segments += member.segments
        member.agreement = agreements.get(company_id)
        if member.agreement is not None:
            # One aggregate query per agreement: each has its own agreement year.
            member.attainment = attainment.for_agreement(member.agreement, today)
        if member.attainment is not None:
            result.commitment_revenue_fen += member.attainment.commitment_revenue_fen
            result.attained_revenue_fen += member.attainment.revenue_fen
            result.forecast_revenue_fen += member.attainment.forecast_revenue_fen
            result.rebate_fen += member.attainment.rebate_fen
    return result
