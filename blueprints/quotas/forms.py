"""Quota forms: the shape of each value; the rules between values are the service's
(portal.quotas.operations)."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, Regexp

from blueprints.forms import PortalForm, iata_code
from portal.quotas.operations import MAX_SEATS, QuotaFields
from portal.quotas.queries import month_text, parse_month
from portal.web.choices import cabin_choices

MONTH = Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("A month as YYYY-MM, e.g. 2026-03."))


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class QuotaForm(PortalForm):
    """A quota: route, cabin, month and seats."""

    origin = StringField(_l("From"), filters=[_upper], validators=[InputRequired(), iata_code])
    destination = StringField(_l("To"), filters=[_upper], validators=[InputRequired(), iata_code])
    cabin = SelectField(_l("Cabin"), choices=[])
    month = StringField(
        _l("Month"),
        filters=[_strip],
        validators=[InputRequired(), MONTH],
        render_kw={"type": "month", "placeholder": "YYYY-MM"},
    )
    seats = IntegerField(
        _l("Seats"),
        validators=[
            InputRequired(message=_l("Enter a whole number of seats.")),
            NumberRange(min=1, max=MAX_SEATS, message=_l("Between 1 and %(max)s seats.", max=MAX_SEATS)),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cabin.choices = cabin_choices()

    def fill(self, quota) -> None:
        self.origin.data, self.destination.data = quota.origin, quota.destination
        self.cabin.data, self.month.data, self.seats.data = quota.cabin, month_text(quota.month), quota.seats

    def fields(self) -> QuotaFields:
        return QuotaFields(
            origin=self.origin.data,
            destination=self.destination.data,
            cabin=self.cabin.data,
            month=parse_month(self.month.data),
            seats=self.seats.data,
        )


class CopyMonthForm(PortalForm):
    """Copy one month's quotas to the next month."""

    month = SelectField(_l("Copy the quotas of"), choices=[])


class ActionForm(PortalForm):
    """A button that changes a quota (delete)."""
