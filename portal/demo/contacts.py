"""The people of each company: its bookers (logins), its contacts, and its managers over time."""

from datetime import datetime, timedelta
from datetime import time as clock
from typing import TYPE_CHECKING

from portal.companies.models import Contact, ManagerAssignment
from portal.demo import people
from portal.demo import reference as ref

if TYPE_CHECKING:
    from portal.demo.plans import CompanyPlan
    from portal.demo.world import World


def write_bookers(world: "World", session) -> None:
    """The bookers: the two demo logins, and a travel manager for some agreement companies."""
    rng = world.rng
    for c in world.companies:
        demo = None
        if c in world.booker_companies:
            demo = ("booker@demo.example", "booker2@demo.example")[world.booker_companies.index(c)]
        elif not (c.status == "active" and rng.random() < 0.25):
            continue
        person = people.person(rng)
        c.booker_person = person
        email = demo or world.unique_email(person.email_local, c.domain)
        created = c.created_at + timedelta(days=rng.randint(10, 90))
        created = min(created, world.now)
        user_id = world.add_user(
            session,
            person,
            email,
            created,
            role="booker",
            company_id=c.id,
            phone=people.mobile(rng),
            title=rng.choice(ref.CONTACT_TITLES["travel_manager"]),
        )
        c.booker_ids.append(user_id)
    session.flush()


def write(world: "World") -> None:
    """Each company's contacts, and its manager assignments (a reassignment for some)."""
    rng = world.rng
    contacts, assignments = [], []
    for c in world.companies:
        roles = ["travel_manager"]
        for role, p in (("finance", 0.7), ("decision_maker", 0.6), ("other", 0.2)):
            if rng.random() < p:
                roles.append(role)
        for role in roles:
            person = c.booker_person if role == "travel_manager" else None
            person = person or people.person(rng)
            contact_id = world.ids("contact")
            c.contacts.append((contact_id, role, person))
            created = min(world.now, c.created_at + timedelta(days=rng.randint(0, 60)))
            contacts.append(
                dict(
                    id=contact_id,
                    company_id=c.id,
                    name=person.name,
                    title=rng.choice(ref.CONTACT_TITLES[role]),
                    role=role,
                    phone=people.mobile(rng),
                    email=f"{person.email_local}@{c.domain}",
                    notes="负责审批差旅费用" if role == "finance" and rng.random() < 0.3 else None,
                    deleted_at=None,
                    created_at=created,
                    updated_at=created,
                )
            )
        if c.manager_id is None:
            continue
        started = c.created_at
        if c.previous_manager_id:
            moved = datetime.combine(c.reassigned_on, clock(3))
            assignments.append(_assignment(world, c, c.previous_manager_id, started, moved, None))
            started = moved
        note = "客户经理岗位调整" if c.previous_manager_id else None
        assignments.append(_assignment(world, c, c.manager_id, started, None, note))
    world.insert(Contact, contacts)
    world.insert(ManagerAssignment, assignments)


def _assignment(
    world: "World", c: "CompanyPlan", manager_id: int, started_at, ended_at, note: str | None
) -> dict:
    """A manager assignment of company `c`, made by its branch's head."""
    return dict(
        id=world.ids("manager_assignment"),
        company_id=c.id,
        manager_id=manager_id,
        assigned_by_id=c.office.branch.head_id,
        started_at=started_at,
        ended_at=ended_at,
        note=note,
    )
