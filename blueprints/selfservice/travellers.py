"""A booker's travellers: the list, adding one, editing one, removing one. Identity-document numbers are
never shown to bookers (the masked form at most) and never set by them."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.selfservice import bp
from blueprints.selfservice.common import own_company, own_row, own_travellers
from blueprints.selfservice.forms import RemoveForm, TravellerForm
from portal.auth.policy import allow, refuse
from portal.companies.models import Company, Traveller
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.selfservice import operations
from portal.web.saving import save_valid


@bp.route("/travellers")
@allow("booker")
def travellers():
    company = own_company()
    return render_template(
        "selfservice/travellers.html", company=company, travellers=own_travellers(company.id)
    )


def _traveller_page(company: Company, traveller: Traveller | None):
    """The traveller form: a new traveller when `traveller` is None, else that traveller's
    changes."""
    form = TravellerForm(obj=traveller)
    if traveller is None:
        saved = save_valid(
            form,
            lambda: operations.create_traveller(current_user, **form.values()).name,
            lambda name: _("%(name)s is added to your travellers.", name=name),
            refused_for=company.id,
        )
    else:
        saved = save_valid(
            form,
            lambda: operations.update_traveller(current_user, traveller, **form.values()),
            _("The traveller is saved."),
            refused_for=company.id,
        )
    if saved:
        return redirect(url_for(".travellers"))
    return render_template("selfservice/traveller_form.html", form=form, company=company, traveller=traveller)


@bp.route("/travellers/new", methods=["GET", "POST"])
@allow("booker")
def new_traveller():
    return _traveller_page(own_company(), None)


@bp.route("/travellers/<int:traveller_id>", methods=["GET", "POST"])
@allow("booker")
def edit_traveller(traveller_id: int):
    traveller = own_row(Traveller, traveller_id)
    return _traveller_page(own_company(), traveller)


@bp.route("/travellers/<int:traveller_id>/remove", methods=["GET", "POST"])
@allow("booker")
def remove_traveller(traveller_id: int):
    """GET: confirm (or say why not yet). POST: remove the traveller; past requests and flown
    segments keep their link to the hidden row."""
    traveller = own_row(Traveller, traveller_id)
    form = RemoveForm()
    refused, status = None, 200
    if form.validate_on_submit():
        name = traveller.name
        try:
            operations.remove_traveller(current_user, traveller)
        except ValidationFailed as e:
            db.session.rollback()
            refused, status = str(e), 409
        except NotAllowed as e:
            refuse(str(e), company_id=current_user.company_id)
        else:
            db.session.commit()
            flash(_("%(name)s is removed from your travellers.", name=name), "success")
            return redirect(url_for(".travellers"))
    else:
        refused = operations.removal_refused(traveller)
    return render_template(
        "selfservice/traveller_remove.html",
        form=form,
        company=own_company(),
        traveller=traveller,
        refused=refused,
    ), status
