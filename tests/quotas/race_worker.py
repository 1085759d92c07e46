"""One process of the quota race test (tests/quotas/test_race.py), started with "spawn".

Each process builds its own app on the committed test database and runs a few threads (one
database connection each). Every thread makes its share of seat requests through the real
operation, one transaction per request, and now and then cancels a random confirmed (or
waitlisted) request of the quota; the threads also rescore the company's tier now and then, so waitlisted
requests carry different priorities. Everything that happened is reported back as plain data.
"""

import random
import threading
import traceback
from datetime import date

# Before each request a thread rescores the company (a random tier) this often, so the
# waitlist holds requests of every priority all through the run.
TIER_CHANGE_CHANCE = 0.25
# After each request a thread cancels a random confirmed request this often (its seat goes to
# the first in line), or a random waitlisted one.
CANCEL_CONFIRMED = 0.25
CANCEL_WAITING = 0.05


def _thread(app, ids: dict, plan: list, seed: int, flip_tier: bool, barrier, out: dict) -> None:
    try:
        _requests(app, ids, plan, seed, flip_tier, barrier, out)
    except BaseException:
        out.setdefault("errors", []).append(traceback.format_exc())


def _requests(app, ids: dict, plan: list, seed: int, flip_tier: bool, barrier, out: dict) -> None:
    from sqlalchemy import select

    from portal.auth.models import User
    from portal.companies.models import Company, Traveller
    from portal.extensions import db
    from portal.quotas import operations
    from portal.quotas.models import PriorityRequest

    rng = random.Random(seed)
    attempts, cancels, errors = [], [], []
    with app.app_context():
        booker = db.session.get(User, ids["booker"])
        company = db.session.get(Company, ids["company"])
        db.session.commit()
        barrier.wait(timeout=60)
        for traveller_id, day in plan:
            if flip_tier and rng.random() < TIER_CHANGE_CHANCE:
                company.tier = rng.choice(("platinum", "gold", "silver", "standard", None))
                db.session.commit()
            try:
                req = operations.request_seat(
                    booker,
                    company,
                    traveller=db.session.get(Traveller, traveller_id),
                    flight_number="CA1501",
                    flight_date=date.fromisoformat(day),
                    origin="PEK",
                    destination="SHA",
                    cabin="Y",
                )
                result = (req.id, req.status)
                db.session.commit()
                attempts.append((traveller_id, day, *result))
            except Exception:
                db.session.rollback()
                attempts.append((traveller_id, day, None, None))
                errors.append(traceback.format_exc(limit=3))
                continue
            draw = rng.random()
            wanted = (
                "confirmed"
                if draw < CANCEL_CONFIRMED
                else "waitlisted"
                if draw > 1 - CANCEL_WAITING
                else None
            )
            if wanted is None:
                continue
            # Any request of the quota in that status, as committed now: two threads may pick the
            # same one, and only one of them may cancel it.
            candidates = db.session.scalars(
                select(PriorityRequest.id).where(
                    PriorityRequest.quota_id == ids["quota"], PriorityRequest.status == wanted
                )
            ).all()
            db.session.commit()
            if not candidates:
                continue
            target = rng.choice(candidates)
            try:
                promoted = operations.cancel_request(booker, db.session.get(PriorityRequest, target))
                promoted_ids = [p.id for p in promoted]
                db.session.commit()
                cancels.append((target, wanted, promoted_ids, None))
            except Exception as e:
                db.session.rollback()
                cancels.append((target, wanted, [], type(e).__name__))
                if type(e).__name__ != "ValidationFailed":
                    errors.append(traceback.format_exc(limit=3))
        db.session.remove()
    out.setdefault("errors", [])
    out.update(attempts=attempts, cancels=cancels)
    out["errors"] += errors


def run(
    url: str, data_dir: str, ids: dict, plans: list, seed: int, flip_tier: bool, barrier, results
) -> None:
    """Process entry point: one thread per plan. `barrier` (a multiprocessing barrier for every
    thread of every process) starts them together. Puts {"attempts", "cancels", "errors"} on
    `results` (a multiprocessing queue)."""
    try:
        from portal import create_app
        from portal.extensions import db

        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, PORTAL_DATA_DIR=data_dir)
        outs = [{} for _ in plans]
        threads = [
            threading.Thread(
                target=_thread, args=(app, ids, plan, seed * 100 + i, flip_tier, barrier, outs[i])
            )
            for i, plan in enumerate(plans)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with app.app_context():
            db.engine.dispose()
        merged = {"attempts": [], "cancels": [], "errors": []}
        for out in outs:
            for key in merged:
                merged[key] += out.get(key, [])
        results.put(merged)
    except BaseException:
        results.put({"attempts": [], "cancels": [], "errors": [traceback.format_exc()]})
