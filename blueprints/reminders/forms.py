"""Reminder forms: snooze, run a job; field validation only. Completing a reminder records an
interaction with the dossier's InteractionForm (blueprints.companies.forms)."""

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
