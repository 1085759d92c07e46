"""The audit search form (GET: no CSRF token, nothing changes)."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, Regexp, ValidationError

from blueprints.forms import PortalForm
from portal.audit.display import entity_choices
from portal.labels import choices


class AuditSearchForm(PortalForm):
    class Meta:
        csrf = False

    actor = StringField(_l("Who (email or part of it)"), validators=[Optional(), Length(max=254)])
    entity = SelectField(_l("Record type"), choices=[], default="")
    entity_id = IntegerField(_l("Record id"), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    action = SelectField(_l("Action"), choices=[], default="")
    refused = BooleanField(_l("Refused accesses only"))
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    batch = StringField(validators=[Optional(), Regexp(r"^[0-9a-f]{32}$", message=_l("Not a valid change."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.entity.choices = [("", _l("Any record")), *entity_choices()]
        self.action.choices = [("", _l("Any action"))] + choices("audit_action")

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))
