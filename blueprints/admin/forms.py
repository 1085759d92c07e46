"""User administration forms."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from blueprints.forms import PortalForm, row_id
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
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    title = StringField(_l("Job title"), validators=[Optional(), Length(max=100)])

    def __init__(self, offices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [c for c in choices("role") if c[0] in ROLES]
        self.office_id.choices = [(0, "–")] + [(o.id, f"{o.name_zh} ({o.branch.name_zh})") for o in offices]


class NewUserForm(UserForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), Length(max=256)],
        description=_l("At least 12 characters; common passwords are refused."),
    )


class ToggleForm(PortalForm):
    pass
