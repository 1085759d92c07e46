"""Booking import: encodings, XLSX, validation report, dry run, re-import, failure."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.imports import bookings
from portal.imports.models import ImportBatch
from portal.imports.reading import FileRefused
from portal.imports.tasks import run_import
from portal.segments.models import Segment
from tests.imports.files import EN_HEADER, ZH_HEADER, booking, csv_bytes, xlsx_bytes


def _segments(session, **where):
    stmt = select(Segment)
    for key, value in where.items():
        stmt = stmt.where(getattr(Segment, key) == value)
    return session.scalars(stmt.order_by(Segment.ticket_number, Segment.coupon_number)).all()


def _count(session, model=Segment) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_gbk_csv_saved_by_excel(ctx, world, db_session):
    code = world.company_a.credit_code
    rows = [
        ZH_HEADER,
        booking(code, "9990000000001", revenue="¥1,280.50 "),
        [],  # a blank line
        booking(code + " ", "9990000000001", coupon="２", revenue="１２８０", day="2026/3/6", name=" 张三 "),
        booking(
            code, "９９９０００００００００２", day="2026年3月7日", cabin="J", fare="", revenue="￥3,000"
        ),
        booking(code, "9990000000003", day="20260308", cabin="头等舱", fare="A", revenue="8000"),
        ["", "", "", "", "", "", "", "", "", "", "", ""],
    ]
    data = csv_bytes(rows, encoding="gb18030", crlf=True)
    assert data.decode("gb18030")  # not UTF-8: the decoder must fall back
    outcome = run_import("bookings", data, "航段.csv")
    assert outcome.rows_total == 4
    assert outcome.rows_rejected == 0, outcome.report
    assert outcome.rows_imported == 4
    segments = _segments(db_session, import_batch_id=outcome.batch_id)
    first, second, third, fourth = segments
    assert (first.net_revenue_fen, first.flight_date, first.cabin, first.fare_class) == (
        128050,
        date(2026, 3, 5),
        "Y",
        "B",
    )
    assert (second.coupon_number, second.net_revenue_fen, second.traveller_name) == (2, 128000, "张三")
    assert (third.ticket_number, third.cabin, third.fare_class, third.flight_date) == (
        "9990000000002",
        "C",
        "J",
        date(2026, 3, 7),
    )
    assert (fourth.cabin, fourth.fare_class, fourth.flight_date) == ("F", "A", date(2026, 3, 8))
    assert all(s.company_id == world.company_a.id for s in segments)
    batch = db_session.get(ImportBatch, outcome.batch_id)
    assert (batch.status, batch.rows_imported, batch.kind, batch.dry_run) == ("done", 4, "bookings", False)


def test_utf8_bom_with_english_headers_and_agreement_numbers(ctx, world, db_session):
    number = world.agreement_b.number
    rows = [
        EN_HEADER,
        booking(number, "9990000000101"),
        booking(number.lower(), "9990000000102", distance=""),
    ]
    outcome = run_import("bookings", csv_bytes(rows, bom=True, crlf=False), "bookings.csv")
    assert (outcome.rows_imported, outcome.rows_rejected) == (2, 0), outcome.report
    segments = _segments(db_session, import_batch_id=outcome.batch_id)
    assert {s.company_id for s in segments} == {world.company_b.id}
    assert segments[1].distance_km > 1000  # computed from the reference airports when blank


def test_xlsx_with_merged_title_date_cells_and_serials(ctx, world, db_session):
    outcome = run_import("bookings", xlsx_bytes(world.company_a.credit_code), "export.xlsx")
    assert outcome.rows_total == 4
    assert outcome.rows_imported == 3
    assert outcome.rows_rejected == 1
    assert outcome.report == [
        {
            "line": 7,
            "column": "到达",
            "reason": "QQQ1 is not a three-letter IATA airport code.",
            "value": "QQQ1",
        }
    ]
    segments = _segments(db_session, import_batch_id=outcome.batch_id)
    assert [s.ticket_number for s in segments] == ["9991000000001", "9991000000002", "9991000000003"]
    assert segments[0].flight_date == date(2026, 3, 5)
    assert segments[1].flight_date == date(1899, 12, 30) + timedelta(days=46087)
    assert segments[1].net_revenue_fen == 980050
    assert (segments[2].cabin, segments[2].fare_class) == ("W", "W")
    assert segments[2].distance_km > 1500  # PEK-CAN from the reference


def test_every_rejected_row_is_reported_with_line_column_and_reason(ctx, world, db_session):
    code = world.company_a.credit_code
    rows = [
        ZH_HEADER,
        booking(code, "9990000000201"),
        booking(code, "9990000000201"),  # duplicate inside the file
        booking("91110000600037341L", "9990000000202"),  # valid form, unknown company
        booking("911100006000373412", "9990000000203"),  # wrong check character
        booking(code, "9990000000204", revenue="-120"),
        booking(code, "9990000000205", revenue="1,000,000.01"),
        booking(code, "9990000000206", day="2026-02-30"),
        booking(code, "9990000000207", origin="PE"),
        booking(code, "9990000000208", cabin="Q", fare="J"),
        booking(code, "9.99E+12"),
        booking(code, "9990000000209", coupon="5"),
        booking(code, "9990000000210", origin="SHA", destination="SHA"),
    ]
    outcome = run_import("bookings", csv_bytes(rows), "bad.csv")
    assert (outcome.rows_total, outcome.rows_imported, outcome.rows_rejected) == (12, 1, 11)
    by_line = {e["line"]: e for e in outcome.report}
    assert by_line[3]["column"] == "票号" and "Duplicate of line 2" in by_line[3]["reason"]
    assert by_line[4]["column"] == "信用代码" and "No company has the credit code" in by_line[4]["reason"]
    assert "not a valid credit code" in by_line[5]["reason"]
    assert by_line[6]["column"] == "净收入" and "negative" in by_line[6]["reason"]
    assert "above the limit of 1,000,000 CNY" in by_line[7]["reason"]
    assert by_line[8]["column"] == "航班日期" and "not a calendar date" in by_line[8]["reason"]
    assert by_line[9]["column"] == "出发"
    assert by_line[10]["column"] == "舱位" and "not in the cabin" in by_line[10]["reason"]
    assert "spreadsheet" in by_line[11]["reason"]
    assert by_line[12]["column"] == "航段序号"
    assert by_line[13]["column"] == "到达"
    batch = db_session.get(ImportBatch, outcome.batch_id)
    assert batch.rows_rejected == 11 and len(batch.report["rejected"]) == 11


def test_dry_run_writes_nothing_but_reports(ctx, world, db_session):
    code = world.company_a.credit_code
    rows = [ZH_HEADER, booking(code, "9990000000301"), booking(code, "9990000000302", revenue="abc")]
    segments, batches = _count(db_session), _count(db_session, ImportBatch)
    outcome = run_import("bookings", csv_bytes(rows), "dry.csv", dry_run=True)
    assert (outcome.rows_imported, outcome.rows_rejected, outcome.batch_id) == (1, 1, None)
    assert outcome.report[0]["line"] == 3 and outcome.report[0]["column"] == "净收入"
    assert _count(db_session) == segments
    assert _count(db_session, ImportBatch) == batches


def test_reimporting_the_same_file_changes_nothing(ctx, world, db_session):
    code = world.company_a.credit_code
    data = csv_bytes([ZH_HEADER] + [booking(code, f"99900000004{i:02d}") for i in range(20)])
    first = run_import("bookings", data, "a.csv")
    before = [(s.id, s.net_revenue_fen, s.import_batch_id) for s in _segments(db_session)]
    second = run_import("bookings", data, "a.csv")
    assert (first.rows_imported, second.rows_imported, second.rows_existing) == (20, 0, 20)
    assert [(s.id, s.net_revenue_fen, s.import_batch_id) for s in _segments(db_session)] == before


def test_unreadable_files_are_refused_whole(ctx, world, db_session):
    batches = _count(db_session, ImportBatch)
    with pytest.raises(FileRefused, match="lacks the columns"):
        run_import("bookings", csv_bytes([["票号", "航段序号", "旅客姓名"], ["1", "1", "x"]]), "x.csv")
    with pytest.raises(FileRefused, match="No header row"):
        run_import("bookings", csv_bytes([["a", "b"], ["1", "2"]]), "x.csv")
    with pytest.raises(FileRefused, match="not a readable XLSX"):
        run_import("bookings", b"PK\x03\x04garbage", "x.xlsx")
    with pytest.raises(FileRefused):
        run_import("bookings", b"\xff\xfe\x00\x00\x00binary", "x.csv")
    assert _count(db_session, ImportBatch) == batches


def test_a_failure_mid_way_leaves_nothing_and_records_the_failed_batch(ctx, world, db_session, monkeypatch):
    code = world.company_a.credit_code
    rows = [ZH_HEADER] + [booking(code, f"9990000{i:06d}") for i in range(30)]
    monkeypatch.setattr(bookings, "CHUNK", 10)
    calls = []
    original = bookings.SegmentWriter.write

    def failing(self, chunk):
        calls.append(len(chunk))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        original(self, chunk)

    monkeypatch.setattr(bookings.SegmentWriter, "write", failing)
    segments = _count(db_session)
    with pytest.raises(RuntimeError):
        run_import("bookings", csv_bytes(rows), "fail.csv")
    assert _count(db_session) == segments
    batch = db_session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    assert (batch.filename, batch.status) == ("fail.csv", "failed")
    monkeypatch.setattr(bookings.SegmentWriter, "write", original)
    assert run_import("bookings", csv_bytes(rows), "fail.csv").rows_imported == 30  # simply re-run


def test_cli_import_dry_run_then_real(app, ctx, world, db_session, tmp_path):
    code = world.company_a.credit_code
    path = tmp_path / "b.csv"
    path.write_bytes(csv_bytes([ZH_HEADER, booking(code, "9990000000601"), booking("x", "9990000000602")]))
    report = tmp_path / "report.csv"
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["import", "bookings", str(path), "--dry-run", "--quiet", "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    assert "Dry run, nothing written: 2 rows, 1 imported, 0 already present, 1 rejected" in result.output
    assert "line 3" in result.output and report.read_text(encoding="utf-8-sig").count("\n") == 2
    assert not _segments(db_session, ticket_number="9990000000601")
    result = runner.invoke(args=["import", "bookings", str(path), "--quiet"])
    assert result.exit_code == 0 and "1 imported" in result.output
    assert len(_segments(db_session, ticket_number="9990000000601")) == 1
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n1,2\n")
    result = runner.invoke(args=["import", "companies", str(bad)])
    assert result.exit_code != 0 and "No header row" in result.output


def test_tab_separated_export(ctx, world, db_session):
    code = world.company_a.credit_code
    rows = ["\t".join(ZH_HEADER), "\t".join(booking(code, "9990000000701", revenue="1280.5"))]
    outcome = run_import("bookings", ("\r\n".join(rows) + "\r\n").encode("utf-8"), "tabs.txt")
    assert (outcome.rows_imported, outcome.rows_rejected) == (1, 0), outcome.report
    assert _segments(db_session, ticket_number="9990000000701")[0].net_revenue_fen == 128050


def test_an_optional_frequent_flyer_column_is_kept_for_roster_checks(ctx, world, db_session):
    number = world.agreement_b.number
    rows = [
        [*EN_HEADER, "ff_number"],
        [*booking(number, "9990000000301"), " ca 000123456 "],
        [*booking(number, "9990000000302"), ""],
        [*booking(number, "9990000000303"), "CA-0001/23"],
    ]
    outcome = run_import("bookings", csv_bytes(rows), "bookings.csv")
    assert (outcome.rows_imported, outcome.rows_rejected) == (2, 1), outcome.report
    segments = _segments(db_session, import_batch_id=outcome.batch_id)
    assert [s.ff_number for s in segments] == ["CA000123456", None]
    assert "frequent-flyer number" in str(outcome.report) or "常旅客" in str(outcome.report)


def test_rows_are_checked_against_what_they_name_chunk_by_chunk(ctx, world, db_session, monkeypatch):
    # Companies, agreements and travellers are loaded for each chunk of rows, by what it names.
    from portal.db import utcnow
    from tests import factories
    from tests.segments.reference import assert_rollup_is_fresh

    monkeypatch.setattr(bookings, "CHUNK", 2)
    a, b = world.company_a, world.company_b
    gone = factories.traveller(db_session, b, name="王五", deleted_at=utcnow())
    db_session.commit()
    code = a.credit_code
    spaced = f"{code[:6]} {code[6:].lower()}"  # normalised before it is looked up
    rows = [
        ZH_HEADER,
        booking(code, "9990000000801", name=world.traveller_a.name),
        booking(code, "9990000000802", name="不在名单"),
        booking(spaced, "9990000000803", name=world.traveller_b.name),  # b's traveller, a's row
        booking(b.credit_code, "9990000000804", name=world.traveller_b.name, day="2026-04-30"),
        booking(b.credit_code, "9990000000805", name=gone.name),
        booking("91110000600037341L", "9990000000806"),
    ]
    outcome = run_import("bookings", csv_bytes(rows[:3]), "first.csv")
    assert outcome.rows_imported == 2
    outcome = run_import("bookings", csv_bytes(rows), "second.csv")  # new rows and rows already there
    assert (outcome.rows_imported, outcome.rows_existing, outcome.rows_rejected) == (3, 2, 1)
    assert "No company has the credit code" in outcome.report[0]["reason"]
    linked = {s.ticket_number: (s.company_id, s.traveller_id) for s in _segments(db_session)}
    assert linked == {
        "9990000000801": (a.id, world.traveller_a.id),
        "9990000000802": (a.id, None),
        "9990000000803": (a.id, None),
        "9990000000804": (b.id, world.traveller_b.id),
        "9990000000805": (b.id, None),
    }
    assert_rollup_is_fresh(db_session)
