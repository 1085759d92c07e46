"""Branches, sales offices and staff (through the ORM: few rows, audited)."""

from datetime import datetime, timedelta
from datetime import time as clock
from typing import TYPE_CHECKING

from portal.demo import people
from portal.demo import reference as ref
from portal.demo.plans import BranchPlan, OfficePlan
from portal.org.models import Branch, SalesOffice

if TYPE_CHECKING:
    from portal.demo.world import World


def write(world: "World", session) -> None:
    """Branches and sales offices, then the staff: admins, management, heads and managers."""
    rng = world.rng
    for code, name, name_en, city, share, offices in ref.BRANCHES:
        branch = BranchPlan(world.ids("branch"), code, name, city, share)
        session.add(Branch(id=branch.id, code=code, name_zh=name, name_en=name_en, city=city))
        world.branches.append(branch)
        for o_code, o_name, o_name_en, o_city, o_share, districts in offices:
            office = OfficePlan(world.ids("sales_office"), o_code, o_city, branch, o_share, districts)
            session.add(
                SalesOffice(
                    id=office.id,
                    branch_id=branch.id,
                    code=o_code,
                    name_zh=o_name,
                    name_en=o_name_en,
                    city=o_city,
                )
            )
            branch.offices.append(office)
            world.offices.append(office)
    session.flush()

    hq = world.branches[0].offices[0]
    _staff(world, session, "admin", hq, "系统管理员", email="admin@demo.example")
    _staff(world, session, "management", hq, "营销委副总经理", email="management@demo.example")
    _staff(world, session, "management", hq, "大客户部总经理")
    _staff(world, session, "management", world.branches[0].offices[-1], "销售数据分析主管")
    for branch in world.branches:
        email = "head@demo.example" if branch is world.branches[0] else None
        branch.head_id = _staff(world, session, "branch_head", branch.offices[0], "销售部总经理", email=email)
    for office in world.offices:
        expected = world.n * office.branch.share * office.share
        count = min(8, max(2, round(expected / 18)))
        for i in range(count):
            email = "manager@demo.example" if office is hq and i == 0 else None
            title = rng.choice(("客户经理", "客户经理", "高级客户经理", "资深客户经理"))
            office.managers.append(_staff(world, session, "account_manager", office, title, email=email))
    world.demo_manager_id = hq.managers[0]
    session.flush()


def _staff(
    world: "World", session, role: str, office: OfficePlan, title: str, email: str | None = None
) -> int:
    person = people.person(world.rng)
    email = email or world.unique_email(person.email_local, "demo.example")
    created = datetime.combine(world.start - timedelta(days=world.rng.randint(1000, 1500)), clock(1))
    return world.add_user(
        session,
        person,
        email,
        created,
        role=role,
        office_id=office.id,
        phone=people.mobile(world.rng),
        title=title,
    )
