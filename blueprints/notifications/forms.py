"""Notification forms."""

from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from blueprints.forms import PortalForm


class MarkReadForm(PortalForm):
    """Mark one notification read, or all of them when no id is given."""

    notification_id = IntegerField(validators=[Optional(), NumberRange(min=1)])
