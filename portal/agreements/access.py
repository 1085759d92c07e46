"""Who may do what with an agreement (DESIGN §4 Agreements, §5).

Each predicate answers "may this user do this to this agreement now?": the services refuse
what it refuses, and the pages ask the same predicate, so a button shows only where the
action would work. Four eyes: the approver is neither the author, nor a submitter, nor anyone
who changed the terms since the agreement was created (a fresh draft, new or a renewal).
"""

from sqlalchemy import select

from portal.agreements.models import Agreement
from portal.auth.models import User
from portal.companies.access import may_change
from portal.companies.models import Company
from portal.extensions import db


def may_decide(user: User, company: Company) -> bool:
    """Approvals, rejections and terminations: an admin, or the head of the company's branch."""
    if user.role == "admin":
        return True
    return user.role == "branch_head" and company.office.branch_id == user.branch_id


def hands_on(agreement: Agreement) -> set[int]:
    """The users who may not approve the agreement: its author, whoever submitted it, and
    whoever changed its terms (read from its history, loaded with the agreement)."""
    people = {agreement.author_id}
    for event in agreement.events:
        if event.kind == "terms" or event.to_status == "pending_approval":
            people.add(event.actor_id)
    people.discard(None)
    return people


def may_approve(user: User, agreement: Agreement) -> bool:
    """A pending agreement, by one who may decide on it and had no hand in it."""
    return (
        agreement.status == "pending_approval"
        and may_decide(user, agreement.company)
        and user.id not in hands_on(agreement)
    )


def may_reject(user: User, agreement: Agreement) -> bool:
    """A pending agreement goes back to draft by one who may decide on it (the author too:
    sending it back approves nothing)."""
    return agreement.status == "pending_approval" and may_decide(user, agreement.company)


def may_terminate(user: User, agreement: Agreement) -> bool:
    """An active agreement ends early by one who may decide on it."""
    return agreement.status == "active" and may_decide(user, agreement.company)


def may_edit(user: User, agreement: Agreement) -> bool:
    """A draft's terms are changed (and it is submitted) by those who may change the company."""
    return agreement.status == "draft" and may_change(user, agreement.company)


def live_renewal(agreement: Agreement) -> Agreement | None:
    """The agreement that renews this one and was not terminated, if any."""
    return db.session.scalars(
        select(Agreement)
        .where(Agreement.renewed_from_id == agreement.id, Agreement.status != "terminated")
        .order_by(Agreement.id)
        .limit(1)
    ).first()


def may_renew(user: User, agreement: Agreement) -> bool:
    """An active or expired agreement not renewed yet, by those who may change the company."""
    return (
        agreement.status in ("active", "expired")
        and may_change(user, agreement.company)
        and live_renewal(agreement) is None
    )
