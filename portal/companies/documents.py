"""The dossier's documents: uploading a file as a new document or a new version of one, listing
them with their versions, and soft deletion. Operations flush and never commit.

Files are stored by portal.files (type from content, generated names outside static/); the
route removes a stored file again when its transaction fails, so nothing is half-written.
"""

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from portal import files
from portal.auth.models import User
from portal.companies.access import may_change
from portal.companies.models import Company, Document, DocumentVersion
from portal.db import utcnow
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db

UPLOAD_KINDS = ("licence", "agreement", "signed_scan", "minutes", "other")
ALLOWED_TYPES = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        files.WEBP,
        files.DOCX,
        files.XLSX,
        files.PPTX,
        files.DOC,
        files.XLS,
        files.PPT,
    }
)


def max_bytes() -> int:
    """The per-file limit: PORTAL_DOCUMENT_MAX_MB (default 20 MB)."""
    return int(current_app.config.get("PORTAL_DOCUMENT_MAX_MB", 20)) * 1024 * 1024


def store_upload(stream, filename: str | None) -> files.StoredFile:
    """Store an uploaded document after checking its size and its type from content."""
    return files.save_stream(
        stream,
        allowed=ALLOWED_TYPES,
        max_bytes=max_bytes(),
        filename=filename,
        refused_message=_(
            "Only PDF, PNG, JPEG, GIF or WebP images and Word, Excel or PowerPoint documents are "
            "accepted (the file's content was checked, not its name)."
        ),
    )


def _require_change(actor: User, company: Company) -> None:
    if not may_change(actor, company):
        raise NotAllowed(_("You may not change this company's dossier."))


def _version(actor: User, document: Document, number: int, filename: str, stored) -> DocumentVersion:
    version = DocumentVersion(
        document=document,
        version=number,
        filename=files.with_extension(files.display_name(filename, default="document"), stored.content_type)[
            :255
        ],
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        uploaded_by_id=actor.id,
        uploaded_at=utcnow(),
    )
    db.session.add(version)
    return version


def add_document(
    actor: User, company: Company, *, kind: str, title: str, filename: str | None, stored
) -> DocumentVersion:
    """A new document of the company with the stored file as its version 1."""
    _require_change(actor, company)
    reasons: dict = {}
    if kind not in UPLOAD_KINDS:
        reasons["kind"] = [_("Choose a kind of document.")]
    title = (title or "").strip() or files.display_name(filename, default="")
    if not title:
        reasons["title"] = [_("Give the document a title.")]
    if reasons:
        raise ValidationFailed(reasons)
    document = Document(company_id=company.id, kind=kind, title=title[:200])
    db.session.add(document)
    version = _version(actor, document, 1, filename, stored)
    db.session.flush()
    return version


def add_version(
    actor: User, company: Company, document: Document, *, filename: str | None, stored
) -> DocumentVersion:
    """The stored file as the next version of a live document of the company."""
    _require_change(actor, company)
    if document.deleted_at is not None:
        raise ValidationFailed(_("The document has been deleted."))
    latest = db.session.scalar(
        select(func.max(DocumentVersion.version)).where(DocumentVersion.document_id == document.id)
    )
    version = _version(actor, document, (latest or 0) + 1, filename, stored)
    db.session.flush()
    return version


def delete_document(actor: User, company: Company, document: Document) -> None:
    """Soft-delete a document: it leaves the dossier, its files and rows stay for the audit."""
    _require_change(actor, company)
    if document.deleted_at is None:
        document.deleted_at = utcnow()
        db.session.flush()


def company_documents(company_id: int) -> list[Document]:
    """The company's live documents, newest first, each with its versions (newest first):
    two queries, whatever the company holds."""
    docs = list(
        db.session.scalars(
            select(Document)
            .where(Document.company_id == company_id, Document.deleted_at.is_(None))
            .order_by(Document.created_at.desc(), Document.id.desc())
        )
    )
    by_document: dict[int, list[DocumentVersion]] = {d.id: [] for d in docs}
    versions = db.session.scalars(
        select(DocumentVersion)
        .join(Document, DocumentVersion.document_id == Document.id)
        .where(Document.company_id == company_id, Document.deleted_at.is_(None))
        .order_by(DocumentVersion.document_id, DocumentVersion.version.desc())
    )
    for version in versions:
        by_document[version.document_id].append(version)
    for document in docs:
        set_committed_value(document, "versions", by_document[document.id])
    return docs
