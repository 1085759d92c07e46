"""Merging two companies: every dependent row of the absorbed company moves to the survivor.

What moves: segments, contacts, travellers, interactions, documents, agreements (their quotas
stay with them), priority requests, reminders, opportunities, reviews, manager assignments,
bookers (users) and subsidiaries (parent_id). The absorbed company's score snapshots are
deleted (its history no longer describes a company; the next rescoring scores the survivor
with the moved segments). Its audit events stay on it, so its history remains readable. The
absorbed row is kept, closed, its name prefixed with "[合并→<survivor id>]", score and tier
cleared. Each moved table is audited by one "merge" event with its count.

Unique keys that could collide are checked first: two live travellers with the same
frequent-flyer number, or two reminders of the same kind and due date, refuse the merge with
the list (the admin resolves them first); a removed traveller simply gives up its number.
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.orm import aliased

from portal.agreements.models import Agreement
from portal.audit.trail import record_event
from portal.auth.models import User
from portal.companies.models import Company, Contact, Document, Interaction, ManagerAssignment, Traveller
from portal.errors import ValidationFailed
from portal.extensions import db
from portal.pipeline.models import Opportunity
from portal.quotas.models import PriorityRequest
from portal.reminders.models import Reminder
from portal.reviews.models import Review
from portal.scoring.models import ScoreSnapshot
from portal.segments import rollup
from portal.segments.models import Segment

# (table label, model, company column) moved to the survivor, in this order.
MOVED = (
    ("segment", Segment, Segment.company_id),
    ("contact", Contact, Contact.company_id),
    ("traveller", Traveller, Traveller.company_id),
    ("interaction", Interaction, Interaction.company_id),
    ("document", Document, Document.company_id),
    ("agreement", Agreement, Agreement.company_id),
    ("priority_request", PriorityRequest, PriorityRequest.company_id),
    ("reminder", Reminder, Reminder.company_id),
    ("opportunity", Opportunity, Opportunity.company_id),
    ("review", Review, Review.company_id),
    ("manager_assignment", ManagerAssignment, ManagerAssignment.company_id),
    ("user", User, User.company_id),
    ("subsidiary", Company, Company.parent_id),
)
CLOSED_PREFIX = "[合并→{id}] "


@dataclass
class MergePlan:
    """What a merge would move, and what stops it."""

    survivor: Company
    absorbed: Company
    counts: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)


def find_company(value: str) -> Company | None:
    """A company by id (digits) or credit code."""
    value = (value or "").strip().upper()
    if not value:
        return None
    if value.isdigit() and len(value) < 18:
        # Ids are 32-bit integers: a larger number names no company (PostgreSQL would refuse it).
        return db.session.get(Company, int(value)) if int(value) < 2**31 else None
    return db.session.scalar(select(Company).where(Company.credit_code == value))


def plan_merge(survivor: Company, absorbed: Company) -> MergePlan:
    """Counts of the dependent rows and the conflicts; raises ValidationFailed for a merge that
    can never be done (the same company, an already closed one)."""
    if survivor.id == absorbed.id:
        raise ValidationFailed(_("A company cannot absorb itself."))
    if absorbed.status == "closed":
        raise ValidationFailed(_("The absorbed company is already closed."))
    if survivor.status == "closed":
        raise ValidationFailed(_("The surviving company is closed."))
    plan = MergePlan(survivor, absorbed)
    session = db.session
    for label, model, column in MOVED:
        condition = column == absorbed.id
        if model is Company:
            condition = and_(condition, Company.id != survivor.id)
        plan.counts[label] = session.scalar(select(func.count()).select_from(model).where(condition)) or 0
    plan.deleted["score_snapshot"] = (
        session.scalar(
            select(func.count()).select_from(ScoreSnapshot).where(ScoreSnapshot.company_id == absorbed.id)
        )
        or 0
    )
    mine, theirs = aliased(Traveller), aliased(Traveller)
    for (ff_number,) in session.execute(
        select(mine.ff_number)
        .join(theirs, and_(theirs.ff_number == mine.ff_number, theirs.company_id == survivor.id))
        .where(mine.company_id == absorbed.id, mine.deleted_at.is_(None), theirs.deleted_at.is_(None))
        .order_by(mine.ff_number)
    ):
        plan.conflicts.append(
            _("Both companies have a traveller with the frequent-flyer number %(n)s.", n=ff_number)
        )
    mine_r, theirs_r = aliased(Reminder), aliased(Reminder)
    for kind, due_on in session.execute(
        select(mine_r.kind, mine_r.due_on)
        .join(
            theirs_r,
            and_(
                theirs_r.kind == mine_r.kind,
                theirs_r.due_on == mine_r.due_on,
                theirs_r.company_id == survivor.id,
            ),
        )
        .where(mine_r.company_id == absorbed.id)
        .order_by(mine_r.due_on)
    ):
        plan.conflicts.append(
            _("Both companies have a %(kind)s reminder due on %(day)s.", kind=kind, day=due_on.isoformat())
        )
    return plan


def merge_companies(survivor: Company, absorbed: Company) -> MergePlan:
    """Move everything of `absorbed` to `survivor`, close `absorbed`, audit each table; flushes,
    never commits. Raises ValidationFailed (nothing changed) when a conflict stands in the way."""
    session = db.session
    # Lock both rows (PostgreSQL; SQLite writers hold the database lock already).
    session.execute(
        select(Company.id).where(Company.id.in_([survivor.id, absorbed.id])).with_for_update()
    ).all()
    plan = plan_merge(survivor, absorbed)
    if plan.conflicts:
        raise ValidationFailed({None: plan.conflicts})
    # A removed traveller of either side gives up a frequent-flyer number the other side uses.
    live_numbers = select(Traveller.ff_number).where(
        Traveller.company_id.in_([survivor.id, absorbed.id]), Traveller.deleted_at.is_(None)
    )
    session.execute(
        update(Traveller)
        .where(
            Traveller.company_id.in_([survivor.id, absorbed.id]),
            Traveller.deleted_at.is_not(None),
            Traveller.ff_number.in_(live_numbers.scalar_subquery()),
        )
        .values(ff_number=None)
        .execution_options(synchronize_session=False)
    )
    # Two removed travellers with one number: keep the survivor's.
    session.execute(
        update(Traveller)
        .where(
            Traveller.company_id == absorbed.id,
            Traveller.ff_number.in_(
                select(Traveller.ff_number).where(Traveller.company_id == survivor.id).scalar_subquery()
            ),
        )
        .values(ff_number=None)
        .execution_options(synchronize_session=False)
    )
    if survivor.parent_id == absorbed.id:
        survivor.parent_id = absorbed.parent_id if absorbed.parent_id != survivor.id else None
        session.flush()
    for label, model, column in MOVED:
        if not plan.counts[label]:
            continue
        condition = column == absorbed.id
        if model is Company:
            condition = and_(condition, Company.id != survivor.id)
        session.execute(
            update(model)
            .where(condition)
            .values({column.key: survivor.id})
            .execution_options(synchronize_session=False)
        )
        record_event(
            "merge",
            label,
            None,
            company_id=survivor.id,
            after={"from_company": absorbed.id, "to_company": survivor.id, "rows": plan.counts[label]},
        )
    if plan.counts["segment"]:
        rollup.refresh_companies([survivor.id, absorbed.id])  # the moved segments' monthly sums
    if plan.deleted["score_snapshot"]:
        session.execute(
            delete(ScoreSnapshot)
            .where(ScoreSnapshot.company_id == absorbed.id)
            .execution_options(synchronize_session=False)
        )
        record_event(
            "delete",
            "score_snapshot",
            None,
            company_id=absorbed.id,
            after={"merged_into": survivor.id, "rows": plan.deleted["score_snapshot"]},
        )
    prefix = CLOSED_PREFIX.format(id=survivor.id)
    absorbed.name_zh = (prefix + absorbed.name_zh)[:200]
    absorbed.status = "closed"
    absorbed.score = absorbed.tier = absorbed.activity_status = None
    absorbed.parent_id = None
    record_event(
        "merge",
        "company",
        absorbed.id,
        company_id=absorbed.id,
        after={"merged_into": survivor.id, "moved": plan.counts, "deleted": plan.deleted},
    )
    session.flush()
    session.expire_all()
    return plan
