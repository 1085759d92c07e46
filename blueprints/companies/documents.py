"""The dossier's documents tab: list, upload a new document or a new version, download a version through
this authorised route only, and delete (soft) a document."""

from urllib.parse import quote

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from blueprints.companies import bp
from blueprints.companies.common import confirm_delete
from blueprints.companies.document_forms import DocumentForm, VersionForm
from blueprints.companies.tabs import render_tab
from portal import files
from portal.auth.policy import STAFF, allow, load_in_scope
from portal.companies import documents
from portal.companies.models import Document, DocumentVersion
from portal.errors import ValidationFailed
from portal.extensions import db
from portal.web.companies import load_company, load_row
from portal.web.downloads import send_stored, stored_file


def _dossier_document(document_id: int, company) -> Document:
    """A live document of the company that the dossier manages (an agreement's documents are
    versioned and kept on the agreement's page)."""
    document = load_row(Document, document_id, company)
    if document.agreement_id is not None:
        abort(404)
    return document


def _to_documents(company_id: int):
    return redirect(url_for(".documents", company_id=company_id))


@bp.route("/<int:company_id>/documents", endpoint="documents")
@allow(*STAFF)
def documents_tab(company_id: int):
    """The dossier's documents tab: live documents with their versions."""
    company = load_company(company_id)
    return render_tab(
        "documents",
        "companies/tab.html",
        company,
        partial="companies/_documents.html",
        documents=documents.company_documents(company.id),
    )


def _record(upload, form, record):
    """Store the upload, record it with `record(stored)` and commit; on a refused upload the
    reasons go onto the form, on any failure the stored file is removed again."""
    try:
        stored = documents.store_upload(upload.stream, upload.filename)
    except ValidationFailed as e:
        form.populate_errors(e.reasons)
        return False
    try:
        record(stored)
        db.session.commit()
    except ValidationFailed as e:
        db.session.rollback()
        files.remove_stored(stored.stored_name)
        form.populate_errors(e.reasons)
        return False
    except IntegrityError:
        # Two versions uploaded at the same moment: the unique (document, version) key decides.
        db.session.rollback()
        files.remove_stored(stored.stored_name)
        form.populate_errors({None: [_("Another version was uploaded at the same time. Please try again.")]})
        return False
    except BaseException:
        db.session.rollback()
        files.remove_stored(stored.stored_name)
        raise
    return True


def _upload_page(company, document: Document | None, form, record, done: str):
    """The upload form of a new document (`document` None) or of a new version of `document`:
    a valid upload is stored and recorded with `record(upload, stored)`, then `done` is said."""
    if form.validate_on_submit():
        upload = form.file.data
        if _record(upload, form, lambda stored: record(upload, stored)):
            flash(done, "success")
            return _to_documents(company.id)
    return render_template("companies/document_form.html", form=form, company=company, document=document)


@bp.route("/<int:company_id>/documents/new", methods=["GET", "POST"])
@allow(*STAFF)
def new_document(company_id: int):
    company = load_company(company_id, change=True)
    form = DocumentForm()
    return _upload_page(
        company,
        None,
        form,
        lambda upload, stored: documents.add_document(
            current_user,
            company,
            kind=form.kind.data,
            title=form.title.data,
            filename=upload.filename,
            stored=stored,
        ),
        _("The document has been uploaded."),
    )


@bp.route("/<int:company_id>/documents/<int:document_id>/versions/new", methods=["GET", "POST"])
@allow(*STAFF)
def new_document_version(company_id: int, document_id: int):
    company = load_company(company_id, change=True)
    document = _dossier_document(document_id, company)
    return _upload_page(
        company,
        document,
        VersionForm(),
        lambda upload, stored: documents.add_version(
            current_user, company, document, filename=upload.filename, stored=stored
        ),
        _("A new version of the document has been uploaded."),
    )


@bp.route("/<int:company_id>/documents/<int:document_id>/delete", methods=["GET", "POST"])
@allow(*STAFF)
def delete_document(company_id: int, document_id: int):
    company = load_company(company_id, change=True)
    document = _dossier_document(document_id, company)
    return confirm_delete(
        company,
        what=document.title,
        back=url_for(".documents", company_id=company.id),
        delete=lambda: documents.delete_document(current_user, company, document),
        done=_("The document has been deleted."),
    )


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the real (e.g. Chinese) one per RFC 5987."""
    ext = filename.rsplit(".", 1)[-1] if "." in filename else ""
    if all(c.isascii() and (c.isalnum() or c in "._- ") for c in filename):
        ascii_name = filename
    else:
        ascii_name = f"document.{ext}" if ext.isascii() and ext.isalnum() else "document"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


@bp.route("/<int:company_id>/documents/<int:document_id>/versions/<int:version_id>")
@allow(*STAFF)
def download_document(company_id: int, document_id: int, version_id: int):
    company = load_company(company_id)
    document = load_row(Document, document_id, company)
    version = load_in_scope(DocumentVersion, version_id, DocumentVersion.document_id == document.id)
    path = stored_file(version.stored_name, f"document version {version.id}")
    response = send_stored(path, version.content_type)
    response.headers["Content-Disposition"] = content_disposition(version.filename)
    return response
