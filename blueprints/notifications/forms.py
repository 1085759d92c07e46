"""Notification forms."""

from wtforms import IntegerField
from wtforms.validators import Optional

from blueprints.forms import PortalForm, row_id


class MarkReadForm(PortalForm):
    """Mark one notification read, or all of them when no id is given."""

    notification_id = IntegerField(validators=[Optional(), row_id()])
