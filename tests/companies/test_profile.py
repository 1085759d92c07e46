"""Creating a company and editing its profile, without HTTP: scope of offices and managers,
field rules, de-duplication as the import does it, audit, search and list at once."""

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.companies import profile
from portal.companies.duplicates import Duplicates
from portal.companies.models import Company, CompanyStatusChange, ManagerAssignment
from portal.companies.profile import CreditCodeTaken, SimilarNames
from portal.companies.queries import company_list
from portal.errors import NotAllowed, ValidationFailed
from portal.search.queries import search
from tests import factories

pytestmark = pytest.mark.usefixtures("ctx")


def fields(office=None, manager=None, **kw) -> dict:
    values = {
        "name_zh": "华夏远航物流有限公司",
        "name_en": "Huaxia Yuanhang Logistics",
        "credit_code": factories.make_credit_code(770_001),
        "industry": "logistics",
        "headcount_band": "100-499",
        "city": "天津",
        "address": "滨海新区港口大道8号",
        "office_id": str(office.id) if office else "",
        "manager_id": str(manager.id) if manager else "",
        "parent_id": "",
    }
    values.update(kw)
    return values


def test_manager_creates_a_prospect_of_their_own(db_session, world):
    company = profile.create_company(world.manager_a1, fields(world.office_a))
    assert company.status == "prospect"
    assert company.office_id == world.office_a.id and company.manager_id == world.manager_a1.id
    assert company.credit_code == factories.make_credit_code(770_001)
    change = db_session.scalars(
        select(CompanyStatusChange).where(CompanyStatusChange.company_id == company.id)
    ).one()
    assert (change.from_status, change.to_status, change.actor_id) == (None, "prospect", world.manager_a1.id)
    assignment = db_session.scalars(
        select(ManagerAssignment).where(ManagerAssignment.company_id == company.id)
    ).one()
    assert assignment.manager_id == world.manager_a1.id and assignment.assigned_by_id == world.manager_a1.id


def test_manager_office_and_self_are_the_defaults(db_session, world):
    company = profile.create_company(world.manager_a1, fields(office_id="", manager_id=""))
    assert (company.office_id, company.manager_id) == (world.office_a.id, world.manager_a1.id)


def test_creation_is_audited(db_session, world):
    company = profile.create_company(world.head_a, fields(world.office_a, world.manager_a2))
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "company", AuditEvent.entity_id == company.id)
    ).one()
    assert event.action == "create" and event.after["name_zh"] == "华夏远航物流有限公司"
    assert event.after["status"] == "prospect"


def test_search_and_list_find_the_new_company_at_once(db_session, world):
    company = profile.create_company(world.admin, fields(world.office_b, world.manager_b1))
    assert [c.id for c, _ in search(world.admin, "远航物流").companies] == [company.id]
    assert [c.id for c, _ in search(world.admin, company.credit_code).companies] == [company.id]
    listed = [row.id for row in db_session.execute(company_list(world.admin, q="远航物流")).all()]
    assert listed == [company.id]
    changed = profile.update_profile(world.admin, company, fields(name_zh="华夏启明物流有限公司"))
    assert [c.id for c, _ in search(world.admin, "启明物流").companies] == [changed.id]
    assert search(world.admin, "远航物流").companies == []


@pytest.mark.parametrize(
    "actor, office, manager",
    [
        ("manager_a1", "office_b", None),  # another office
        ("manager_a1", "office_a", "manager_a2"),  # a colleague: managers serve their own
        ("head_a", "office_b", "manager_b1"),  # another branch
        ("head_a", "office_a", "manager_b1"),  # a manager of another branch
        ("admin", "office_a", "manager_b1"),  # a manager of another office than the company's
        ("admin", "office_a", "head_a"),  # not an account manager
    ],
)
def test_offices_and_managers_outside_the_scope_are_refused(db_session, world, actor, office, manager):
    values = fields(getattr(world, office), getattr(world, manager) if manager else None)
    if manager is None:
        values["manager_id"] = str(world.manager_a1.id)
    with pytest.raises(ValidationFailed) as e:
        profile.create_company(getattr(world, actor), values)
    assert set(e.value.reasons) & {"office_id", "manager_id"}
    assert db_session.scalar(select(Company).where(Company.name_zh == "华夏远航物流有限公司")) is None


@pytest.mark.parametrize("bad", ["abc", "999999", "1.5", "-1", "9" * 17, "9" * 30, "١٢"])
def test_smuggled_ids_are_refused(db_session, world, bad):
    with pytest.raises(ValidationFailed) as e:
        profile.create_company(world.head_a, fields(office_id=bad, manager_id=bad))
    assert set(e.value.reasons) >= {"office_id", "manager_id"}


def test_a_disabled_manager_cannot_be_given_a_company(db_session, world):
    world.manager_a2.is_enabled = False
    db_session.flush()
    with pytest.raises(ValidationFailed) as e:
        profile.create_company(world.head_a, fields(world.office_a, world.manager_a2))
    assert "manager_id" in e.value.reasons


def test_head_and_admin_may_leave_the_manager_open(db_session, world):
    company = profile.create_company(world.head_a, fields(world.office_a))
    assert company.manager_id is None


def test_scopes_offer_what_each_role_may_use(db_session, world):
    def offices(user):
        return set(db_session.scalars(profile.office_scope(user)).all())

    def managers(user):
        return set(db_session.scalars(profile.manager_scope(user)).all())

    assert offices(world.manager_a1) == {world.office_a}
    assert managers(world.manager_a1) == {world.manager_a1}
    assert offices(world.head_a) == {world.office_a}
    assert managers(world.head_a) == {world.manager_a1, world.manager_a2}
    assert offices(world.admin) >= {world.office_a, world.office_b}
    assert managers(world.admin) >= {world.manager_a1, world.manager_a2, world.manager_b1}
    assert offices(world.management) == set() and managers(world.management) == set()


@pytest.mark.parametrize("who", ["management", "booker_a"])
def test_management_and_bookers_may_not_create(db_session, world, who):
    with pytest.raises(NotAllowed):
        profile.create_company(getattr(world, who), fields(world.office_a, world.manager_a1))


@pytest.mark.parametrize(
    "field, value",
    [
        ("name_zh", "   "),
        ("name_zh", "长" * 201),
        ("city", ""),
        ("address", "路" * 301),
        ("credit_code", ""),
        ("credit_code", "91110000000000000X"),  # wrong check character
        ("credit_code", "9111000000000000"),  # too short
        ("industry", "mining"),
        ("headcount_band", "5"),
    ],
)
def test_field_rules(db_session, world, field, value):
    with pytest.raises(ValidationFailed) as e:
        profile.create_company(world.manager_a1, fields(world.office_a, **{field: value}))
    assert field in e.value.reasons


def test_credit_code_is_normalised(db_session, world):
    code = factories.make_credit_code(770_002)
    spaced = " ".join(code[i : i + 6] for i in range(0, 18, 6)).lower()
    company = profile.create_company(world.manager_a1, fields(world.office_a, credit_code=spaced))
    assert company.credit_code == code


def test_an_existing_credit_code_is_refused_with_that_company(db_session, world):
    with pytest.raises(CreditCodeTaken) as e:
        profile.create_company(
            world.manager_a1,
            fields(world.office_a, name_zh="全新名称科技", credit_code=world.company_b.credit_code),
        )
    assert e.value.company.id == world.company_b.id
    assert "credit_code" in e.value.reasons


def test_the_unique_key_is_the_last_word_on_the_credit_code(db_session, world, monkeypatch):
    """Another request saved the same code between the check and the insert."""
    monkeypatch.setattr(profile, "find_duplicates", lambda *a, **kw: Duplicates())
    with pytest.raises(CreditCodeTaken) as e:
        profile.create_company(
            world.manager_a1,
            fields(world.office_a, name_zh="全新名称科技", credit_code=world.company_a.credit_code),
        )
    assert e.value.company.id == world.company_a.id
    assert db_session.scalar(select(Company).where(Company.name_zh == "全新名称科技")) is None


def test_a_similar_name_asks_for_a_confirmation(db_session, world):
    # "京华能源集团有限公司" is in the world: the import's normalised name matches.
    values = fields(world.office_a, name_zh="京华能源（集团）股份有限公司")
    with pytest.raises(SimilarNames) as e:
        profile.create_company(world.manager_a1, values)
    assert [c.id for c in e.value.companies] == [world.company_a2.id]
    assert db_session.scalar(select(Company).where(Company.name_zh == values["name_zh"])) is None
    with pytest.raises(SimilarNames):  # confirming some other company does not count
        profile.create_company(world.manager_a1, values, confirmed={world.company_b.id})
    company = profile.create_company(world.manager_a1, values, confirmed={world.company_a2.id})
    assert company.name_zh == "京华能源（集团）股份有限公司"


def test_the_import_and_the_form_agree_on_duplicates(db_session, world):
    """A company created on the form is what a later import finds: the same two rules."""
    from portal.imports.tasks import run_import
    from tests.imports.files import COMPANY_HEADER, csv_bytes

    created = profile.create_company(world.manager_a1, fields(world.office_a))
    other_code = factories.make_credit_code(770_009)

    def row(name, code):
        return [name, "", code, "物流", "300", "天津", "", world.office_a.code, ""]

    rows = [
        COMPANY_HEADER,
        row("华夏远航物流股份有限公司", other_code),
        row("新名称物流", created.credit_code),
    ]
    outcome = run_import("companies", csv_bytes(rows), "companies.csv")
    assert outcome.rows_imported == 0 and outcome.rows_existing == 2
    reasons = [entry["reason"] for entry in outcome.report]
    assert f"company {created.id} (same name)" in reasons[0]
    assert f"company {created.id} (same credit code)" in reasons[1]
    # And the form asks about a name the import would call the same.
    with pytest.raises(SimilarNames):
        profile.create_company(
            world.manager_a1,
            fields(
                world.office_a,
                name_zh="华夏远航物流(集团)有限公司",
                credit_code=factories.make_credit_code(770_010),
            ),
        )


def test_edit_checks_as_create_does(db_session, world):
    company = world.company_a
    with pytest.raises(CreditCodeTaken):
        profile.update_profile(world.manager_a1, company, fields(credit_code=world.company_b.credit_code))
    with pytest.raises(SimilarNames):
        profile.update_profile(world.manager_a1, company, fields(name_zh="上海浦江金融控股股份有限公司"))
    with pytest.raises(ValidationFailed) as e:
        profile.update_profile(world.manager_a1, company, fields(credit_code="123"))
    assert "credit_code" in e.value.reasons
    db_session.refresh(company)
    assert company.name_zh == "北京星河航天科技有限公司"


def test_edit_keeps_its_own_code_and_name_without_asking(db_session, world):
    company = world.company_a2
    values = fields(name_zh="京华能源集团股份有限公司", credit_code=company.credit_code, city="北京")
    profile.update_profile(world.manager_a1, company, values)
    assert company.name_zh == "京华能源集团股份有限公司" and company.city == "北京"
    assert company.industry == "logistics" and company.address == "滨海新区港口大道8号"
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == company.id, AuditEvent.action == "update")
    ).all()
    assert any(e.after.get("name_zh") == "京华能源集团股份有限公司" for e in events)


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("manager_a1", True),
        ("head_a", True),
        ("admin", True),
        ("manager_a2", False),
        ("head_b", False),
        ("management", False),
        ("booker_a", False),
    ],
)
def test_who_may_edit(db_session, world, who, allowed):
    values = fields(credit_code=world.company_a.credit_code, name_zh=world.company_a.name_zh)
    if allowed:
        profile.update_profile(getattr(world, who), world.company_a, values)
        assert world.company_a.city == "天津"
    else:
        with pytest.raises(NotAllowed):
            profile.update_profile(getattr(world, who), world.company_a, values)


def test_a_closed_office_takes_no_new_company(app, db_session, world):
    from portal.companies.profile import office_scope
    from portal.db import utcnow

    world.office_b.closed_at = utcnow()
    db_session.flush()
    with app.test_request_context():
        offered = {o.id for o in db_session.scalars(office_scope(world.admin))}
    assert world.office_a.id in offered and world.office_b.id not in offered
