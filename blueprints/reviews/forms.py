"""Forms of the reviews area (field validation only; permissions are checked by the routes)."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Optional, Regexp

from blueprints.forms import PortalForm, row_id

PERIOD_PATTERN = r"^\d{4}(Q[1-4])?$"


class GenerateForm(PortalForm):
    """Generate one review: an account review (company_id) or a portfolio review (branch)."""

    kind = HiddenField(validators=[DataRequired()])
    company_id = IntegerField(validators=[Optional(), row_id()])
    # Checked by the route against the branches the user may choose (validate_choice is off so an
    # account review, which has no branch, validates too).
    branch_id = SelectField(_l("Branch"), coerce=str, validate_choice=False, choices=[("", "")])
    include_subsidiaries = BooleanField(_l("Include the subsidiaries"))
    period = StringField(
        _l("Period"),
        validators=[
            DataRequired(),
            Regexp(PERIOD_PATTERN, message=_l("A quarter such as 2026Q3, or a year such as 2026.")),
        ],
    )
