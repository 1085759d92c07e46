"""Agreements: list, detail, terms editor, lifecycle actions, documents and signed scans."""

import logging
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from blueprints.agreements import bp
from blueprints.agreements.forms import ActionForm, ReasonForm, ScanForm, TermsForm
from portal.agreements import access, attainment, documents, operations, queries
from portal.agreements.attainment import add_years
from portal.agreements.models import AGREEMENT_STATUSES, Agreement
from portal.auth.policy import STAFF, allow, load_in_scope, refuse
from portal.auth.roles import CHANGERS, HEADS
from portal.companies.access import may_change, sees_in_full
from portal.companies.models import Document, DocumentVersion
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.tasks import runs
from portal.tasks.models import TaskRun
from portal.timeutil import local_today
from portal.web.companies import company_to_change
from portal.web.downloads import send_stored, stored_file
from portal.web.query import PAGE, arg, int_param, paginate, reads, text_param

log = logging.getLogger(__name__)

MAX_EXPIRING_DAYS = 3650


# The pages ask the same predicates the services enforce: a button shows where it would work.
bp.add_app_template_global(access.may_decide, "agreement_may_decide")
bp.add_app_template_global(access.may_approve, "agreement_may_approve")
bp.add_app_template_global(access.may_reject, "agreement_may_reject")
bp.add_app_template_global(access.may_terminate, "agreement_may_terminate")
bp.add_app_template_global(access.may_edit, "agreement_may_edit")
bp.add_app_template_global(access.may_renew, "agreement_may_renew")


@bp.app_template_global("agreement_attainment")
def agreement_attainment(agreement):
    """Attainment of an active or expired agreement for pages that show its summary."""
    if agreement is None or agreement.status not in ("active", "expired"):
        return None
    return attainment.for_agreement(agreement, local_today())


def _load(agreement_id: int, *, for_change: bool = False) -> Agreement:
    """The agreement (404 if unknown), refused unless the user sees its company in full."""
    agreement = db.session.scalar(queries.detail_query(agreement_id))
    if agreement is None:
        abort(404)
    if not sees_in_full(current_user, agreement.company):
        refuse("agreement outside the user's scope", company_id=agreement.company_id)
    if for_change and not may_change(current_user, agreement.company):
        refuse("may not change the company's agreements", company_id=agreement.company_id)
    return agreement


def _to_detail(agreement_id: int, anchor: str | None = None):
    return redirect(url_for(".detail", agreement_id=agreement_id, _anchor=anchor))


@bp.route("/")
@allow(*STAFF)
@reads(
    text_param("status", choices=AGREEMENT_STATUSES),
    int_param("branch"),
    int_param("manager"),
    int_param("expiring", maximum=MAX_EXPIRING_DAYS),
    PAGE,
)
def index():
    today = local_today()
    status, branch_id, manager_id, expiring = arg("status"), arg("branch"), arg("manager"), arg("expiring")
    stmt = queries.agreement_list(
        current_user,
        today=today,
        status=status,
        branch_id=branch_id or None,
        manager_id=manager_id or None,
        expiring_days=expiring,
    )
    page = paginate(stmt)
    branches, managers = queries.filter_choices(current_user)
    return render_template(
        "agreements/index.html",
        page=page,
        status=status,
        statuses=AGREEMENT_STATUSES,
        branch_id=branch_id,
        manager_id=manager_id,
        expiring=expiring,
        branches=branches,
        managers=managers,
        today=today,
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(*CHANGERS)
@reads(int_param("company_id"))
def new():
    company = company_to_change(
        arg("company_id"),
        hint=_("Open the company's page and choose “New agreement” there."),
        back=url_for("companies.index"),
    )
    form = TermsForm()
    if request.method == "GET":
        # Defaults: a year from the first day of next month.
        start = (local_today().replace(day=1) + timedelta(days=32)).replace(day=1)
        form.valid_from.data = start
        form.valid_to.data = add_years(start, 1) - timedelta(days=1)
        form.commitment_revenue.data = 0
        form.commitment_segments.data = 0
        form.add_blank_rows()
    if form.validate_on_submit():
        try:
            agreement = operations.create_draft(current_user, company, form.terms(), today=local_today())
            db.session.commit()
        except ValidationFailed as e:
            form.populate_errors(e.reasons)
        except IntegrityError:
            db.session.rollback()
            form.form_errors.append(_("Another draft was saved at the same moment; please save again."))
        else:
            flash(_("Draft %(number)s is saved.", number=agreement.number), "success")
            return _to_detail(agreement.id)
    return render_template("agreements/terms.html", form=form, company=company, agreement=None)


@bp.route("/<int:agreement_id>")
@allow(*STAFF)
def detail(agreement_id: int):
    return _render_detail(_load(agreement_id))


def _render_detail(agreement: Agreement, *, reject=None, terminate=None, scan=None, status: int = 200):
    """The agreement page; a form that failed is passed in to show its errors."""
    today = local_today()
    company = agreement.company
    return (
        render_template(
            "agreements/detail.html",
            agreement=agreement,
            company=company,
            attainment=agreement_attainment(agreement),
            documents=queries.documents_of(agreement.id),
            renewals=queries.renewals_of(agreement.id),
            can_change=may_change(current_user, company),
            action_form=ActionForm(formdata=None),
            reject_form=reject or ReasonForm(formdata=None),
            terminate_form=terminate or ReasonForm(formdata=None),
            scan_form=scan or ScanForm(formdata=None),
            today=today,
        ),
        status,
    )


@bp.route("/<int:agreement_id>/terms", methods=["GET", "POST"])
@allow(*CHANGERS)
def edit_terms(agreement_id: int):
    agreement = _load(agreement_id, for_change=True)
    if not access.may_edit(current_user, agreement):
        flash(_("Only drafts can be edited; renew the agreement to change its terms."), "warning")
        return _to_detail(agreement.id)
    form = TermsForm()
    if request.method == "GET":
        form.fill(operations.Terms.of(agreement))
        form.add_blank_rows()
    if form.validate_on_submit():
        try:
            operations.update_terms(current_user, agreement, form.terms())
        except ValidationFailed as e:
            form.populate_errors(e.reasons)
        else:
            db.session.commit()
            flash(_("The terms are saved."), "success")
            return _to_detail(agreement.id)
    return render_template("agreements/terms.html", form=form, company=agreement.company, agreement=agreement)


def _act(agreement_id: int, action, message: str, *, for_change: bool = True):
    """Run a lifecycle action that takes no input: flash its refusal or its success."""
    agreement = _load(agreement_id, for_change=for_change)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        result = action(agreement)
    except NotAllowed as e:
        refuse(str(e), company_id=agreement.company_id)
    except ValidationFailed as e:
        db.session.rollback()
        flash(str(e), "danger")
        return _to_detail(agreement_id)
    except IntegrityError:
        db.session.rollback()
        flash(_("Someone else changed this agreement meanwhile; reload the page."), "danger")
        return _to_detail(agreement_id)
    db.session.commit()
    flash(message, "success")
    target = result.id if isinstance(result, Agreement) else agreement_id
    return _to_detail(target)


@bp.route("/<int:agreement_id>/submit", methods=["POST"])
@allow(*CHANGERS)
def submit(agreement_id: int):
    return _act(
        agreement_id,
        lambda a: operations.submit(current_user, a, today=local_today()),
        _("The agreement is submitted for approval."),
    )


@bp.route("/<int:agreement_id>/approve", methods=["POST"])
@allow(*HEADS)
def approve(agreement_id: int):
    return _act(
        agreement_id,
        lambda a: operations.approve(current_user, a, today=local_today()),
        _("The agreement is approved and active."),
        for_change=False,
    )


@bp.route("/<int:agreement_id>/renew", methods=["POST"])
@allow(*CHANGERS)
def renew(agreement_id: int):
    return _act(
        agreement_id,
        lambda a: operations.renew(current_user, a, today=local_today()),
        _("A renewal draft is ready: check its terms, then submit it."),
    )


def _decide(agreement_id: int, action, message: str, form_name: str):
    """Reject or terminate: a reason is required; errors show on the agreement page."""
    agreement = _load(agreement_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            action(agreement, form.reason.data)
        except NotAllowed as e:
            refuse(str(e), company_id=agreement.company_id)
        except ValidationFailed as e:
            db.session.rollback()
            if set(e.reasons) != {"reason"}:  # an illegal transition, not a bad reason
                flash(str(e), "danger")
                return _to_detail(agreement_id)
            form.populate_errors(e.reasons)
            agreement = _load(agreement_id)
        else:
            db.session.commit()
            flash(message, "success")
            return _to_detail(agreement_id)
    return _render_detail(agreement, **{form_name: form})


@bp.route("/<int:agreement_id>/reject", methods=["POST"])
@allow(*HEADS)
def reject(agreement_id: int):
    return _decide(
        agreement_id,
        lambda a, reason: operations.reject(current_user, a, reason),
        _("The agreement is sent back to draft."),
        "reject",
    )


@bp.route("/<int:agreement_id>/terminate", methods=["POST"])
@allow(*HEADS)
def terminate(agreement_id: int):
    return _decide(
        agreement_id,
        lambda a, reason: operations.terminate(current_user, a, reason),
        _("The agreement is terminated."),
        "terminate",
    )


@bp.route("/<int:agreement_id>/document", methods=["POST"])
@allow(*CHANGERS)
def render_document(agreement_id: int):
    """Queue the agreement PDF as a new version of its document: a worker renders it
    (portal/agreements/tasks.py) and the documents tab lists it when it is ready."""
    _load(agreement_id, for_change=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    run_id = runs.submit(
        "agreements.render_document",
        author_id=current_user.id,
        agreement_id=agreement_id,
        version=documents.current_template(),
        user_id=current_user.id,
    )
    run = db.session.get(TaskRun, run_id)
    if run.status == "done":
        flash(_("Version %(n)s of the agreement document is ready.", n=run.result["version"]), "success")
    elif run.status == "failed":
        flash(_("The document could not be produced. Please try again, or tell an administrator."), "danger")
    else:
        flash(_("The agreement document is being produced; it appears below in a moment."), "info")
    return _to_detail(agreement_id, "documents")


@bp.route("/<int:agreement_id>/scans", methods=["POST"])
@allow(*CHANGERS)
def upload_scan(agreement_id: int):
    agreement = _load(agreement_id, for_change=True)
    form = ScanForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            stored = documents.save_upload(upload.stream)
        except ValidationFailed as e:
            form.populate_errors(e.reasons)
        else:
            try:
                operations.add_document_version(
                    current_user,
                    agreement,
                    kind="signed_scan",
                    filename=documents.clean_filename(upload.filename),
                    stored_name=stored.stored_name,
                    content_type=stored.content_type,
                    size_bytes=stored.size_bytes,
                    sha256=stored.sha256,
                )
                db.session.commit()
            except BaseException:
                db.session.rollback()
                documents.remove_stored(stored.stored_name)
                raise
            flash(_("The signed scan is attached."), "success")
            return _to_detail(agreement_id, "documents")
    return _render_detail(agreement, scan=form)


@bp.route("/<int:agreement_id>/files/<int:version_id>")
@allow(*STAFF)
def download(agreement_id: int, version_id: int):
    agreement = _load(agreement_id)
    version = load_in_scope(
        DocumentVersion,
        version_id,
        DocumentVersion.document_id.in_(select(Document.id).where(Document.agreement_id == agreement.id)),
    )
    kind = version.document.kind
    if version.document.deleted_at is not None:
        abort(404)
    path = stored_file(version.stored_name, f"document version {version.id}")
    name = documents.download_name(agreement.number, kind, version.version, version.content_type)
    return send_stored(path, version.content_type, name)
