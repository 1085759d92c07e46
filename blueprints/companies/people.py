"""Contacts and key travellers of a company: create, edit, delete (soft), and revealing a
traveller's identity-document number to those who need it, after a fresh sign-in."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from blueprints.companies import bp
from blueprints.companies.common import confirm_delete
from blueprints.companies.forms import ContactForm, TravellerForm
from portal.auth.fresh import recently_authenticated
from portal.auth.policy import STAFF, allow, refuse
from portal.companies import operations
from portal.companies.models import Company, Contact, Traveller
from portal.errors import ValidationFailed
from portal.extensions import db
from portal.web.companies import load_company, load_row
from portal.web.saving import save_valid

CONTACT_FIELDS = ("name", "title", "role", "phone", "email", "notes")
TRAVELLER_FIELDS = (
    "name",
    "name_en",
    "ff_number",
    "member_tier",
    "seat_preference",
    "meal_preference",
    "notes",
    "vip_level",
    "service_needs",
)


def _to_section(company_id: int, section: str):
    return redirect(url_for(".detail", company_id=company_id, _anchor=section))


# --- contacts -----------------------------------------------------------------------------


def _contact_values(form: ContactForm) -> dict:
    return {f: form[f].data for f in CONTACT_FIELDS}


def _contact_page(company: Company, contact: Contact | None):
    """The contact form: a new contact when `contact` is None, else that contact's changes."""
    form = ContactForm(obj=contact)
    if contact is None:
        saved = save_valid(
            form,
            lambda: operations.create_contact(current_user, company, **_contact_values(form)),
            _("The contact has been added."),
        )
    else:
        saved = save_valid(
            form,
            lambda: operations.update_contact(current_user, contact, **_contact_values(form)),
            _("The contact has been saved."),
        )
    if saved:
        return _to_section(company.id, "contacts")
    return render_template("companies/contact_form.html", form=form, company=company, contact=contact)


@bp.route("/<int:company_id>/contacts/new", methods=["GET", "POST"])
@allow(*STAFF)
def new_contact(company_id: int):
    return _contact_page(load_company(company_id, change=True), None)


@bp.route("/<int:company_id>/contacts/<int:contact_id>", methods=["GET", "POST"])
@allow(*STAFF)
def edit_contact(company_id: int, contact_id: int):
    company = load_company(company_id, change=True)
    return _contact_page(company, load_row(Contact, contact_id, company))


@bp.route("/<int:company_id>/contacts/<int:contact_id>/delete", methods=["GET", "POST"])
@allow(*STAFF)
def delete_contact(company_id: int, contact_id: int):
    company = load_company(company_id, change=True)
    contact = load_row(Contact, contact_id, company)
    return confirm_delete(
        company,
        what=_("the contact %(name)s", name=contact.name),
        back=url_for(".detail", company_id=company.id, _anchor="contacts"),
        delete=lambda: operations.delete_contact(current_user, contact),
        done=_("The contact has been removed; the audit trail keeps its record."),
    )


# --- key travellers -----------------------------------------------------------------------


def _traveller_values(form: TravellerForm) -> dict:
    return {f: form[f].data for f in TRAVELLER_FIELDS} | {
        "id_document_type": form.id_document_type.data or None,
        "id_document_number": form.id_document_number.data,
    }


def _ff_number_clash(form: TravellerForm) -> None:
    """The database's unique key refused the frequent-flyer number (a concurrent save)."""
    db.session.rollback()
    form.ff_number.errors = [_("Another traveller of this company has this frequent-flyer number.")]


def _save_traveller(form: TravellerForm, company: Company, traveller: Traveller | None) -> None:
    if traveller is None:
        operations.create_traveller(current_user, company, **_traveller_values(form))
    else:
        operations.update_traveller(
            current_user,
            traveller,
            clear_id_document=form.clear_id_document.data,
            **_traveller_values(form),
        )


def _traveller_page(company: Company, traveller: Traveller | None):
    """The traveller form: a new traveller when `traveller` is None, else that traveller's
    changes. A typed document number is never sent back in the page."""
    form = TravellerForm(obj=traveller)
    if traveller is not None and request.method == "GET":
        form.id_document_type.data = traveller.id_document_type or ""
    if form.validate_on_submit():
        try:
            _save_traveller(form, company, traveller)
            db.session.commit()
        except ValidationFailed as e:
            form.populate_errors(e.reasons)
        except IntegrityError:
            _ff_number_clash(form)
        else:
            if traveller is None:
                flash(_("The traveller has been added."), "success")
            else:
                flash(_("The traveller has been saved."), "success")
            return _to_section(company.id, "travellers")
    form.id_document_number.data = ""
    return render_template("companies/traveller_form.html", form=form, company=company, traveller=traveller)


@bp.route("/<int:company_id>/travellers/new", methods=["GET", "POST"])
@allow(*STAFF)
def new_traveller(company_id: int):
    return _traveller_page(load_company(company_id, change=True), None)


@bp.route("/<int:company_id>/travellers/<int:traveller_id>", methods=["GET", "POST"])
@allow(*STAFF)
def edit_traveller(company_id: int, traveller_id: int):
    company = load_company(company_id, change=True)
    return _traveller_page(company, load_row(Traveller, traveller_id, company))


@bp.route("/<int:company_id>/travellers/<int:traveller_id>/delete", methods=["GET", "POST"])
@allow(*STAFF)
def delete_traveller(company_id: int, traveller_id: int):
    company = load_company(company_id, change=True)
    traveller = load_row(Traveller, traveller_id, company)
    return confirm_delete(
        company,
        what=_("the traveller %(name)s", name=traveller.name),
        back=url_for(".detail", company_id=company.id, _anchor="travellers"),
        delete=lambda: operations.delete_traveller(current_user, traveller),
        done=_("The traveller has been removed; the identity-document number was erased."),
        warning=_("The identity-document number on file is erased with it.")
        if traveller.id_document_masked
        else None,
    )


@bp.route("/<int:company_id>/travellers/<int:traveller_id>/reveal", methods=["POST"])
@allow(*STAFF)
def reveal_traveller(company_id: int, traveller_id: int):
    """Show the document number once, on this response only (POST: never in a URL or a log)."""
    company = load_company(company_id)
    traveller = load_row(Traveller, traveller_id, company)
    if not operations.may_reveal(current_user, company):
        refuse("may not reveal identity-document numbers", company_id=company.id)
    if not recently_authenticated():
        flash(_("Enter your password again to see identity-document numbers."), "info")
        back = url_for(".detail", company_id=company.id, _anchor="travellers")
        return redirect(url_for("auth.reauth", next=back))
    try:
        number = operations.reveal_id_document(current_user, traveller)
    except ValidationFailed as e:
        flash(str(e), "warning")
        return _to_section(company.id, "travellers")
    db.session.commit()
    return render_template("companies/reveal.html", company=company, traveller=traveller, number=number)
