"""Answers that hand a file to the user: stored files and built exports, kept out of caches."""

import logging
from pathlib import Path

from flask import Response, abort, send_file

from portal import files

log = logging.getLogger(__name__)

PRIVATE = "private, no-store"  # a download holds a company's data: no cache keeps it


def stored_file(stored_name: str, what: str) -> Path:
    """The path of a stored file; 404 for a name this portal did not make or a missing file
    (`what` names the row in the log)."""
    try:
        path = files.stored_path(stored_name)
    except ValueError:
        abort(404)
    if not path.is_file():
        log.error("%s: file %s is missing", what, stored_name)
        abort(404)
    return path


def send_stored(path: Path, mimetype: str, download_name: str | None = None) -> Response:
    """A stored file as an attachment (named by the caller when `download_name` is None)."""
    response = send_file(
        path,
        mimetype=mimetype,
        as_attachment=download_name is not None,
        download_name=download_name,
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = PRIVATE
    return response


def attachment(body: bytes | str, mimetype: str, filename: str) -> Response:
    """Built content (a CSV, a PDF) as a download named `filename`."""
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": PRIVATE,
        },
    )
