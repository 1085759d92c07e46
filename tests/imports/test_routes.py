"""The admin import page (upload, report, CSV, size limit) and the merge page."""

import io
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from portal.companies.models import Company
from portal.imports.models import ImportBatch
from portal.segments.models import Segment
from portal.tasks.models import TaskRun
from tests import factories
from tests.conftest import sign_in
from tests.imports.files import ZH_HEADER, booking, csv_bytes, xlsx_bytes


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _csrf(client, url="/admin/imports") -> str:
    return factories.csrf_from(client.get(url))


def _upload(client, data: bytes, filename: str, kind="bookings", dry_run=False):
    form = {"csrf_token": _csrf(client), "kind": kind, "file": (io.BytesIO(data), filename)}
    if dry_run:
        form["dry_run"] = "y"
    return client.post("/admin/imports", data=form, content_type="multipart/form-data")


def test_upload_imports_and_reports(app, client, world, login, db_session):
    login(world.admin)
    code = world.company_a.credit_code
    rows = [
        ZH_HEADER,
        booking(code, "9990000000501"),
        booking(code, "9990000000502", revenue="=cmd|' /C calc'!A0"),
    ]
    response = _upload(client, csv_bytes(rows, encoding="gb18030"), "bookings.csv")
    assert response.status_code == 302
    run = db_session.scalars(select(TaskRun).order_by(TaskRun.id.desc())).first()
    assert response.headers["Location"].endswith(f"/admin/imports/tasks/{run.id}")
    assert (run.status, run.author_id) == ("done", world.admin.id)  # tests run tasks at once
    response = client.get(response.headers["Location"])  # the run's page, once done: its batch
    batch = db_session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/imports/{batch.id}")
    assert not (Path(app.config["PORTAL_DATA_DIR"]) / "documents" / run.args["stored_name"]).exists()
    assert (batch.rows_imported, batch.rows_rejected, batch.author_id) == (1, 1, world.admin.id)
    page = client.get(f"/admin/imports/{batch.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "is not an amount" in text and "&lt;" not in text.split("<main", 1)[-1][:0]
    report = client.get(f"/admin/imports/{batch.id}/report.csv")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    assert "attachment" in report.headers["Content-Disposition"]
    body = report.get_data().decode("utf-8")
    assert body.startswith("\ufeff")
    assert "'=cmd" in body  # a formula is neutralised
    listing = client.get("/admin/imports").get_data(as_text=True)
    assert "bookings.csv" in listing


def test_xlsx_upload_and_dry_run_write_nothing(client, world, login, db_session):
    login(world.admin)
    segments, batches = _count(db_session, Segment), _count(db_session, ImportBatch)
    response = _upload(client, xlsx_bytes(world.company_a.credit_code), "export.xlsx", dry_run=True)
    assert response.status_code == 302
    response = client.get(response.headers["Location"])
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Dry run, nothing written" in text and "QQQ1" in text
    assert _count(db_session, Segment) == segments
    assert _count(db_session, ImportBatch) == batches


def test_unreadable_file_is_a_form_error(client, world, login, db_session):
    login(world.admin)
    batches = _count(db_session, ImportBatch)
    response = _upload(client, b"just some text\nwithout a header\n", "x.csv")
    assert response.status_code == 400
    assert "No header row" in response.get_data(as_text=True)
    response = client.post("/admin/imports", data={"csrf_token": _csrf(client), "kind": "bookings"})
    assert response.status_code == 400
    assert _count(db_session, ImportBatch) == batches


def test_a_file_above_the_size_limit_is_refused_up_front(app, client, world, login, db_session):
    login(world.admin)
    batches, segments = _count(db_session, ImportBatch), _count(db_session, Segment)
    code = world.company_a.credit_code
    data = csv_bytes([ZH_HEADER] + [booking(code, f"99900001{i:05d}") for i in range(200)])
    token = _csrf(client)
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        response = client.post(
            "/admin/imports",
            data={"csrf_token": token, "kind": "bookings", "file": (io.BytesIO(data), "big.csv")},
            content_type="multipart/form-data",
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert len(data) > 4096
    assert response.status_code == 413
    assert _count(db_session, ImportBatch) == batches
    assert _count(db_session, Segment) == segments


def test_import_pages_are_for_administrators_only(app, client, world, db_session):
    for user, status in ((world.management, 403), (world.manager_a1, 403), (world.booker_a, 404)):
        client = app.test_client()
        sign_in(client, user.email)
        assert client.get("/admin/imports").status_code == status
        assert client.get("/admin/companies/merge").status_code == status
        token = _csrf(client, "/account/password")
        response = client.post(
            "/admin/imports",
            data={"csrf_token": token, "kind": "bookings", "file": (io.BytesIO(b"x"), "x.csv")},
            content_type="multipart/form-data",
        )
        assert response.status_code == status


def test_merge_page_previews_then_merges(client, world, login, db_session):
    login(world.admin)
    factories.segment(db_session, world.company_a, date(2026, 3, 1), 100_00)
    db_session.commit()
    form = {
        "csrf_token": _csrf(client, "/admin/companies/merge"),
        "survivor": world.company_a2.credit_code,
        "absorbed": str(world.company_a.id),
    }
    preview = client.post("/admin/companies/merge", data=form)
    assert preview.status_code == 200
    text = preview.get_data(as_text=True)
    assert 'data-testid="merge-preview"' in text and "Merge now" in text
    assert db_session.get(Company, world.company_a.id).status == "active"
    done = client.post("/admin/companies/merge", data=form | {"confirm": "1"})
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/companies/{world.company_a2.id}")
    db_session.expire_all()
    assert db_session.get(Company, world.company_a.id).status == "closed"
    assert _count(db_session, Segment) == db_session.scalar(
        select(func.count()).select_from(Segment).where(Segment.company_id == world.company_a2.id)
    )


def test_merge_page_refuses_conflicts_and_bad_input_cleanly(client, world, login, db_session):
    login(world.admin)
    factories.traveller(db_session, world.company_a2, ff_number=world.traveller_a.ff_number)
    db_session.commit()
    token = _csrf(client, "/admin/companies/merge")
    form = {"csrf_token": token, "survivor": str(world.company_a2.id), "absorbed": str(world.company_a.id)}
    preview = client.post("/admin/companies/merge", data=form)
    assert preview.status_code == 200 and "frequent-flyer number" in preview.get_data(as_text=True)
    assert "Merge now" not in preview.get_data(as_text=True)
    forced = client.post("/admin/companies/merge", data=form | {"confirm": "1"})
    assert forced.status_code == 400 and "frequent-flyer number" in forced.get_data(as_text=True)
    assert db_session.get(Company, world.company_a.id).status == "active"
    unknown = client.post("/admin/companies/merge", data=form | {"absorbed": "99999999"})
    assert unknown.status_code == 400 and "No company has this id or credit code" in unknown.get_data(
        as_text=True
    )
    same = client.post("/admin/companies/merge", data=form | {"absorbed": str(world.company_a2.id)})
    assert same.status_code == 400 and "cannot absorb itself" in same.get_data(as_text=True)
