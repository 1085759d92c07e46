"""The shared PDF renderer (portal/pdf.py) and the agreement document.

The renderer must fetch nothing it is not allowed to (no network, no file outside its
folders), print data as text, stop a runaway render and leave no partial file behind.
"""

import re
import socket
import subprocess
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal import pdf
from portal.companies.models import Document, DocumentVersion
from tests import factories

PASSWD_MARK = "root:x:0:0"


def template_folder(tmp_path: Path, templates: dict[str, str]) -> Path:
    """A folder "tpl" in tmp_path holding the templates (file name -> source)."""
    folder = tmp_path / "tpl"
    folder.mkdir()
    for name, source in templates.items():
        (folder / name).write_text(source)
    return folder


def _text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()


def _fonts(path: Path) -> list[tuple[str, str]]:
    """(font name, embedded yes/no) per font of the PDF, from pdffonts."""
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    fonts = []
    for line in out.splitlines()[2:]:
        match = re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", line)
        if match:
            fonts.append((line.split()[0], match.group(1)))
    return fonts


@pytest.fixture()
def listener():
    """A TCP port on 127.0.0.1 that records whether anything connected."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    yield sock
    sock.close()


def _connections(sock) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def test_nothing_outside_is_fetched(tmp_path, listener):
    port = listener.getsockname()[1]
    http = f"http://127.0.0.1:{port}"
    page = f"""<html><head>
<link rel="stylesheet" href="local.css">
<link rel="stylesheet" href="{http}/a.css">
<link rel="attachment" href="file:///etc/passwd">
<link rel="attachment" href="sneaky.css">
<style>
  @import url("{http}/b.css");
  @font-face {{ font-family: Remote; src: url("{http}/f.ttf"); }}
  body {{ font-family: "WenQuanYi Micro Hei"; background: url("file:///etc/passwd"); }}
</style></head>
<body>
<p class="local">正文 Body text {{{{ word }}}}</p>
<img src="{http}/x.png"><img src="http://127.0.0.1:9/x.png">
<img src="file:///etc/passwd"><img src="../../../../../../etc/passwd">
<a rel="attachment" href="file:///etc/passwd">passwd</a>
<object data="file:///etc/passwd"></object><embed src="{http}/e.pdf">
<svg width="20" height="20"><image href="{http}/s.png" width="20" height="20"/></svg>
<img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7">
</body></html>"""
    folder = template_folder(tmp_path, {"local.css": "p.local { color: #b3191d; }", "t.html": page})
    (folder / "sneaky.css").symlink_to("/etc/passwd")  # inside the folder, pointing out of it
    out = tmp_path / "out" / "t.pdf"
    result = pdf.render_pdf(folder, "t.html", {"word": "ok"}, out)
    assert _connections(listener) == 0
    refused = set(result.refused)
    assert {f"{http}/x.png", f"{http}/a.css", "file:///etc/passwd", "http://127.0.0.1:9/x.png"} <= refused
    assert any(url.endswith("/sneaky.css") for url in refused)
    assert not any(url.endswith("/local.css") or url.startswith("data:") for url in refused)
    reader = PdfReader(out)
    assert reader.attachments == {}
    assert PASSWD_MARK not in _text(out)
    assert PASSWD_MARK.encode() not in out.read_bytes()
    assert "正文 Body text ok" in _text(out)


def test_data_prints_as_text_never_as_markup(tmp_path):
    page = (
        "<html><body style=\"font-family: 'WenQuanYi Micro Hei'\">"
        "<h1>{{ name }}</h1><p>{{ css }}</p></body></html>"
    )
    folder = template_folder(tmp_path, {"t.html": page})
    name = '星河<img src="file:///etc/passwd">科技'
    css = "</p><style>body { display: none }</style>"
    result = pdf.render_pdf(folder, "t.html", {"name": name, "css": css}, tmp_path / "t.pdf")
    text = _text(tmp_path / "t.pdf")
    assert name in text and "<style>body" in text
    assert result.refused == []  # the <img> was never an element, so never fetched


def test_templates_run_in_a_sandbox(tmp_path):
    folder = template_folder(
        tmp_path,
        {
            "escape.html": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
            "mutate.html": "{{ items.append(4) }}{{ items }}",
            "typo.html": "{{ no_such_variable }}",
        },
    )
    for name in ("escape.html", "mutate.html", "typo.html"):
        with pytest.raises(pdf.RenderError):
            pdf.render_pdf(folder, name, {"items": [1, 2, 3]}, tmp_path / f"{name}.pdf")
        assert not (tmp_path / f"{name}.pdf").exists()
    with pytest.raises(pdf.RenderError):
        pdf.render_pdf(folder, "../../etc/passwd", {}, tmp_path / "x.pdf")


def test_context_must_be_plain_data(tmp_path):
    with pytest.raises(TypeError, match="plain data"):
        pdf.render_pdf(tmp_path, "t.html", {"agreement": object()}, tmp_path / "x.pdf")
    with pytest.raises(TypeError):
        pdf.render_pdf(
            tmp_path, "t.html", {"rows": [{"when": date.today(), "bad": {1, 2}}]}, tmp_path / "x.pdf"
        )


def test_a_runaway_render_is_killed_and_leaves_no_file(tmp_path):
    table = (
        "<table>{% for i in range(n) %}"
        "<tr><td>第 {{ i }} 行</td><td>{{ i * 7 }}</td></tr>"
        "{% endfor %}</table>"
    )
    folder = template_folder(tmp_path, {"huge.html": table})
    out_dir = tmp_path / "out"
    started = time.monotonic()
    with pytest.raises(pdf.RenderTimeout, match="longer than 1 s"):
        pdf.render_pdf(folder, "huge.html", {"n": 90_000}, out_dir / "huge.pdf", timeout=1)
    assert time.monotonic() - started < 10
    assert list(out_dir.iterdir()) == []  # neither the PDF nor its temporary file


def test_memory_is_bounded(tmp_path):
    folder = template_folder(tmp_path, {"t.html": "<p>x</p>"})
    with pytest.raises(pdf.RenderError):
        pdf.render_pdf(folder, "t.html", {}, tmp_path / "t.pdf", memory_bytes=64 * 1024 * 1024)
    assert not (tmp_path / "t.pdf").exists()


def test_filters():
    assert pdf.money(1234567) == "12,345.67"
    assert pdf.whole_money(123456789) == "1,234,568"
    assert pdf.percent(Decimal("12.50")) == "12.5" and pdf.percent(Decimal("20.00")) == "20"
    assert pdf.cn_date(date(2026, 1, 31)) == "2026年1月31日"
    assert pdf.en_date(date(2026, 1, 31)) == "31 January 2026"


# --- the agreement document, through the routes (SQLite and PostgreSQL) --------------------


def _render(client, agreement_id) -> object:
    page = client.get(f"/agreements/{agreement_id}")
    return client.post(f"/agreements/{agreement_id}/document", data={"csrf_token": factories.csrf_from(page)})


def test_agreement_pdf_is_bilingual_with_embedded_cjk_fonts(app, client, world, login, db_session, tmp_path):
    agreement = world.agreement_a
    agreement.internal_notes = "INTERNAL-ONLY note"
    agreement.discounts[0].percent = Decimal("12.5")
    db_session.flush()
    login(world.manager_a1)
    response = _render(client, agreement.id)
    assert response.status_code == 302
    versions = db_session.scalars(
        select(DocumentVersion)
        .join(Document)
        .where(Document.agreement_id == agreement.id, Document.kind == "agreement")
    ).all()
    assert [v.version for v in versions] == [1]
    version = versions[0]
    assert version.content_type == "application/pdf" and version.size_bytes > 10_000
    db_session.refresh(agreement)
    assert agreement.template_version == "agreement-v1"
    stored = Path(app.config["PORTAL_DATA_DIR"]) / "documents" / version.stored_name
    assert stored.is_file() and "static" not in stored.parts

    download = client.get(f"/agreements/{agreement.id}/files/{version.id}")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"] == f"attachment; filename={agreement.number}-v1.pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.data.startswith(b"%PDF-")
    path = tmp_path / "agreement.pdf"
    path.write_bytes(download.data)
    text = _text(path)
    for expected in (
        world.company_a.name_zh,
        world.company_a.credit_code,
        agreement.number,
        "企业客户协议",
        "Corporate Agreement",
        "国内航线",
        "Domestic routes",
        "经济舱",
        "12.5%",
        "第二部分",
        "Standard clauses",
    ):
        assert expected in text, expected
    assert "INTERNAL-ONLY" not in text
    fonts = _fonts(path)
    assert fonts and all(embedded == "yes" for _, embedded in fonts)
    assert any("WenQuanYi" in name for name, _ in fonts)
    assert len(PdfReader(path).pages) >= 3

    # A second render is version 2 of the same document.
    assert _render(client, agreement.id).status_code == 302
    assert (
        db_session.scalar(
            select(DocumentVersion.version)
            .where(DocumentVersion.document_id == version.document_id)
            .order_by(DocumentVersion.version.desc())
        )
        == 2
    )


def test_company_name_with_markup_prints_as_text(client, world, login, db_session, tmp_path):
    world.company_a.name_zh = '星河<img src="file:///etc/passwd">科技'
    db_session.flush()
    login(world.head_a)
    assert _render(client, world.agreement_a.id).status_code == 302
    version = db_session.scalars(select(DocumentVersion).order_by(DocumentVersion.id.desc())).first()
    download = client.get(f"/agreements/{world.agreement_a.id}/files/{version.id}")
    path = tmp_path / "a.pdf"
    path.write_bytes(download.data)
    text = _text(path)
    assert '星河<img src="file:///etc/passwd">科技' in text
    assert PASSWD_MARK not in text


def test_a_failed_render_records_nothing(app, client, world, login, db_session, monkeypatch):
    def fail(*args, **kwargs):
        raise pdf.RenderTimeout("too slow")

    monkeypatch.setattr(pdf, "render_pdf", fail)
    login(world.manager_a1)
    response = _render(client, world.agreement_a.id)
    assert response.status_code == 302
    assert db_session.scalar(select(DocumentVersion)) is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "could not be produced" in page
