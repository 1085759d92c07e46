"""The VIP service notice (要客通知单): who is on it and in what order, the 16:00 cut-off, once
per station and day, amendments with only the changes, the PDF's text and fonts, the mail."""

import re
import shutil
import subprocess
from datetime import date, datetime, time
from email import message_from_bytes
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.jobs.registry import JOBS
from portal.jobs.runner import run_job
from portal.mail.models import OutboundEmail
from portal.mail.operations import build_message
from portal.stations import notices
from portal.stations.models import VipNotice
from tests import factories
from tests.stations.helpers import confirmed_on, station, utc

TODAY = date(2026, 12, 9)
TOMORROW = date(2026, 12, 10)
AT_CUTOFF = utc(datetime(2026, 12, 9, 16, 0))  # 16:00 Beijing time on TODAY
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")


def _key_world(session, world):
    """PEK with its list; on TOMORROW from PEK: a VIP of a Standard company (CA1515, 13:00),
    a traveller of a Gold company (CA1501, 08:00) with services, a plain traveller of a
    Standard company (left off), and a Gold traveller departing SHA (another station)."""
    pek = station(session)
    station(session, "SHA", name="上海虹桥国际机场", distribution="ops-sha@airport.example")
    world.company_a.tier = "gold"
    world.company_b.tier = "standard"
    world.manager_a1.phone = "138-0000-1111"
    world.traveller_a.name = "张伟"
    world.traveller_a.seat_preference = "aisle"
    world.traveller_a.service_needs = ["wheelchair"]
    vip = factories.traveller(
        session, world.company_b, name="王芳", vip_level="vvip", meal_preference="muslim"
    )
    plain = factories.traveller(session, world.company_b, name="赵六")
    gold = confirmed_on(
        session,
        world.agreement_a,
        world.traveller_a,
        TOMORROW,
        flight="CA1501",
        departure=utc(datetime(2026, 12, 10, 8, 0)),
        services=("escort", "lounge"),
    )
    vvip = confirmed_on(
        session,
        world.agreement_b,
        vip,
        TOMORROW,
        flight="CA1515",
        departure=utc(datetime(2026, 12, 10, 13, 0)),
    )
    confirmed_on(session, world.agreement_b, plain, TOMORROW, flight="CA1515", quota_obj=vvip.quota)
    other = factories.traveller(session, world.company_a, name="钱七")
    confirmed_on(
        session, world.agreement_a, other, TOMORROW, origin="SHA", destination="PEK", flight="CA1502"
    )
    session.commit()
    return pek, gold, vvip


def _notices(station_obj, day=TOMORROW):
    return db.session.scalars(
        select(VipNotice)
        .where(VipNotice.station_id == station_obj.id, VipNotice.service_date == day)
        .order_by(VipNotice.seq)
    ).all()


def _pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()


def test_entries_are_key_travellers_by_departure(ctx, db_session, world):
    pek, gold, vvip = _key_world(db_session, world)
    entries = notices.notice_entries("PEK", TOMORROW)
    assert [(e["flight"], e["time"], e["traveller"]) for e in entries] == [
        ("CA1501", "08:00", "张伟"),
        ("CA1515", "13:00", "王芳"),
    ]
    first = entries[0]
    assert first["tier"] == "gold" and first["services"] == ["escort", "lounge"]
    assert first["needs"] == ["wheelchair"] and first["seat"] == "aisle"
    assert (first["manager"], first["manager_phone"]) == ("李经理", "138-0000-1111")
    assert entries[1]["vip_level"] == "vvip" and entries[1]["tier"] == "standard"


def test_cut_off_is_16_00_beijing_time(ctx, db_session, world):
    pek, *_ = _key_world(db_session, world)
    before = utc(datetime.combine(TODAY, time(15, 59, 59)))
    assert not notices.notice_due(TODAY, before)
    assert notices.notice_due(TODAY, AT_CUTOFF)
    assert notices.notice_due(TODAY, before, today_given=True)  # `jobs run --today` builds at once
    assert notices.build_notices(TODAY, before) == {"notices": 0, "amendments": 0}
    assert _notices(pek) == []
    assert notices.build_notices(TODAY, AT_CUTOFF)["notices"] == 2  # PEK and SHA
    assert JOBS["vip_notice"].trigger == "cron"


def test_job_sends_once_per_station_and_day(ctx, db_session, world):
    pek, *_ = _key_world(db_session, world)
    first = run_job("vip_notice", today=TODAY, now=AT_CUTOFF)
    assert first.outcome == "ok", first.error
    assert (first.counts["notices"], first.counts["rendered"], first.counts["mails"]) == (2, 2, 3)
    second = run_job("vip_notice", today=TODAY, now=AT_CUTOFF)
    assert (second.counts["notices"], second.counts["amendments"], second.counts["mails"]) == (0, 0, 0)
    (notice,) = _notices(pek)
    assert notice.seq == 0 and notice.mailed_at is not None
    mails = db_session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "vip_notice")).all()
    assert sorted(m.to_address for m in mails) == [
        "ground-pek@airport.example",
        "lounge-pek@airport.example",
        "ops-sha@airport.example",
    ]


def test_pdf_lists_the_notice_in_chinese_with_embedded_fonts(app, ctx, db_session, world):
    _key_world(db_session, world)
    run_job("vip_notice", today=TODAY, now=AT_CUTOFF)
    mail = db_session.scalars(
        select(OutboundEmail).where(OutboundEmail.to_address == "ground-pek@airport.example")
    ).one()
    (attachment,) = mail.attachments
    path = Path(app.config["PORTAL_DATA_DIR"]) / attachment["path"]
    text = _pdf_text(path)
    assert "要客通知单" in text and "PEK" in text and "2026-12-10" in text
    lines = [line for line in text.splitlines() if "CA15" in line]
    assert [re.search(r"CA15\d\d", line).group(0) for line in lines] == ["CA1501", "CA1515"]
    for expected in (
        "08:00",
        "张伟",
        "李经理",
        "138-0000-1111",
        "导乘服务",
        "贵宾休息室",
        "轮椅",
        "王芳",
        "穆斯林",
    ):
        assert expected in text, expected
    assert "赵六" not in text and "钱七" not in text  # not key travellers; another station
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    assert all(" yes " in line for line in fonts.splitlines()[2:] if line.strip())  # embedded
    # The mail carries the PDF as bytes.
    message = message_from_bytes(build_message(mail).as_bytes())
    (part,) = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert part.get_payload(decode=True) == path.read_bytes()
    assert part.get_filename() == "vip-notice-PEK-2026-12-10-0.pdf"


def test_amendment_lists_only_the_changes(app, ctx, db_session, world):
    from portal.quotas import operations

    pek, gold, vvip = _key_world(db_session, world)
    run_job("vip_notice", today=TODAY, now=AT_CUTOFF)
    # After the notice: the Gold traveller's request is cancelled, a new VIP is confirmed.
    operations.cancel_request(world.booker_a, gold, now=AT_CUTOFF)
    late = factories.traveller(db_session, world.company_b, name="孙悟空", vip_level="vip")
    confirmed_on(db_session, world.agreement_b, late, TOMORROW, flight="CA1519", quota_obj=vvip.quota)
    db_session.commit()
    run = run_job("vip_notice", today=TODAY, now=AT_CUTOFF)
    assert run.counts["amendments"] == 1 and run.counts["notices"] == 0
    notice, amendment = _notices(pek)
    assert [(e["traveller"], e["change"]) for e in amendment.entries] == [
        ("张伟", "cancelled"),
        ("孙悟空", "added"),
    ]
    text = _pdf_text(Path(app.config["PORTAL_DATA_DIR"]) / amendment.pdf_path)
    assert "更正" in text and "已取消" in text and "新增" in text
    assert "王芳" not in text  # unchanged: only in the notice
    # Nothing changed since: no further amendment.
    assert run_job("vip_notice", today=TODAY, now=AT_CUTOFF).counts["amendments"] == 0
    assert db_session.scalar(select(func.count()).select_from(VipNotice)) == 3  # PEK x2, SHA


def test_cli_builds_the_notice_for_the_day_after_today(app, db_session, world):
    pek, *_ = _key_world(db_session, world)
    result = app.test_cli_runner().invoke(args=["jobs", "run", "vip_notice", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "vip_notice: ok" in result.output
    with app.app_context():
        (notice,) = _notices(pek)
    assert notice.service_date == TOMORROW and len(notice.entries) == 2
