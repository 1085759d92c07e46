"""The dossier's documents on SQLite and PostgreSQL: uploads checked by content and size, names
sanitised, versions newest first, downloads only through the authorised route, soft delete,
access (403 for other managers, 404 for bookers), and nothing left behind by a failed upload."""

import io
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from portal import files
from portal.companies.models import Document, DocumentVersion
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 64
MZ = b"MZ\x90\x00" + b"\x00" * 64
HTML = b"<html><script>alert(1)</script></html>"


def ooxml(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{part}document.xml", "<x/>")
    return buffer.getvalue()


def html(response) -> str:
    return response.get_data(as_text=True)


def new_url(company) -> str:
    return f"/companies/{company.id}/documents/new"


def upload(client, url: str, content: bytes, filename: str, **data):
    token = factories.csrf_from(client.get(url))
    return client.post(
        url,
        data={"csrf_token": token, "file": (io.BytesIO(content), filename), **data},
        content_type="multipart/form-data",
    )


def uploaded_version(client, db_session, company, content: bytes, filename: str, title: str):
    """Upload a new document of kind "other" to the company: it is accepted (back to the
    documents tab); the newest version stored."""
    response = upload(client, new_url(company), content, filename, kind="other", title=title)
    assert response.status_code == 302, html(response)[:2000]
    assert response.location.endswith(f"/companies/{company.id}/documents")
    return db_session.scalars(select(DocumentVersion).order_by(DocumentVersion.id.desc())).first()


def stored_files(app) -> set[str]:
    folder = Path(app.config["PORTAL_DATA_DIR"]) / "documents"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def counts(db_session) -> tuple[int, int]:
    return (
        db_session.scalar(select(func.count()).select_from(Document)),
        db_session.scalar(select(func.count()).select_from(DocumentVersion)),
    )


def test_upload_lists_and_downloads_a_document(app, client, world, login, db_session):
    login(world.manager_a1)
    response = upload(client, new_url(world.company_a), PDF, "合同扫描件.pdf", kind="minutes", title="")
    assert response.status_code == 302, html(response)[:2000]
    assert response.location.endswith(f"/companies/{world.company_a.id}/documents")
    document = db_session.scalars(
        select(Document).where(Document.company_id == world.company_a.id, Document.kind == "minutes")
    ).one()
    assert document.title == "合同扫描件.pdf"
    version = document.versions[0]
    assert (version.version, version.filename) == (1, "合同扫描件.pdf")
    assert version.content_type == "application/pdf"
    assert version.size_bytes == len(PDF)
    page = html(client.get(f"/companies/{world.company_a.id}/documents"))
    assert 'id="documents"' in page and "合同扫描件.pdf" in page
    url = f"/companies/{world.company_a.id}/documents/{document.id}/versions/{version.id}"
    assert url in page
    got = client.get(url)
    assert got.status_code == 200 and got.data == PDF
    assert got.mimetype == "application/pdf"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    disposition = got.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('合同扫描件.pdf')}" in disposition
    assert 'filename="document.pdf"' in disposition


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (PNG, "photo.png", "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 32, "scan.jpeg", "image/jpeg"),
        (b"GIF89a" + b"\x00" * 32, "a.gif", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 32, "a.webp", files.WEBP),
        (ooxml("word/"), "纪要.docx", files.DOCX),
        (ooxml("xl/"), "data.xlsx", files.XLSX),
        (ooxml("ppt/"), "deck.pptx", files.PPTX),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old.xls", files.XLS),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old.doc", files.DOC),
    ],
)
def test_allowed_types_by_content(client, world, login, db_session, content, name, content_type):
    login(world.manager_a1)
    version = uploaded_version(client, db_session, world.company_a, content, name, title="文件")
    assert version.content_type == content_type


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (ELF, "report.pdf"),
        (MZ, "setup.pdf"),
        (HTML, "picture.png"),
        (b"PK\x03\x04" + b"\x00" * 40, "broken.docx"),  # a ZIP that is no Office document
        (ooxml("evil/"), "other.xlsx"),
        (b"", "empty.pdf"),
    ],
)
def test_disguised_or_unknown_files_are_refused(app, client, world, login, db_session, content, name):
    login(world.manager_a1)
    before_files, before_rows = stored_files(app), counts(db_session)
    response = upload(client, new_url(world.company_a), content, name, kind="other", title="x")
    assert response.status_code == 200
    assert "invalid-feedback" in html(response)
    assert stored_files(app) == before_files
    assert counts(db_session) == before_rows


def test_oversized_upload_is_refused_with_a_form_error(app, client, world, login, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_DOCUMENT_MAX_MB", 1)
    login(world.manager_a1)
    before_files, before_rows = stored_files(app), counts(db_session)
    response = upload(client, new_url(world.company_a), PDF + b"0" * (1024 * 1024), "big.pdf", kind="other")
    assert response.status_code == 200
    assert "larger than 1 MB" in html(response)
    assert stored_files(app) == before_files
    assert counts(db_session) == before_rows


def test_request_over_max_content_length_is_413(app, client, world, login, db_session, monkeypatch):
    login(world.manager_a1)
    token = factories.csrf_from(client.get(new_url(world.company_a)))
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 50_000)
    before_files, before_rows = stored_files(app), counts(db_session)
    response = client.post(
        new_url(world.company_a),
        data={"csrf_token": token, "kind": "other", "file": (io.BytesIO(PDF + b"0" * 100_000), "big.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert stored_files(app) == before_files
    assert counts(db_session) == before_rows


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\x.pdf", "x.pdf"),
        ("a\x00b\x1fc.pdf", "abc.pdf"),
        ("年度\u202e报告.pdf", "年度报告.pdf"),
        ("...", "document.pdf"),
        ("无扩展名", "无扩展名.pdf"),
        ("长" * 300 + ".pdf", "长" * 116 + ".pdf"),
    ],
)
def test_file_names_are_sanitised(app, client, world, login, db_session, name, expected):
    login(world.manager_a1)
    version = uploaded_version(client, db_session, world.company_a, PDF, name, title="t")
    assert version.filename == expected
    with app.app_context():
        assert files.stored_path(version.stored_name).is_file()
    assert "/" not in version.stored_name and version.stored_name.endswith(".pdf")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("C:\\Users\\张三\\年度报告.pdf", "年度报告.pdf"),
        ("..\\..\\x.pdf", "x.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ('a"<b>|c?.pdf', "abc.pdf"),
        ("\x00\x01", "file"),
        (None, "file"),
    ],
)
def test_display_name(name, expected):
    assert files.display_name(name) == expected


def test_new_versions_are_listed_newest_first(client, world, login, db_session):
    login(world.manager_a1)
    url = f"/companies/{world.company_a.id}/documents/{world.document_a.id}/versions/new"
    for name in ("v1.pdf", "v2.png", "v3.pdf"):
        content = PNG if name.endswith(".png") else PDF
        assert upload(client, url, content, name).status_code == 302
    db_session.expire_all()
    versions = db_session.scalars(
        select(DocumentVersion).where(DocumentVersion.document_id == world.document_a.id)
    ).all()
    assert sorted(v.version for v in versions) == [1, 2, 3]
    page = html(client.get(f"/companies/{world.company_a.id}/documents"))
    assert page.index("v3.pdf") < page.index("v2.png") < page.index("v1.pdf")
    # A refused version leaves the document as it was.
    assert upload(client, url, ELF, "v4.pdf").status_code == 200
    kept = select(func.count()).where(DocumentVersion.document_id == world.document_a.id)
    assert db_session.scalar(kept) == 3


def test_deleted_document_disappears_and_its_download_is_404(client, world, login, db_session):
    login(world.manager_a1)
    url = f"/companies/{world.company_a.id}/documents/{world.document_a.id}/versions/new"
    assert upload(client, url, PDF, "licence.pdf").status_code == 302
    version = db_session.scalars(
        select(DocumentVersion).where(DocumentVersion.document_id == world.document_a.id)
    ).one()
    download = f"/companies/{world.company_a.id}/documents/{world.document_a.id}/versions/{version.id}"
    assert client.get(download).status_code == 200
    delete = f"/companies/{world.company_a.id}/documents/{world.document_a.id}/delete"
    token = factories.csrf_from(client.get(delete))
    assert client.post(delete, data={"csrf_token": token}).status_code == 302
    db_session.refresh(world.document_a)
    assert world.document_a.deleted_at is not None
    assert client.get(download).status_code == 404
    assert client.get(url).status_code == 404
    assert "licence.pdf" not in html(client.get(f"/companies/{world.company_a.id}/documents"))


def test_other_manager_and_management_may_not_upload(client, world, login, db_session):
    login(world.manager_b1)
    url = new_url(world.company_a)
    assert client.get(url).status_code == 403
    token = factories.csrf_from(client.get("/account/password"))
    response = client.post(
        url,
        data={"csrf_token": token, "kind": "other", "file": (io.BytesIO(PDF), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert counts(db_session) == (1, 0)


def test_booker_probing_documents_gets_404(app, client, world, login, db_session):
    login(world.manager_a1)
    url = f"/companies/{world.company_a.id}/documents/{world.document_a.id}/versions/new"
    assert upload(client, url, PDF, "x.pdf").status_code == 302
    version = db_session.scalars(select(DocumentVersion)).one()
    client.post("/logout", data={"csrf_token": factories.csrf_from(client.get("/account/password"))})
    login(world.booker_b)
    base = f"/companies/{world.company_a.id}/documents"
    for probe in (
        f"{base}/new",
        f"{base}/{world.document_a.id}/versions/new",
        f"{base}/{world.document_a.id}/versions/{version.id}",
        f"{base}/{world.document_a.id}/delete",
    ):
        assert client.get(probe).status_code == 404, probe


def test_smuggled_ids_are_404(client, world, login, db_session):
    other = factories.document(db_session, world.company_a2, title="别家")
    login(world.manager_a1)
    assert client.get(f"/companies/{world.company_a.id}/documents/{other.id}/versions/new").status_code == 404
    assert client.get(f"/companies/{world.company_a.id}/documents/{other.id}/versions/1").status_code == 404


def test_bad_kind_is_a_form_error(app, client, world, login, db_session):
    login(world.manager_a1)
    before_files = stored_files(app)
    response = upload(client, new_url(world.company_a), PDF, "x.pdf", kind="weapon")
    assert response.status_code == 200
    assert stored_files(app) == before_files
    assert counts(db_session) == (1, 0)
    missing = upload(client, new_url(world.company_a), PDF, "x.pdf", kind="other")
    assert missing.status_code == 302
    token = factories.csrf_from(client.get(new_url(world.company_a)))
    no_file = client.post(new_url(world.company_a), data={"csrf_token": token, "kind": "other"})
    assert no_file.status_code == 200 and "Choose a file" in html(no_file)
