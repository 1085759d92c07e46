"""Forms of the organisation pages (field validation only; the rules live in portal.org)."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from blueprints.forms import PortalForm, row_id, row_ids


class NamesForm(PortalForm):
    name_zh = StringField(_l("Chinese name"), validators=[DataRequired(), Length(max=100)])
    name_en = StringField(_l("English name"), validators=[DataRequired(), Length(max=100)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=50)])


class BranchForm(NamesForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=16)])


class OfficeForm(BranchForm):
    branch_id = SelectField(
        _l("Branch"), coerce=int, choices=[], validate_choice=False, validators=[Optional(), row_id(0)]
    )

    def __init__(self, branches, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.branch_id.choices = [(b.id, f"{b.name_zh} ({b.code})") for b in branches]


class CloseForm(PortalForm):
    pass


class MoveForm(PortalForm):
    company_ids = SelectMultipleField(
        _l("Companies"), coerce=int, choices=[], validate_choice=False, validators=[row_ids()]
    )
    office_id = SelectField(
        _l("Target office"), coerce=int, choices=[], validate_choice=False, validators=[Optional(), row_id(0)]
    )
    manager_id = SelectField(
        _l("New account manager"),
        coerce=int,
        choices=[],
        validate_choice=False,
        validators=[Optional(), row_id(0)],
        description=_l("Required when a company's manager is not in the target office."),
    )
    note = TextAreaField(_l("Note to the managers"), validators=[Optional(), Length(max=500)])

    def __init__(self, offices, managers, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.office_id.choices = [(0, "–")] + [(o.id, f"{o.name_zh} ({o.branch.name_zh})") for o in offices]
        self.manager_id.choices = [(0, _l("Keep the current managers"))] + [
            (m.id, f"{m.name} ({m.office.name_zh})") for m in managers
        ]
