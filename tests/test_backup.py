"""Backup and restore (DESIGN §6, §8): a committed world is backed up and restored into a fresh
database; every table's row count and a document's bytes come back; a restore into a database
that is not empty, at another migration revision or from a damaged backup is refused; a backup
taken while others write is consistent. On SQLite and PostgreSQL."""

import io
import json
import shutil
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.backup.service import BackupRefused, create_backup, restore_backup, table_counts
from portal.companies.documents import store_upload
from portal.companies.models import DocumentVersion
from portal.db import utcnow
from portal.extensions import db
from portal.jobs.models import JobRun
from tests import factories
from tests.conftest import drop_pg_database, make_app, make_database_url

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(request, fresh_database, tmp_path_factory):
    """Call it for a fresh database of the test's kind, empty (or migrated to head, when
    `migrated`); all are dropped afterwards."""
    made = []

    def make(migrated: bool = False) -> str:
        if migrated:
            url = fresh_database(request.param)
        else:
            url = make_database_url(request.param, tmp_path_factory)
        made.append(url)
        return url

    yield make
    for url in made:
        if url.startswith("postgresql"):
            drop_pg_database(url)


@pytest.fixture()
def source(new_database, tmp_path):
    """An app on a migrated database holding a committed small world and a stored document."""
    app = make_app(new_database(migrated=True), tmp_path / "source-data")
    with app.app_context():
        world = factories.small_world(db.session)
        stored = store_upload(io.BytesIO(PDF), "licence.pdf")
        db.session.add(
            DocumentVersion(
                document_id=world.document_a.id,
                version=1,
                filename="licence.pdf",
                stored_name=stored.stored_name,
                content_type=stored.content_type,
                size_bytes=stored.size_bytes,
                sha256=stored.sha256,
                uploaded_by_id=world.admin.id,
            )
        )
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def empty_app(url: str, data_dir: Path):
    """An app on a database nobody migrated (what a restore starts from)."""
    return create_app("testing", SQLALCHEMY_DATABASE_URI=url, PORTAL_DATA_DIR=str(data_dir))


def counts_of(app) -> dict[str, int]:
    with app.app_context(), db.engine.connect() as conn:
        return table_counts(conn)


def test_a_backup_restores_every_row_and_the_documents_bytes(source, new_database, tmp_path):
    out = tmp_path / "backup"
    made = source.test_cli_runner().invoke(args=["backup", "create", "--out", str(out)])
    assert made.exit_code == 0, made.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == counts_of(source)
    assert manifest["counts"]["company"] == 3 and manifest["counts"]["document_version"] == 1
    assert manifest["revision"] and len(manifest["files"]) == 1
    # Never the keys: neither the secret key nor the field key is anywhere in the backup.
    everything = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    for key in ("SECRET_KEY", "PORTAL_FIELD_KEY"):
        assert source.config[key].encode() not in everything

    target = empty_app(new_database(), tmp_path / "target-data")
    restored = target.test_cli_runner().invoke(args=["backup", "restore", str(out)])
    assert restored.exit_code == 0, restored.output
    assert "row counts match" in restored.output

    assert counts_of(target) == counts_of(source)
    with target.app_context():
        version = db.session.execute(sa.select(DocumentVersion)).scalar_one()
        path = Path(target.config["PORTAL_DATA_DIR"]) / "documents" / version.stored_name
        assert path.read_bytes() == PDF
        # The restored database is at the code's head: the app's own upgrade has nothing to do.
        health = target.test_client().get("/ready")
        assert health.status_code == 200, health.get_json()


def test_a_restore_is_refused_into_a_used_database_at_another_revision_or_when_damaged(
    source, new_database, tmp_path
):
    out = tmp_path / "backup"
    with source.app_context():
        create_backup(out)

    # Into a database that is not empty (the source itself): refused, nothing changed.
    before = counts_of(source)
    result = source.test_cli_runner().invoke(args=["backup", "restore", str(out)])
    assert result.exit_code != 0 and "not empty" in result.output
    assert counts_of(source) == before

    target = empty_app(new_database(), tmp_path / "target-data")

    # Taken at another migration revision: refused before anything is written.
    other = tmp_path / "other-revision"
    shutil.copytree(out, other)
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["revision"] = "0000aaaa0000"
    (other / "manifest.json").write_text(json.dumps(manifest))
    with target.app_context():
        with pytest.raises(BackupRefused, match="migration 0000aaaa0000"):
            restore_backup(other)

    # A data file changed after the backup: refused.
    damaged = tmp_path / "damaged"
    shutil.copytree(out, damaged)
    stored = next((damaged / "data").rglob("*.pdf"))
    stored.write_bytes(stored.read_bytes()[:-1] + b"X")
    with target.app_context():
        with pytest.raises(BackupRefused, match="damaged"):
            restore_backup(damaged)

    # None of it touched the target: still empty, no files; the real backup then restores.
    assert counts_of(target) == {}
    assert not (tmp_path / "target-data").exists()

    # A file of the backup already in the data folder with other content: refused, kept.
    rel = next(iter(json.loads((out / "manifest.json").read_text())["files"]))
    clash = tmp_path / "target-data" / rel
    clash.parent.mkdir(parents=True)
    clash.write_bytes(b"someone else's file")
    with target.app_context():
        with pytest.raises(BackupRefused, match="other content"):
            restore_backup(out)
    assert clash.read_bytes() == b"someone else's file" and counts_of(target) == {}
    clash.unlink()

    with target.app_context():
        restore_backup(out)
    assert counts_of(target) == before


def test_a_backup_taken_while_others_write_is_consistent(source, new_database, tmp_path):
    """A writer commits two job runs per transaction throughout the backup: the backup's counts
    are those of its dump (the restore compares them), and no transaction is cut in half."""
    stop = threading.Event()
    errors = []

    def write():
        with source.app_context():
            try:
                while not stop.is_set():
                    with db.engine.begin() as conn:
                        for _ in range(2):
                            conn.execute(
                                sa.insert(JobRun).values(name="writer", outcome="ok", started_at=utcnow())
                            )
            except Exception as e:  # reported to the test below
                errors.append(e)

    def written() -> int:
        return counts_of(source)["job_run"]

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while written() < 20 and not errors:
            threading.Event().wait(0.01)
        out = tmp_path / "backup"
        with source.app_context():
            manifest = create_backup(out)
        at_backup = manifest["counts"]["job_run"]
        while written() < at_backup + 20 and not errors:
            threading.Event().wait(0.01)
    finally:
        stop.set()
        writer.join()
    assert not errors, errors
    assert at_backup >= 20 and at_backup % 2 == 0
    assert written() > at_backup

    target = empty_app(new_database(), tmp_path / "target-data")
    with target.app_context():
        restore_backup(out)
    restored = counts_of(target)
    assert restored == manifest["counts"]
    assert restored["job_run"] == at_backup
