"""Self-service forms: a priority request, a traveller, feedback. They check the shape of each
value; the rules are the services' (portal.quotas.operations, portal.selfservice.operations).
Nothing here names a company: the company is always the booker's own."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from blueprints.forms import FF_NUMBER, PortalForm, clean, iata_code
from portal.labels import choices
from portal.selfservice.operations import MAX_FEEDBACK_CHARS
from portal.web.choices import cabin_choices

NEW_TRAVELLER = "new"


def upper(value):
    return clean(value).upper() if isinstance(value, str) else value


class RequestForm(PortalForm):
    """A priority seat request: a traveller (or a new one), the flight, its date, route, cabin."""

    traveller_id = SelectField(_l("Traveller"), choices=[])
    new_traveller_name = StringField(
        _l("New traveller's name"), filters=[clean], validators=[Optional(), Length(max=100)]
    )
    new_traveller_ff = StringField(
        _l("Frequent-flyer number (optional)"),
        filters=[clean],
        validators=[Optional(), Length(max=20), FF_NUMBER],
    )
    flight_number = StringField(
        _l("Flight number"),
        filters=[upper],
        validators=[InputRequired(message=_l("Enter the flight number, e.g. CA1501.")), Length(max=10)],
        description=_l("E.g. CA1501."),
    )
    flight_date = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter a valid date."))])
    departure_time = TimeField(
        _l("Departure time (Beijing)"),
        validators=[Optional()],
        description=_l(
            "Only for a flight that is not in our timetable; otherwise its scheduled time is used."
        ),
    )
    origin = StringField(_l("From"), filters=[upper], validators=[InputRequired(), iata_code])
    destination = StringField(_l("To"), filters=[upper], validators=[InputRequired(), iata_code])
    cabin = SelectField(_l("Cabin"), choices=[])
    services = SelectMultipleField(
        _l("Services at the airport"),
        choices=[],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        description=_l("Only what your agreement includes."),
    )

    def __init__(self, travellers=(), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.services.choices = choices("service")
        # Only the booker's own company's travellers are valid choices: another company's id
        # fails here ("Not a valid choice") before any service sees it.
        self.traveller_id.choices = [(NEW_TRAVELLER, _l("A new traveller…"))] + [
            (str(t.id), f"{t.name}{' · ' + t.ff_number if t.ff_number else ''}") for t in travellers
        ]
        self.cabin.choices = cabin_choices()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.wants_new_traveller and not self.new_traveller_name.data:
            self.new_traveller_name.errors = list(self.new_traveller_name.errors) + [
                _l("Enter the new traveller's name, or choose one of your travellers.")
            ]
            return False
        return valid

    @property
    def wants_new_traveller(self) -> bool:
        return self.traveller_id.data == NEW_TRAVELLER


class TravellerForm(PortalForm):
    """A traveller as a booker keeps it: names, frequent-flyer number, preferences."""

    name = StringField(_l("Name"), filters=[clean], validators=[DataRequired(), Length(max=100)])
    name_en = StringField(
        _l("Name in Latin letters"),
        filters=[clean],
        validators=[Optional(), Length(max=100)],
        description=_l("As printed in the passport, e.g. ZHANG/SAN."),
    )
    ff_number = StringField(
        _l("Frequent-flyer number"), filters=[clean], validators=[Optional(), Length(max=20), FF_NUMBER]
    )
    seat_preference = SelectField(_l("Seat preference"), choices=[])
    meal_preference = SelectField(_l("Meal preference"), choices=[])

    FIELDS = ("name", "name_en", "ff_number", "seat_preference", "meal_preference")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seat_preference.choices = choices("seat_preference")
        self.meal_preference.choices = choices("meal_preference")

    def values(self) -> dict:
        return {name: self[name].data for name in self.FIELDS}


class FeedbackForm(PortalForm):
    """Feedback to the airline: it lands on the company's timeline for the account manager."""

    summary = TextAreaField(
        _l("Your feedback"),
        filters=[clean],
        validators=[DataRequired(message=_l("Write your feedback.")), Length(max=MAX_FEEDBACK_CHARS)],
        description=_l("Your account manager reads it and answers you."),
    )


class RemoveForm(PortalForm):
    """Remove a traveller (a button)."""


class CancelForm(PortalForm):
    """Cancel a request (a button)."""
