"""The quota rules without HTTP: confirm or waitlist, tier order, cancellation and promotion,
the 24-hour cut-off, expiry, notifications, quota management and the unique guard."""

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.audit.models import AuditEvent
from portal.errors import NotAllowed, ValidationFailed
from portal.notifications.models import Notification
from portal.quotas import jobs, operations, schedule
from portal.quotas.models import PriorityRequest, Quota
from portal.quotas.operations import QuotaFields
from portal.quotas.queries import QuotaUse, agreement_quotas, next_month, waitlist_positions
from tests import factories
from tests.quotas.helpers import (
    ask_seat,
    departure_utc,
    flight_day,
    local_today,
    month_after,
    priority_request,
    quota,
)


def _travellers(db_session, world, n):
    return [factories.traveller(db_session, world.company_a) for _ in range(n)]


def _notes(db_session, user, kind):
    return db_session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    ).all()


def test_confirmed_while_seats_remain_then_waitlisted(ctx, db_session, world):
    q = quota(db_session, world.agreement_a, seats=2)
    people = _travellers(db_session, world, 3)
    first, second, third = (ask_seat(world, t) for t in people)
    assert [r.status for r in (first, second, third)] == ["confirmed", "confirmed", "waitlisted"]
    db_session.refresh(q)
    assert q.used == 2 == operations.confirmed_count(q.id)
    assert first.confirmed_at is not None and third.confirmed_at is None
    assert first.departure_at == departure_utc("CA1501", flight_day())
    assert waitlist_positions([q.id], datetime(2000, 1, 1)) == {third.id: 1}
    # The booker is told each time, in the portal.
    assert len(_notes(db_session, world.booker_a, "quota_confirmed")) == 2
    (waitlisted,) = _notes(db_session, world.booker_a, "quota_waitlisted")
    assert "place 1" in waitlisted.message and people[2].name in waitlisted.message
    assert waitlisted.link == "/self/requests"


def test_waitlist_is_served_by_tier_then_time_and_cancellation_promotes(ctx, db_session, world):
    q = quota(db_session, world.agreement_a, seats=1)
    holder, early, late = _travellers(db_session, world, 3)
    world.company_a.tier = "silver"
    confirmed = ask_seat(world, holder)
    standard_early = ask_seat(world, early)  # silver: priority 2
    world.company_a.tier = "platinum"  # rescored meanwhile
    platinum_late = ask_seat(world, late)
    assert (standard_early.priority, platinum_late.priority) == (2, 0)
    assert waitlist_positions([q.id], datetime(2000, 1, 1)) == {platinum_late.id: 1, standard_early.id: 2}

    promoted = operations.cancel_request(world.booker_a, confirmed)
    assert [r.id for r in promoted] == [platinum_late.id]
    db_session.expire_all()
    assert confirmed.status == "cancelled" and confirmed.cancelled_at is not None
    assert platinum_late.status == "confirmed" and platinum_late.confirmed_at is not None
    assert standard_early.status == "waitlisted"
    assert db_session.get(Quota, q.id).used == 1
    (note,) = _notes(db_session, world.booker_a, "quota_promoted")
    assert late.name in note.message
    # The changes made by conditional statements are in the audit trail too.
    entities = db_session.execute(
        select(AuditEvent.entity, AuditEvent.entity_id).where(AuditEvent.action == "update")
    ).all()
    assert ("priority_request", confirmed.id) in entities and (
        "priority_request",
        platinum_late.id,
    ) in entities
    assert ("quota", q.id) in entities


def test_cancelling_a_waitlisted_request_only_leaves_the_line(ctx, db_session, world):
    q = quota(db_session, world.agreement_a, seats=1)
    a, b, c = _travellers(db_session, world, 3)
    ask_seat(world, a)
    second, third = ask_seat(world, b), ask_seat(world, c)
    assert operations.cancel_request(world.booker_a, second) == []
    db_session.expire_all()
    assert second.status == "cancelled" and db_session.get(Quota, q.id).used == 1
    assert waitlist_positions([q.id], datetime(2000, 1, 1)) == {third.id: 1}


def test_a_request_is_cancelled_once(ctx, db_session, world):
    q = quota(db_session, world.agreement_a, seats=2)
    a, b = _travellers(db_session, world, 2)
    first = ask_seat(world, a)
    ask_seat(world, b)
    operations.cancel_request(world.booker_a, first)
    with pytest.raises(ValidationFailed, match="Cancelled already"):
        operations.cancel_request(world.booker_a, first)
    assert db_session.get(Quota, q.id).used == 1  # one seat freed, not two


def test_cancellation_promotes_nobody_when_the_line_is_empty_and_the_seat_is_free(ctx, db_session, world):
    q = quota(db_session, world.agreement_a, seats=1)
    (a, b) = _travellers(db_session, world, 2)
    operations.cancel_request(world.booker_a, ask_seat(world, a))
    assert db_session.get(Quota, q.id).used == 0
    assert ask_seat(world, b).status == "confirmed"


def test_promotion_skips_requests_whose_flight_has_left(ctx, db_session, world):
    q = quota(db_session, world.agreement_a, seats=1)
    a, b, c = _travellers(db_session, world, 3)
    holder = ask_seat(world, a)
    early = ask_seat(world, b, flight_date=flight_day(10))
    later = ask_seat(world, c, flight_date=flight_day(20))
    after_early_left = departure_utc("CA1501", flight_day(10)) + timedelta(minutes=1)
    promoted = operations.cancel_request(world.booker_a, holder, now=after_early_left)
    assert [r.id for r in promoted] == [later.id]
    db_session.expire_all()
    assert early.status == "waitlisted"  # left before it could fly: the expiry job ends it
    assert db_session.get(Quota, q.id).used == 1


def test_requests_close_24_hours_before_departure(ctx, db_session, world):
    quota(db_session, world.agreement_a, seats=5)
    day = flight_day()
    departure = departure_utc("CA1501", day)
    a, b = _travellers(db_session, world, 2)
    with pytest.raises(ValidationFailed) as refused:
        ask_seat(world, a, flight_date=day, now=departure - timedelta(hours=24))
    assert "close 24 hours before departure" in str(refused.value)
    assert refused.value.reasons.keys() == {"flight_date"}
    ok = ask_seat(world, b, flight_date=day, now=departure - timedelta(hours=24, microseconds=1))
    assert ok.status == "confirmed"


def test_the_cut_off_is_checked_in_beijing_time(ctx, db_session, world):
    """CA1515 leaves at 07:45 Beijing on day D, 23:45 UTC on D-1: a request at 00:00 UTC on
    D-1 (08:00 Beijing, 23 h 45 min before) is too late, one at 23:30 UTC on D-2 is in time."""
    day = flight_day()
    entry = schedule.scheduled("CA1515")
    assert (entry.origin, entry.destination, entry.departs) == ("PEK", "SHA", time(7, 45))
    quota(db_session, world.agreement_a, seats=5)
    departure = datetime.combine(day - timedelta(days=1), time(23, 45))
    a, b = _travellers(db_session, world, 2)
    with pytest.raises(ValidationFailed, match="close 24 hours"):
        ask_seat(world, a, flight_number="CA1515", now=datetime.combine(day - timedelta(days=1), time(0)))
    req = ask_seat(
        world, b, flight_number="CA1515", now=datetime.combine(day - timedelta(days=2), time(23, 30))
    )
    assert req.departure_at == departure


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"cabin": "Z"}, "cabin", "Choose first (F)"),
        ({"flight_number": "XX"}, "flight_number", "A flight number like CA1501"),
        ({"flight_number": "CA1301"}, "flight_number", "CA1301 flies PEK–CAN"),
        ({"cabin": "W"}, "cabin", "has no Premium economy cabin"),
        ({"origin": "PE1"}, "origin", "three-letter IATA code"),
        ({"destination": "PEK"}, "destination", "must differ from the origin"),
        ({"flight_number": "MU5101"}, "departure_time", "not in our timetable"),
        ({"flight_date": None}, "flight_date", "Enter the date"),
    ],
)
def test_bad_requests_are_refused_with_reasons(ctx, db_session, world, changes, field, message):
    quota(db_session, world.agreement_a, seats=5)
    with pytest.raises(ValidationFailed) as refused:
        ask_seat(world, **changes)
    assert field in refused.value.reasons
    assert message in " ".join(refused.value.reasons[field])
    assert db_session.scalar(select(func.count(PriorityRequest.id))) == 0


def test_a_past_date_is_refused(ctx, db_session, world):
    with pytest.raises(ValidationFailed, match="in the past"):
        ask_seat(world, flight_date=local_today() - timedelta(days=3))


def test_a_flight_outside_the_timetable_needs_its_departure_time(ctx, db_session, world):
    quota(db_session, world.agreement_a, seats=5)
    req = ask_seat(world, flight_number="mu 05101", departure_time=time(9, 40))
    assert req.flight_number == "MU5101"
    assert req.departure_at == datetime.combine(flight_day(), time(1, 40))  # 09:40 Beijing


def test_a_request_needs_a_quota_of_the_active_agreement(ctx, db_session, world):
    with pytest.raises(ValidationFailed, match="no quota for PEK–SHA in Economy"):
        ask_seat(world)
    q = quota(db_session, world.agreement_a, seats=5)
    world.agreement_a.status = "terminated"
    db_session.flush()
    with pytest.raises(ValidationFailed, match="no quota"):
        ask_seat(world)
    world.agreement_a.status = "active"
    q.month = next_month(q.month)  # a quota of another month does not serve this flight
    db_session.flush()
    with pytest.raises(ValidationFailed, match="no quota"):
        ask_seat(world)


def test_the_traveller_must_be_the_companys(ctx, db_session, world):
    q = quota(db_session, world.agreement_a, seats=5)
    with pytest.raises(ValidationFailed) as refused:
        ask_seat(world, world.traveller_b)
    assert "traveller_id" in refused.value.reasons
    removed = factories.traveller(db_session, world.company_a, deleted_at=datetime(2026, 1, 1))
    with pytest.raises(ValidationFailed):
        ask_seat(world, removed)
    assert db_session.get(Quota, q.id).used == 0


def test_only_the_companys_bookers_and_its_staff_request(ctx, db_session, world):
    quota(db_session, world.agreement_a, seats=5)
    with pytest.raises(NotAllowed):
        ask_seat(world, actor=world.booker_b)
    with pytest.raises(NotAllowed):
        ask_seat(world, actor=world.management)
    assert ask_seat(world, actor=world.manager_a1).requested_by_id == world.manager_a1.id


def test_one_live_request_per_traveller_flight_and_date(ctx, db_session, world):
    q = quota(db_session, world.agreement_a, seats=5)
    first = ask_seat(world)
    with pytest.raises(ValidationFailed, match="has a request on CA1501"):
        ask_seat(world)
    assert db_session.get(Quota, q.id).used == 1
    operations.cancel_request(world.booker_a, first)
    assert ask_seat(world).status == "confirmed"  # after a cancellation the traveller may ask again


def test_the_unique_index_is_the_last_guard(ctx, db_session, world):
    q = quota(db_session, world.agreement_a, seats=5)
    priority_request(db_session, q, world.traveller_a, status="cancelled")
    priority_request(db_session, q, world.traveller_a, status="cancelled")  # dead rows may repeat
    priority_request(db_session, q, world.traveller_a, status="waitlisted")
    with pytest.raises(IntegrityError), db_session.begin_nested():
        priority_request(db_session, q, world.traveller_a, status="confirmed")


def test_the_index_refusing_a_row_gives_the_seat_back(ctx, db_session, world, monkeypatch):
    """If two requests for one traveller race past the friendly check, the index refuses the
    second and its savepoint undoes its seat claim."""
    q = quota(db_session, world.agreement_a, seats=5)
    ask_seat(world)
    monkeypatch.setattr(operations, "_live_request_exists", lambda *a: False)
    with pytest.raises(ValidationFailed, match="has a request"):
        ask_seat(world)
    assert db_session.get(Quota, q.id).used == 1


def test_expiry_ends_departed_waitlisted_requests_once(ctx, db_session, world):
    q = quota(db_session, world.agreement_a, seats=1)
    a, b, c = _travellers(db_session, world, 3)
    ask_seat(world, a)
    gone = ask_seat(world, b, flight_date=flight_day(10))
    staying = ask_seat(world, c, flight_date=flight_day(20))
    after = departure_utc("CA1501", flight_day(10)) + timedelta(hours=1)
    assert jobs.expire_waitlisted(after) == 1
    assert jobs.expire_waitlisted(after) == 0  # idempotent
    db_session.expire_all()
    assert (gone.status, gone.expired_at) == ("expired", after)
    assert staying.status == "waitlisted"
    assert db_session.get(Quota, q.id).used == 1
    (note,) = _notes(db_session, world.booker_a, "quota_expired")
    assert b.name in note.message
    assert operations.expire_waitlisted(after) == 0


def test_departure_times_agree_with_the_demo_seed():
    from portal.demo.seed import _departure_utc

    for flight in ("CA1501", "CA1502", "CA101", "CA4401", "CA983"):
        day = date(2026, 3, 9)
        assert departure_utc(flight, day) == _departure_utc(flight, day)
        assert schedule.scheduled(flight) is not None
    assert schedule.scheduled("CA1502").origin == "SHA"
    assert schedule.normalise_flight_number(" ca 01501 ") == "CA1501"
    assert schedule.normalise_flight_number("CA0") is None
    assert schedule.normalise_flight_number("1501") is None


# --- managing quotas -------------------------------------------------------------------


def _fields(**kw) -> QuotaFields:
    values = dict(origin="pek", destination="can", cabin="C", month=month_after(), seats=4)
    values.update(kw)
    return QuotaFields(**values)


def test_create_quota_validates_every_field(ctx, db_session, world):
    made = operations.create_quota(world.manager_a1, world.agreement_a, _fields())
    assert (made.origin, made.destination, made.used) == ("PEK", "CAN", 0)
    cases = [
        (dict(origin="PEKING"), "origin"),
        (dict(destination="PEK"), "destination"),
        (dict(cabin="Z"), "cabin"),
        (dict(month=None), "month"),
        (dict(month=world.agreement_a.valid_to + timedelta(days=40)), "month"),
        (dict(seats=0), "seats"),
        (dict(seats=None), "seats"),
        (dict(), "month"),  # the same route, cabin and month again
    ]
    for changes, field in cases:
        with pytest.raises(ValidationFailed) as refused:
            operations.create_quota(world.manager_a1, world.agreement_a, _fields(**changes))
        assert field in refused.value.reasons, changes


def test_who_may_change_quotas(ctx, db_session, world):
    for actor in (world.management, world.manager_a2, world.head_b, world.booker_a):
        with pytest.raises(NotAllowed):
            operations.create_quota(actor, world.agreement_a, _fields())
    operations.create_quota(world.head_a, world.agreement_a, _fields())
    world.agreement_a.status = "expired"
    with pytest.raises(ValidationFailed, match="can no longer change"):
        operations.create_quota(world.admin, world.agreement_a, _fields(cabin="Y"))


def test_seats_never_below_confirmed_and_more_seats_serve_the_waitlist(ctx, db_session, world):
    q = quota(db_session, world.agreement_a, seats=1)
    a, b, c = _travellers(db_session, world, 3)
    ask_seat(world, a)
    second, third = ask_seat(world, b), ask_seat(world, c)
    same = dict(origin="PEK", destination="SHA", cabin="Y", month=q.month)
    with pytest.raises(ValidationFailed) as refused:
        operations.update_quota(world.manager_a1, q, QuotaFields(seats=0, **same))
    assert "seats" in refused.value.reasons
    with pytest.raises(ValidationFailed, match="only its seats can change"):
        operations.update_quota(world.manager_a1, q, QuotaFields(seats=1, **{**same, "cabin": "C"}))
    promoted = operations.update_quota(world.manager_a1, q, QuotaFields(seats=2, **same))
    assert [r.id for r in promoted] == [second.id]
    db_session.expire_all()
    assert (q.seats, q.used, third.status) == (2, 2, "waitlisted")
    assert len(_notes(db_session, world.booker_a, "quota_promoted")) == 1


def test_delete_only_unused_quotas(ctx, db_session, world):
    unused = quota(db_session, world.agreement_a, cabin="C")
    used = quota(db_session, world.agreement_a, seats=3)
    cancelled = ask_seat(world)
    operations.cancel_request(world.booker_a, cancelled)
    with pytest.raises(ValidationFailed, match="cannot be deleted"):
        operations.delete_quota(world.manager_a1, used)
    operations.delete_quota(world.manager_a1, unused)
    assert db_session.get(Quota, unused.id) is None


def test_copy_a_month_to_the_next_is_idempotent(ctx, db_session, world):
    month = month_after()
    quota(db_session, world.agreement_a, month=month, seats=3)
    quota(db_session, world.agreement_a, month=month, cabin="C", seats=1)
    quota(db_session, world.agreement_a, month=next_month(month), cabin="C", seats=9)
    result = operations.copy_month(world.manager_a1, world.agreement_a, month)
    assert (result.target, result.created, result.skipped) == (next_month(month), 1, 1)
    again = operations.copy_month(world.manager_a1, world.agreement_a, month)
    assert (again.created, again.skipped) == (0, 2)
    target = {
        q.cabin: q.seats for q in db_session.scalars(select(Quota).where(Quota.month == next_month(month)))
    }
    assert target == {"Y": 3, "C": 9}  # the existing one kept its seats
    with pytest.raises(ValidationFailed, match="no quotas"):
        operations.copy_month(world.manager_a1, world.agreement_a, next_month(next_month(month)))
    last = world.agreement_a.valid_to.replace(day=1)
    quota(db_session, world.agreement_a, month=last)
    with pytest.raises(ValidationFailed, match="outside the agreement's validity"):
        operations.copy_month(world.manager_a1, world.agreement_a, last)


def test_utilisation_highlights(ctx, db_session, world):
    month = date(2026, 3, 1)
    q = Quota(
        agreement_id=world.agreement_a.id, origin="PEK", destination="SHA", cabin="Y", month=month, seats=10
    )
    q.used = 9
    assert QuotaUse(q, 0, date(2026, 3, 2)).nearly_full
    q.used = 8
    assert not QuotaUse(q, 0, date(2026, 3, 2)).nearly_full
    q.used = 0
    assert not QuotaUse(q, 0, date(2026, 3, 15)).unused  # not past mid-month yet
    assert QuotaUse(q, 0, date(2026, 3, 16)).unused
    assert QuotaUse(q, 0, date(2026, 5, 1)).unused
    saved = quota(db_session, world.agreement_a, seats=4)
    ask_seat(world)
    (use,) = agreement_quotas(world.agreement_a.id, today=date.today(), month=saved.month)
    assert (use.confirmed, use.left, use.waitlisted, use.percent) == (1, 3, 0, 25)
