"""User administration forms."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional

from blueprints.forms import PortalForm, row_id
from portal.api.models import SCOPES
from portal.auth.models import ROLES
from portal.labels import choices


class UserForm(PortalForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("Role"), choices=[])
    office_id = SelectField(
        _l("Sales office"), coerce=int, choices=[], validate_choice=False, validators=[row_id(minimum=0)]
    )
    company_code = StringField(
        _l("Company credit code"),
        validators=[Optional(), Length(max=18)],
        description=_l("Bookers only: the 18-character credit code of their company."),
    )
    station_id = SelectField(
        _l("Station"),
        coerce=int,
        choices=[],
        default=0,
        validate_choice=False,
        validators=[Optional(), row_id(0)],
        description=_l("Station staff only: the airport they serve."),
    )
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    title = StringField(_l("Job title"), validators=[Optional(), Length(max=100)])

    def __init__(self, offices, *args, stations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [c for c in choices("role") if c[0] in ROLES]
        self.office_id.choices = [(0, "–")] + [(o.id, f"{o.name_zh} ({o.branch.name_zh})") for o in offices]
        self.station_id.choices = [(0, "–")] + [(s.id, f"{s.code} · {s.name}") for s in stations]


class NewUserForm(UserForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), Length(max=256)],
        description=_l("At least 12 characters; common passwords are refused."),
    )


class ToggleForm(PortalForm):
    pass


class HandoverForm(PortalForm):
    """A leaver's handover: one manager for every company, or one chosen per company (the
    per-company fields are added by `handover_form`)."""

    default_manager_id = SelectField(
        _l("New manager for every company"),
        coerce=int,
        choices=[],
        validate_choice=False,
        validators=[Optional(), row_id(0)],
    )
    note = TextAreaField(_l("Note to the new managers"), validators=[Optional(), Length(max=500)])

    def company_fields(self):
        """The per-company fields with their company ids."""
        return [(int(f.name.removeprefix("manager_")), f) for f in self if f.name.startswith("manager_")]


def handover_form(companies, managers, *args, **kwargs) -> HandoverForm:
    """The handover form for these companies, each offering the same managers."""
    choices = [(m.id, f"{m.name} ({m.office.name_zh})") for m in managers]

    class Form(HandoverForm):
        pass

    for company in companies:
        setattr(
            Form,
            f"manager_{company.id}",
            SelectField(
                company.name_zh, coerce=int, validate_choice=False, validators=[Optional(), row_id(0)]
            ),
        )
    form = Form(*args, **kwargs)
    form.default_manager_id.choices = [(0, "–"), *choices]
    for _company_id, field in form.company_fields():
        field.choices = [(0, _l("As above")), *choices]
    return form


class ApiClientForm(PortalForm):
    """A new API client; the scope names are an interface (DESIGN §6)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    scopes = SelectMultipleField(
        _l("Scopes"),
        choices=[(s, s) for s in SCOPES],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )
    company_code = StringField(
        _l("Company credit code"),
        validators=[Optional(), Length(max=18)],
        description=_l("Optional: the client then acts as this company's booker and sees nothing else."),
    )
    expires_on = DateField(_l("Expires on"), validators=[Optional()])


class StationForm(PortalForm):
    """A station (airport) and the distribution list of its VIP service notice."""

    code = StringField(_l("IATA code"), validators=[DataRequired(), Length(max=3)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    distribution = TextAreaField(
        _l("Distribution list"),
        validators=[Optional(), Length(max=13000)],
        description=_l("One address a line: ground, cabin, catering and lounge staff."),
    )
