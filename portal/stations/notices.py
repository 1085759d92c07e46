"""The VIP service notice (要客通知单): for every station and service day, the key travellers
departing there with their flights, needs and services; amendments list only what changed.

The job builds a station's notice for tomorrow once, at 16:00 local time or later (the cut-off);
each later run compares what was sent with the confirmed requests now and sends an amendment
with the additions and cancellations. Notices sit under a unique (station, day, seq) key, and
each is rendered and mailed once (claimed with `mailed_at IS NULL`), outside the job's lock
and without a transaction open while the PDF renders. The steps here flush; the job's entry
points in portal/stations/jobs.py commit.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from portal import pdf
from portal.auth.models import User
from portal.companies.models import Company, Traveller
from portal.db import utcnow
from portal.extensions import db
from portal.labels import label
from portal.mail.operations import enqueue_rows, mail_row
from portal.quotas.models import PriorityRequest
from portal.stations.models import Station, VipNotice
from portal.stations.services import services_of
from portal.timeutil import utc_to_local

CUTOFF = time(16, 0)  # local time on the day before: tomorrow's notice is built from then on
KEY_TIERS = ("platinum", "gold")
PDF_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "pdf"
NOTICE_DIR = "vip-notices"


def notice_entries(station_code: str, day: date) -> list[dict]:
    """The key travellers departing `station_code` on `day` with confirmed requests: VIP
    travellers and travellers of Platinum and Gold companies, by departure time."""
    manager = aliased(User)
    rows = db.session.execute(
        select(PriorityRequest, Traveller, Company, manager.name, manager.phone)
        .join(Traveller, Traveller.id == PriorityRequest.traveller_id)
        .join(Company, Company.id == PriorityRequest.company_id)
        .outerjoin(manager, manager.id == Company.manager_id)
        .where(
            PriorityRequest.origin == station_code,
            PriorityRequest.flight_date == day,
            PriorityRequest.status == "confirmed",
            or_(Traveller.vip_level != "none", Company.tier.in_(KEY_TIERS)),
        )
        .order_by(
            PriorityRequest.departure_at, PriorityRequest.flight_number, Traveller.name, PriorityRequest.id
        )
    ).all()
    services = services_of(r[0].id for r in rows)
    entries = []
    for req, traveller, company, manager_name, manager_phone in rows:
        entries.append(
            {
                "request_id": req.id,
                "flight": req.flight_number,
                "time": utc_to_local(req.departure_at).strftime("%H:%M"),
                "origin": req.origin,
                "destination": req.destination,
                "cabin": req.cabin,
                "traveller": traveller.name,
                "traveller_en": traveller.name_en or "",
                "vip_level": traveller.vip_level,
                "company": company.name_zh,
                "tier": company.tier or "",
                "seat": traveller.seat_preference,
                "meal": traveller.meal_preference,
                "needs": list(traveller.service_needs or []),
                "services": [s.service for s in services[req.id]],
                "manager": manager_name or "",
                "manager_phone": manager_phone or "",
            }
        )
    return entries


def sent_entries(notices: list[VipNotice]) -> dict[int, dict]:
    """What the station has been told for the day: the notice with its amendments applied."""
    told: dict[int, dict] = {}
    for notice in sorted(notices, key=lambda n: n.seq):
        for entry in notice.entries:
            if entry.get("change") == "cancelled":
                told.pop(entry["request_id"], None)
            else:
                told[entry["request_id"]] = entry
    return told


def changes_since(notices: list[VipNotice], current: list[dict]) -> list[dict]:
    """The additions and cancellations of `current` against what the notices told, by time."""
    told = sent_entries(notices)
    now_ids = {e["request_id"] for e in current}
    added = [dict(e, change="added") for e in current if e["request_id"] not in told]
    cancelled = [dict(e, change="cancelled") for rid, e in told.items() if rid not in now_ids]
    return sorted(added + cancelled, key=lambda e: (e["time"], e["flight"], e["traveller"], e["request_id"]))


def notice_due(today: date, now: datetime, *, today_given: bool = False) -> bool:
    """Whether tomorrow's notice may be built: from 16:00 local time on `today`, or at once when
    a run names its day (`jobs run vip_notice --today ...`)."""
    return today_given or utc_to_local(now) >= datetime.combine(today, CUTOFF)


def build_notices(today: date, now: datetime, *, today_given: bool = False) -> dict:
    """For every station: tomorrow's notice when due and not built yet; an amendment for today
    and tomorrow where a notice went out and the confirmed requests changed since (flushes)."""
    tomorrow = today + timedelta(days=1)
    due = notice_due(today, now, today_given=today_given)
    counts = {"notices": 0, "amendments": 0}
    for station in db.session.scalars(select(Station).order_by(Station.code)):
        for day in (today, tomorrow):
            notices = list(
                db.session.scalars(
                    select(VipNotice).where(VipNotice.station_id == station.id, VipNotice.service_date == day)
                )
            )
            if not notices:
                if day == tomorrow and due:
                    counts["notices"] += _claim(station.id, day, 0, notice_entries(station.code, day))
                continue
            changes = changes_since(notices, notice_entries(station.code, day))
            if changes:
                seq = max(n.seq for n in notices) + 1
                counts["amendments"] += _claim(station.id, day, seq, changes)
    return counts


def _claim(station_id: int, day: date, seq: int, entries: list[dict]) -> int:
    """Insert the notice under its unique key; 0 when another run made it first."""
    try:
        with db.session.begin_nested():
            db.session.add(VipNotice(station_id=station_id, service_date=day, seq=seq, entries=entries))
            db.session.flush()
    except IntegrityError:
        return 0
    return 1


def pdf_context(notice: VipNotice, station: Station) -> dict:
    """The notice's PDF content as plain data, labelled in Chinese."""
    with force_locale("zh"):
        rows = [
            {
                "change": {"added": _("Added"), "cancelled": _("Cancelled")}.get(e.get("change"), ""),
                "cancelled": e.get("change") == "cancelled",
                "flight": e["flight"],
                "time": e["time"],
                "route": f"{e['origin']}–{e['destination']}",
                "cabin": label(e["cabin"], "cabin"),
                "traveller": e["traveller"],
                "traveller_en": e["traveller_en"],
                "vip": label(e["vip_level"], "vip_level") if e["vip_level"] != "none" else "",
                "company": e["company"],
                "tier": label(e["tier"], "tier") if e["tier"] else "",
                "preferences": "、".join(
                    label(v, kind)
                    for v, kind in ((e["seat"], "seat_preference"), (e["meal"], "meal_preference"))
                    if v != "none"
                ),
                "needs": "、".join(label(n, "service_need") for n in e["needs"]),
                "services": "、".join(label(s, "service") for s in e["services"]),
                "manager": e["manager"],
                "manager_phone": e["manager_phone"],
            }
            for e in notice.entries
        ]
        return {
            "title": _("VIP service notice")
            if not notice.is_amendment
            else _("VIP service notice: amendment"),
            "seq": notice.seq,
            "station": f"{station.name} ({station.code})",
            "day": notice.service_date.isoformat(),
            "made": utc_to_local(notice.created_at).strftime("%Y-%m-%d %H:%M"),
            "rows": rows,
            "t": {
                "change": _("Change"),
                "flight": _("Flight"),
                "time": _("Departure"),
                "route": _("Route"),
                "cabin": _("Cabin"),
                "traveller": _("Traveller"),
                "company": _("Company"),
                "preferences": _("Preferences"),
                "needs": _("Standing needs"),
                "services": _("Services"),
                "manager": _("Account manager"),
                "empty": _("No key traveller departs from this station on this day."),
                "amendment_note": _("Only the changes since the last notice are listed."),
                "page": _("Page"),
                "amendment": _("Amendment"),
            },
            "body": _(
                "The attached PDF lists %(count)s key travellers departing %(station)s on %(day)s.",
                count=len(rows),
                station=station.code,
                day=notice.service_date.isoformat(),
            ),
        }


def notice_path(notice: VipNotice, station: Station) -> str:
    """Where the notice's PDF is kept, relative to PORTAL_DATA_DIR."""
    return f"{NOTICE_DIR}/{station.code}/{notice.service_date.isoformat()}-{notice.seq}.pdf"


@dataclass
class NoticeMail:
    """What mailing one notice needs, read before its PDF renders with no transaction open."""

    notice_id: int
    context: dict
    relative: str  # the PDF's path under PORTAL_DATA_DIR
    addresses: list[str]
    subject: str
    filename: str


def pending_notice_ids() -> list[int]:
    """The notices not mailed yet, oldest first."""
    return list(
        db.session.scalars(select(VipNotice.id).where(VipNotice.mailed_at.is_(None)).order_by(VipNotice.id))
    )


def notice_mail(notice_id: int) -> NoticeMail:
    """The content, PDF path, addresses and subject of a notice's mail (reads)."""
    notice = db.session.get(VipNotice, notice_id)
    station = notice.station
    context = pdf_context(notice, station)
    subject = f"{context['title']} · {station.code} · {context['day']}"
    if notice.seq:
        subject += f" · {context['t']['amendment']} {notice.seq}"
    return NoticeMail(
        notice_id=notice_id,
        context=context,
        relative=notice_path(notice, station),
        addresses=list(station.addresses),
        subject=subject,
        filename=f"vip-notice-{station.code}-{context['day']}-{notice.seq}.pdf",
    )


def render_notice(mail: NoticeMail) -> None:
    """Render a notice's PDF to its path (no database work: call with no transaction open).
    Raises portal.pdf.RenderError."""
    pdf.render_pdf(
        PDF_TEMPLATES,
        "vip_notice.html",
        mail.context,
        Path(current_app.config["PORTAL_DATA_DIR"]) / mail.relative,
    )


def queue_notice_mails(mail: NoticeMail) -> int:
    """Claim a rendered notice as mailed (where no other run did) and queue a mail with its PDF
    to each of the station's addresses; how many were queued. Flushes."""
    claimed = db.session.execute(
        update(VipNotice)
        .where(VipNotice.id == mail.notice_id, VipNotice.mailed_at.is_(None))
        .values(mailed_at=utcnow(), pdf_path=mail.relative)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return 0
    body = f"{mail.subject}\n\n{mail.context['body']}"
    attachment = {"filename": mail.filename, "content_type": "application/pdf", "path": mail.relative}
    return enqueue_rows(
        [
            mail_row(
                f"vip-notice:{mail.notice_id}:{address}",
                kind="vip_notice",
                user=None,
                to_address=address,
                subject=mail.subject,
                body=body,
                attachments=[attachment],
            )
            for address in mail.addresses
        ]
    )
