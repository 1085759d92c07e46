"""Hostile upload files, built in memory: a zip bomb workbook, XML entities, a CSV field over
the csv module's size limit. Each is refused (or its row rejected) with a clear message, through
the import service and through the admin upload page, and nothing of it is written."""

import io
import zipfile

import openpyxl
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from portal.companies.models import Company
from portal.imports.models import ImportBatch
from portal.imports.reading import FileRefused
from portal.imports.tasks import run_import
from portal.segments.models import Segment
from tests import factories
from tests.imports.files import COMPANY_HEADER, ZH_HEADER, booking, csv_bytes

SHEET = "xl/worksheets/sheet1.xml"
HUGE_FIELD = "x" * 200_000  # over the csv module's default field size limit (131,072)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _workbook_with_sheet(write_sheet) -> bytes:
    """A real workbook (made by openpyxl) whose first sheet part is written by `write_sheet(f)`."""
    wb = Workbook()
    wb.active.append(ZH_HEADER)
    plain = io.BytesIO()
    wb.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == SHEET:
                with dst.open(SHEET, "w") as f:
                    write_sheet(f)
            else:
                dst.writestr(info, src.read(info))
    return out.getvalue()


def zip_bomb(megabytes: int = 64) -> bytes:
    """A workbook of some 65 KB whose sheet part unpacks to `megabytes` MB of well-formed XML."""

    def write(f):
        f.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        blank = b" " * (1 << 20)
        for _ in range(megabytes):
            f.write(blank)
        f.write(b"<sheetData/></worksheet>")

    return _workbook_with_sheet(write)


def entity_workbook() -> bytes:
    """A workbook whose sheet declares an XML entity and uses it in a header cell."""
    cells = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>' for i, h in enumerate(ZH_HEADER)
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<!DOCTYPE worksheet [<!ENTITY e "ENTITY-EXPANDED">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        f'<row r="1">{cells}</row><row r="2"><c r="A2" t="inlineStr"><is><t>&e;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    return _workbook_with_sheet(lambda f: f.write(xml.encode()))


def _upload(client, data: bytes, filename: str, kind="bookings"):
    token = factories.csrf_from(client.get("/admin/imports"))
    form = {"csrf_token": token, "kind": kind, "file": (io.BytesIO(data), filename)}
    return client.post("/admin/imports", data=form, content_type="multipart/form-data")


# --- XLSX ---------------------------------------------------------------------------------------


def test_openpyxl_parses_xml_with_defusedxml():
    assert openpyxl.DEFUSEDXML is True


def test_zip_bomb_is_refused_by_its_ratio_before_it_is_unpacked(ctx, world, db_session, monkeypatch):
    data = zip_bomb()
    assert len(data) < 200_000
    opened = []
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **kw: opened.append(a))
    batches = _count(db_session, ImportBatch)
    with pytest.raises(FileRefused) as refused:
        run_import("bookings", data, "bomb.xlsx")
    assert "xl/worksheets/sheet1.xml unpacks to" in str(refused.value)
    assert "zip bomb" in str(refused.value)
    assert opened == []  # refused before openpyxl saw it
    assert _count(db_session, ImportBatch) == batches and _count(db_session, Segment) == 0


def test_workbook_above_the_unpacked_size_limit_is_refused(app, ctx, world, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_XLSX_MAX_RATIO", 100_000)  # judge the size alone
    monkeypatch.setitem(app.config, "IMPORT_XLSX_MAX_UNPACKED_MB", 32)
    with pytest.raises(FileRefused) as refused:
        run_import("companies", zip_bomb(), "bomb.xlsx", dry_run=True)
    assert "it unpacks to 64 MB, above the limit of 32 MB" in str(refused.value)


def test_xml_entities_in_a_workbook_are_refused(ctx, world, db_session):
    with pytest.raises(FileRefused) as refused:
        run_import("bookings", entity_workbook(), "entities.xlsx")
    assert "not a readable XLSX workbook" in str(refused.value)
    assert _count(db_session, Segment) == 0


def test_upload_of_a_zip_bomb_is_a_form_error_and_writes_nothing(client, world, login, db_session):
    login(world.admin)
    batches = _count(db_session, ImportBatch)
    response = _upload(client, zip_bomb(), "bomb.xlsx")
    assert response.status_code == 400
    assert "as a zip bomb does" in response.get_data(as_text=True)
    response = _upload(client, entity_workbook(), "entities.xlsx", kind="companies")
    assert response.status_code == 400
    assert "not a readable XLSX workbook" in response.get_data(as_text=True)
    assert _count(db_session, ImportBatch) == batches and _count(db_session, Segment) == 0


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_field_over_the_size_limit_is_a_row_error(ctx, world, db_session):
    code = world.company_a.credit_code
    rows = [
        ZH_HEADER,
        booking(code, "9990000000801"),
        booking(code, "9990000000802", name=HUGE_FIELD),
        booking(code, "9990000000803"),
    ]
    outcome = run_import("bookings", csv_bytes(rows), "bookings.csv")
    assert (outcome.rows_total, outcome.rows_imported, outcome.rows_rejected) == (3, 2, 1)
    [problem] = outcome.report
    assert problem["line"] == 3 and "field larger than field limit" in problem["reason"]
    tickets = db_session.scalars(select(Segment.ticket_number).order_by(Segment.ticket_number)).all()
    assert tickets == ["9990000000801", "9990000000803"]


def test_csv_field_over_the_limit_above_the_header_is_no_header(ctx, world, db_session):
    data = csv_bytes(
        [["title", HUGE_FIELD], ZH_HEADER, booking(world.company_a.credit_code, "9990000000804")]
    )
    outcome = run_import("bookings", data, "bookings.csv", dry_run=True)
    assert (outcome.rows_total, outcome.rows_rejected) == (1, 0)


def test_upload_of_a_csv_with_a_huge_field_reports_the_row(client, world, login, db_session):
    login(world.admin)
    companies = _count(db_session, Company)
    data = csv_bytes(
        [COMPANY_HEADER, ["巨型字段有限公司", HUGE_FIELD, "", "科技", "800", "北京", "", "", ""]]
    )
    response = _upload(client, data, "companies.csv", kind="companies")
    assert response.status_code == 302
    batch = db_session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    assert (batch.rows_total, batch.rows_imported, batch.rows_rejected) == (1, 0, 1)
    page = client.get(f"/admin/imports/{batch.id}").get_data(as_text=True)
    assert "The line cannot be read as CSV (field larger than field limit" in page
    assert _count(db_session, Company) == companies
