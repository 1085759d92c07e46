"""The dossier's travel tab: filters, totals, monthly charts, paginated rows and a CSV export."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _p
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, Regexp

from blueprints.companies import bp
from blueprints.companies.tabs import render_tab
from blueprints.forms import TEXT, PortalForm
from portal import charts
from portal.auth.policy import STAFF, allow
from portal.extensions import db
from portal.labels import choices, label
from portal.segments import travel
from portal.web.companies import load_company
from portal.web.downloads import attachment
from portal.web.query import PAGE, paginate, query_form, reads, within_dates
from portal.web.tables import table_csv

AIRPORT = Regexp(r"^[A-Za-z]{3}$", message=_l("Use a three-letter airport code, e.g. PEK."))


def _upper(value):
    return value.upper() if isinstance(value, str) else value


class TravelFilterForm(PortalForm):
    """The travel page's filters (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    # "From"/"To" of a date range, not of a route (those read 出发地/目的地).
    date_from = DateField(_p("date range", "From"), validators=[Optional(), within_dates])
    date_to = DateField(_p("date range", "To"), validators=[Optional(), within_dates])
    origin = StringField(_l("Origin"), filters=[*TEXT, _upper], validators=[Optional(), AIRPORT])
    destination = StringField(_l("Destination"), filters=[*TEXT, _upper], validators=[Optional(), AIRPORT])
    cabin = SelectField(_l("Cabin"), choices=[], validators=[Optional()])
    traveller = StringField(_l("Traveller"), filters=TEXT, validators=[Optional(), Length(max=100)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cabin.choices = [("", _("All cabins")), *choices("cabin")]

    def travel_filter(self) -> travel.TravelFilter:
        """The valid fields as a filter; a field with an error is left out (and shown)."""

        def ok(field):
            return field.data if not field.errors and field.data else None

        date_from, date_to = ok(self.date_from), ok(self.date_to)
        if date_from and date_to and date_from > date_to:
            self.date_to.errors = [*self.date_to.errors, _("The end date is before the start date.")]
            date_to = None
        return travel.TravelFilter(
            date_from=date_from,
            date_to=date_to,
            origin=ok(self.origin) or "",
            destination=ok(self.destination) or "",
            cabin=ok(self.cabin) or "",
            traveller=ok(self.traveller) or "",
        )


def _charts(months: list[travel.Month], *, height: int = 260) -> dict:
    labels = [m.month.strftime("%Y-%m") for m in months]
    revenue = charts.bar_chart(
        labels, {_("Revenue (CNY)"): [round(m.revenue_fen / 100) for m in months]}, height=height
    )
    segments = charts.line_chart(labels, {_("Segments"): [m.segments for m in months]}, height=height)
    return {"revenue_chart": charts.data_uri(revenue), "segments_chart": charts.data_uri(segments)}


def _filtered(company_id: int):
    form = query_form(TravelFilterForm)
    form.validate()
    chosen = form.travel_filter()
    return form, chosen, chosen.conditions(company_id)


@bp.route("/<int:company_id>/travel")
@allow(*STAFF)
@reads(PAGE, form=TravelFilterForm)
def travel_page(company_id: int):
    company = load_company(company_id)
    form, chosen, where = _filtered(company.id)
    totals = travel.totals(where)
    months = travel.monthly(where, first=chosen.date_from, last=chosen.date_to) if totals.segments else []
    page = paginate(travel.rows(where))
    return render_tab(
        "travel",
        "companies/travel.html",
        company,
        form=form,
        totals=totals,
        months=months,
        page=page,
        csv_args={name: value for name, value in form.data.items() if value and not form[name].errors},
        **(_charts(months) if months else {}),
    )


@bp.route("/<int:company_id>/travel.csv")
@allow(*STAFF)
@reads(form=TravelFilterForm)
def travel_csv(company_id: int):
    company = load_company(company_id)
    _form, _chosen, where = _filtered(company.id)
    rows = [_csv_row(s) for s in db.session.scalars(travel.rows(where))]
    body = table_csv([str(title) for title in CSV_HEADER], rows)
    return attachment(body, "text/csv", f"travel-{company.id}.csv")


CSV_HEADER = (
    _l("Date"),
    _l("Flight"),
    _l("Origin"),
    _l("Destination"),
    _l("Cabin"),
    _l("Fare class"),
    _l("Traveller"),
    _l("Ticket"),
    _l("Coupon"),
    _l("Net revenue (CNY)"),
    _l("Distance (km)"),
)


def _csv_row(s) -> list:
    return [
        s.flight_date.isoformat(),
        s.flight_number,
        s.origin,
        s.destination,
        label(s.cabin, "cabin"),
        s.fare_class,
        s.traveller_name,
        s.ticket_number,
        s.coupon_number,
        f"{s.net_revenue_fen / 100:.2f}",
        s.distance_km,
    ]
