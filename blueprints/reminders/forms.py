"""Reminder forms: snooze, run a job; field validation only (completing one records an
interaction: blueprints.forms.InteractionForm)."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from blueprints.forms import TEXT, PortalForm


class SnoozeForm(PortalForm):
    # The rules (a future date within 60 days, a reason) are the service's; it puts them back here.
    until = DateField(_l("New date"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), filters=TEXT, validators=[Optional(), Length(max=2000)])


class RunJobForm(PortalForm):
    name = StringField(validators=[DataRequired(), Length(max=60)])
