"""Stored files: type from content, atomic writes under PORTAL_DATA_DIR/documents with generated
names, reading and deleting them, and names safe to show and to send in Content-Disposition.

Shared by agreement documents and the dossier's documents. Nothing here touches the database.
"""

import hashlib
import os
import re
import tempfile
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from portal.errors import ValidationFailed

# (magic prefix, content type, extension) of files whose first bytes identify them.
MAGIC = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
    (b"II*\x00", "image/tiff", "tif"),
    (b"MM\x00*", "image/tiff", "tif"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage", "ole"),
    (b"PK\x03\x04", "application/zip", "zip"),
)
WEBP = "image/webp"
OLE = "application/x-ole-storage"
ZIP = "application/zip"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
PPT = "application/vnd.ms-powerpoint"

EXTENSIONS = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/tiff": "tif",
    WEBP: "webp",
    DOCX: "docx",
    XLSX: "xlsx",
    PPTX: "pptx",
    DOC: "doc",
    XLS: "xls",
    PPT: "ppt",
}
# A legacy Office file is OLE2; which one it is, only its name says (the content is checked).
_OLE_BY_EXT = {"doc": DOC, "xls": XLS, "ppt": PPT}
_OOXML_PARTS = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))
_STORED_NAME = re.compile(r"[0-9a-f]{32}\.[a-z]{3,4}")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\"<>:|?*\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
DISPLAY_NAME_MAX = 120


@dataclass(frozen=True)
class StoredFile:
    """A file written under the documents folder."""

    stored_name: str
    size_bytes: int
    sha256: str
    content_type: str


def documents_dir() -> Path:
    """Where files are kept: PORTAL_DATA_DIR/documents (never under static/)."""
    path = Path(current_app.config["PORTAL_DATA_DIR"]) / "documents"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_stored_name(ext: str) -> str:
    """A fresh, unguessable file name."""
    return f"{uuid.uuid4().hex}.{ext}"


def stored_path(stored_name: str) -> Path:
    """The path of a stored file; only names this module generates are accepted."""
    if not _STORED_NAME.fullmatch(stored_name or ""):
        raise ValueError("not a stored file name")
    return documents_dir() / stored_name


def remove_stored(stored_name: str) -> None:
    """Delete a stored file (e.g. one whose transaction failed); a missing file is fine."""
    stored_path(stored_name).unlink(missing_ok=True)


def sniff_magic(head: bytes) -> str | None:
    """The content type the first bytes announce (PDF, images, OLE2, ZIP), or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    for magic, content_type, _ext in MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def office_type(path: Path, content_type: str, filename: str | None) -> str | None:
    """Refine a ZIP or OLE2 file to the Office document it is, or None when it is not one.

    A ZIP counts as docx/xlsx/pptx only when it holds [Content_Types].xml and a word/, xl/ or
    ppt/ part; an OLE2 file is a legacy doc/xls/ppt by its name's extension (else .doc)."""
    if content_type == ZIP:
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "[Content_Types].xml" not in names:
            return None
        for prefix, kind in _OOXML_PARTS:
            if any(n.startswith(prefix) for n in names):
                return kind
        return None
    if content_type == OLE:
        ext = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
        return _OLE_BY_EXT.get(ext, DOC)
    return content_type


def save_stream(
    stream,
    *,
    allowed: frozenset[str] | set[str],
    max_bytes: int,
    filename: str | None = None,
    refused_message: str,
) -> StoredFile:
    """Store an upload after checking its size and its type from content.

    Written to a temporary name beside its target, fsynced and renamed, so a refused or failed
    upload leaves nothing behind. Raises ValidationFailed (field "file")."""
    folder = documents_dir()
    head = stream.read(16)
    content_type = sniff_magic(head)
    if content_type is None or not (content_type in allowed or content_type in (ZIP, OLE)):
        raise ValidationFailed({"file": [refused_message]})
    fd, tmp_name = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=folder)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > max_bytes:
                    raise ValidationFailed(
                        {"file": [_("The file is larger than %(mb)s MB.", mb=max_bytes // (1024 * 1024))]}
                    )
                digest.update(chunk)
                out.write(chunk)
                chunk = stream.read(1 << 16)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise ValidationFailed({"file": [_("The file is empty.")]})
        content_type = office_type(tmp, content_type, filename)
        if content_type is None or content_type not in allowed:
            raise ValidationFailed({"file": [refused_message]})
        stored_name = new_stored_name(EXTENSIONS[content_type])
        os.replace(tmp, folder / stored_name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return StoredFile(stored_name, size, digest.hexdigest(), content_type)


def display_name(name: str | None, *, default: str = "file") -> str:
    """An uploaded file's name for display: no directories, no control, bidi or shell-special
    characters, no leading dots, length capped (Chinese and other letters are kept)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("", name).strip().lstrip(".").strip()
    if len(name) > DISPLAY_NAME_MAX:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 8:
            name = stem[: DISPLAY_NAME_MAX - len(ext) - 1] + "." + ext
        else:
            name = name[:DISPLAY_NAME_MAX]
    return name or default


def with_extension(name: str, content_type: str) -> str:
    """The display name with the extension its content type calls for."""
    ext = EXTENSIONS.get(content_type)
    if not ext:
        return name
    stem, dot, current = name.rpartition(".")
    if dot and current.lower() in (ext, "jpeg" if ext == "jpg" else ext, "tiff" if ext == "tif" else ext):
        return name
    return f"{stem if dot and len(current) <= 5 else name}.{ext}"
