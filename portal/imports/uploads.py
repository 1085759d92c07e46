"""Imports uploaded on the web: check the file's header now (a form error), save it under a
generated name in PORTAL_DATA_DIR and queue its import as a task."""

from portal import files
from portal.imports import bookings, companies
from portal.imports.reading import open_sheet
from portal.tasks import runs
from portal.tasks.models import TaskRun

HEADERS = {
    "bookings": (bookings.HEADER_ALIASES, bookings.REQUIRED),
    "companies": (companies.HEADER_ALIASES, companies.REQUIRED),
}


def queue_upload(kind: str, data: bytes, filename: str, *, author_id: int, dry_run: bool) -> TaskRun:
    """Queue the import of an uploaded file (flushes; the caller commits, then dispatches).
    Raises FileRefused when its header cannot be read (nothing is saved then)."""
    aliases, required = HEADERS[kind]
    open_sheet(data, filename, aliases, required)  # reads up to the header row only
    stored_name = files.new_stored_name("dat")
    files.stored_path(stored_name).write_bytes(data)
    return runs.enqueue(
        "imports.run",
        author_id=author_id,
        kind=kind,
        stored_name=stored_name,
        filename=filename[:255],
        dry_run=dry_run,
        user_id=author_id,
    )
