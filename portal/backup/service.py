"""A consistent backup and its restore.

A backup is a folder: the database (SQLite through the online backup API, PostgreSQL as a
`pg_dump -Fc` of one exported snapshot), a copy of PORTAL_DATA_DIR under `data/`, and
`manifest.json` (written last): the migration revision, every table's row count read in the
same snapshot as the dump, and a SHA-256 of every file. Keys (SECRET_KEY, PORTAL_FIELD_KEY) are
never written: keep them apart, the restored documents need the same PORTAL_FIELD_KEY.

A restore checks everything before it writes anything: the files against their checksums, the
backup's revision against the code's migration head, the target database empty and the data
folder without conflicting files. Then it loads the database, copies the files and compares
every table's row count with the manifest.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy.engine import URL, Connection

from portal.errors import DomainError
from portal.extensions import db, migrate

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
DATA = "data"
# Work files in the data folder that belong to no record: temporary files (".upload-...part",
# ".ready-...") and the scratch folder.
SKIPPED_FOLDERS = {"tmp"}


class BackupRefused(DomainError):
    """A backup or restore that must not go ahead; nothing was changed."""


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def migration_head() -> str:
    """The revision the code's migrations end at."""
    return ScriptDirectory.from_config(migrate.get_config()).get_current_head()


def table_counts(conn: Connection) -> dict[str, int]:
    """Every table's row count, read on `conn` (inside its snapshot)."""
    counts = {}
    for name in sorted(sa.inspect(conn).get_table_names()):
        counts[name] = conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
    return counts


def revision_of(conn: Connection) -> str | None:
    """The migration revision the database is at (None before the first migration)."""
    if "alembic_version" not in sa.inspect(conn).get_table_names():
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _kind(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BackupRefused("An in-memory SQLite database cannot be backed up or restored.")
        return "sqlite"
    if url.get_backend_name() == "postgresql":
        return "postgresql"
    raise BackupRefused(f"Backups support SQLite and PostgreSQL, not {url.get_backend_name()}.")


def _pg_command(program: str, url: URL) -> tuple[list[str], dict[str, str]]:
    """A pg_dump/pg_restore command line for the database at `url`; the password goes through
    the environment, never the command line (which `ps` shows)."""
    args = [program, "--no-password"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupRefused(f"{args[0]} failed: {done.stderr.strip()[-2000:]}")


def _data_files(folder: Path) -> list[Path]:
    """The data folder's files that records refer to, relative to it, sorted."""
    if not folder.is_dir():
        return []
    # The development keys live in instance/; never copy them, wherever the data folder points.
    keys = {(Path(current_app.instance_path) / name).resolve() for name in ("secret_key", "field_key")}
    found = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if rel.parts[0] in SKIPPED_FOLDERS or any(p.startswith(".") for p in rel.parts):
            continue
        if path.is_file() and path.resolve() not in keys:
            found.append(rel)
    return sorted(found)


def _dump_sqlite(url: URL, out: Path) -> tuple[str | None, dict[str, int]]:
    """Copy the live database with SQLite's online backup API (one consistent read of every
    page; writers in WAL mode go on), then read revision and counts from the copy."""
    target = out / SQLITE_FILE
    source = sqlite3.connect(url.database, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    engine = sa.create_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as conn:
            return revision_of(conn), table_counts(conn)
    finally:
        engine.dispose()


def _dump_postgresql(url: URL, out: Path) -> tuple[str | None, dict[str, int]]:
    """pg_dump of a snapshot exported from a repeatable-read transaction, in which the counts
    are read too: dump and counts describe the same moment however many requests write."""
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        with conn.begin():
            snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            revision, counts = revision_of(conn), table_counts(conn)
            args, env = _pg_command("pg_dump", url)
            args += ["--format=custom", f"--snapshot={snapshot}", "--file", str(out / PG_FILE)]
            _run([*args, "--dbname", str(url.database)], env)
    return revision, counts


def create_backup(out: Path) -> dict:
    """Write a backup of the app's database and data folder into the new folder `out`; returns
    the manifest."""
    url = db.engine.url
    kind = _kind(url)
    if out.exists() and any(out.iterdir()):
        raise BackupRefused(f"{out} is not empty; back up into a new folder.")
    out.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        revision, counts = _dump_sqlite(url, out)
        database_file = SQLITE_FILE
    else:
        revision, counts = _dump_postgresql(url, out)
        database_file = PG_FILE
    # Files after the database: a document committed later adds an unreferenced file at most.
    data_dir = Path(current_app.config["PORTAL_DATA_DIR"])
    files = {}
    for rel in _data_files(data_dir):
        target = out / DATA / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(data_dir / rel, target)
        files[rel.as_posix()] = {"sha256": file_sha256(target), "size": target.stat().st_size}
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": kind,
        "database_file": database_file,
        "database_sha256": file_sha256(out / database_file),
        "revision": revision,
        "counts": counts,
        "files": files,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    return manifest


def read_manifest(folder: Path) -> dict:
    """The backup's manifest after checking the database file and every data file against it."""
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupRefused(f"{folder} has no {MANIFEST}: not a backup, or an unfinished one.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise BackupRefused(f"{path} cannot be read: {e}") from None
    if manifest.get("format") != FORMAT:
        raise BackupRefused(f"Unknown backup format {manifest.get('format')!r}.")
    checks = {manifest["database_file"]: manifest["database_sha256"]}
    checks |= {f"{DATA}/{rel}": entry["sha256"] for rel, entry in manifest["files"].items()}
    for rel, expected in checks.items():
        target = folder / rel
        if ".." in Path(rel).parts or not target.is_file() or file_sha256(target) != expected:
            raise BackupRefused(f"The backup is damaged: {rel} is missing or does not match its checksum.")
    return manifest


def restore_backup(folder: Path) -> dict:
    """Restore the backup in `folder` into the app's empty database and its data folder;
    returns the manifest. Refuses (changing nothing) a damaged backup, another database kind,
    another migration revision, a database that is not empty, a file already there with
    other content."""
    manifest = read_manifest(folder)
    url = db.engine.url
    kind = _kind(url)
    if manifest["database"] != kind:
        raise BackupRefused(f"This is a {manifest['database']} backup; the database is {kind}.")
    head = migration_head()
    if manifest["revision"] != head:
        raise BackupRefused(
            f"The backup is at migration {manifest['revision']}, this code at {head}: restore it"
            " with the code it was taken with, then upgrade."
        )
    with db.engine.connect() as conn:
        if sa.inspect(conn).get_table_names():
            raise BackupRefused(
                "The database is not empty: restore into a new, empty database"
                " (the backup brings its schema)."
            )
    data_dir = Path(current_app.config["PORTAL_DATA_DIR"])
    for rel, entry in manifest["files"].items():
        existing = data_dir / rel
        if existing.exists() and file_sha256(existing) != entry["sha256"]:
            raise BackupRefused(f"{existing} exists with other content; restore into an empty data folder.")

    db.session.remove()
    db.engine.dispose()
    if kind == "sqlite":
        _load_sqlite(folder / SQLITE_FILE, Path(url.database))
    else:
        args, env = _pg_command("pg_restore", url)
        args += ["--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges"]
        _run([*args, "--dbname", str(url.database), str(folder / PG_FILE)], env)
    for rel in manifest["files"]:
        _copy_atomically(folder / DATA / rel, data_dir / rel)

    with db.engine.connect() as conn:
        counts = table_counts(conn)
    if counts != manifest["counts"]:
        differ = sorted(
            k for k in set(counts) | set(manifest["counts"]) if counts.get(k) != manifest["counts"].get(k)
        )
        raise BackupRefused(f"The restored row counts differ from the backup's in: {', '.join(differ)}.")
    return manifest


def _load_sqlite(source: Path, target: Path) -> None:
    """Copy the backup into the (empty) target database through the backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _copy_atomically(source: Path, target: Path) -> None:
    """Copy under a temporary name beside the target, then rename (never a half-written file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".restore-", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        shutil.copy2(source, tmp_name)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
