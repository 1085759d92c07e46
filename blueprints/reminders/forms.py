"""Reminder forms: complete (records an interaction), snooze, run a job; field validation only."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from blueprints.companies.forms import TEXT
from blueprints.forms import PortalForm
from portal.labels import choices
from portal.reminders.operations import CONTACT_KINDS


class CompleteForm(PortalForm):
    kind = SelectField(_l("Type"), choices=[])
    occurred_at = DateTimeLocalField(
        _l("When"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired(message=_l("Enter a valid date and time."))],
        description=_l("Local time (Beijing)."),
    )
    summary = TextAreaField(_l("Summary"), filters=TEXT, validators=[DataRequired(), Length(max=4000)])
    outcome = TextAreaField(_l("Outcome"), filters=TEXT, validators=[Optional(), Length(max=4000)])
    next_step = TextAreaField(_l("Next step"), filters=TEXT, validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k, v) for k, v in choices("interaction_kind") if k in CONTACT_KINDS]


class SnoozeForm(PortalForm):
    # The rules (a future date within 60 days, a reason) are the service's; it puts them back here.
    until = DateField(_l("New date"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), filters=TEXT, validators=[Optional(), Length(max=2000)])


class RunJobForm(PortalForm):
    name = StringField(validators=[DataRequired(), Length(max=60)])
