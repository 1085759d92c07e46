"""Dossier document forms: a new document, a new version of one (field validation only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from blueprints.forms import TEXT, PortalForm
from portal.labels import choices


class DocumentForm(PortalForm):
    """Upload a file as a new document of the company."""

    kind = SelectField(_l("Kind"), choices=[])
    title = StringField(_l("Title"), filters=TEXT, validators=[Optional(), Length(max=200)])
    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file to upload."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices("document_kind")


class VersionForm(PortalForm):
    """Upload a file as the next version of a document."""

    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file to upload."))])
