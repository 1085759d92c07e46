"""Forms of the import and merge pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from blueprints.forms import PortalForm


class ImportForm(PortalForm):
    kind = SelectField(
        _l("What the file holds"),
        choices=[("bookings", _l("Bookings (flown segments)")), ("companies", _l("Companies"))],
    )
    file = FileField(
        _l("CSV or XLSX file"), validators=[FileRequired(message=_l("Choose a file to upload."))]
    )
    dry_run = BooleanField(_l("Dry run: check and report, write nothing"))


class MergeForm(PortalForm):
    survivor = StringField(
        _l("Surviving company (id or credit code)"), validators=[DataRequired(), Length(max=40)]
    )
    absorbed = StringField(
        _l("Absorbed company (id or credit code)"), validators=[DataRequired(), Length(max=40)]
    )
    confirm = HiddenField()


class RetryTaskForm(PortalForm):
    """The retry button of a failed task (CSRF only)."""
