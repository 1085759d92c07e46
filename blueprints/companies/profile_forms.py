"""Forms of a company's profile (new and edit) and of its status; field validation only: scope,
de-duplication and the group rules are the services' (portal/companies/profile.py)."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from blueprints.forms import TEXT, PortalForm
from portal.labels import choices


class ProfileForm(PortalForm):
    """The profile fields, named as the Company columns."""

    name_zh = StringField(_l("Chinese name"), filters=TEXT, validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("English name"), filters=TEXT, validators=[Optional(), Length(max=200)])
    credit_code = StringField(
        _l("Unified social credit code"),
        filters=TEXT,
        validators=[DataRequired(), Length(max=40)],
        description=_l("18 characters; the last one is a check character."),
    )
    industry = SelectField(_l("Industry"), choices=[])
    headcount_band = SelectField(_l("Headcount"), choices=[])
    city = StringField(_l("City"), filters=TEXT, validators=[DataRequired(), Length(max=50)])
    address = StringField(_l("Address"), filters=TEXT, validators=[Optional(), Length(max=300)])
    parent_id = StringField(
        _l("Parent company"),
        filters=TEXT,
        validators=[Optional(), Length(max=40)],
        description=_l("The parent's company number or credit code; leave empty for none."),
    )
    # The ids of the similar companies the user has seen and confirmed are not this one.
    confirm = StringField(filters=TEXT, validators=[Optional(), Length(max=500)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.industry.choices = choices("industry")
        self.headcount_band.choices = choices("headcount_band")

    def confirmed_ids(self) -> set[int]:
        """The company ids the confirm field names."""
        parts = (self.confirm.data or "").split(",")
        return {int(p) for p in parts if p.strip().isdigit()}


class NewCompanyForm(ProfileForm):
    """A new company: the profile, and where it is served (checked against the actor's scope)."""

    office_id = SelectField(_l("Sales office"), choices=[], validate_choice=False)
    manager_id = SelectField(_l("Account manager"), choices=[], validate_choice=False)

    def __init__(self, offices, managers, allow_unassigned: bool, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.office_id.choices = [(str(o.id), f"{o.name_zh} ({o.code})") for o in offices]
        self.manager_id.choices = ([("", _l("Not assigned yet"))] if allow_unassigned else []) + [
            (str(u.id), f"{u.name} · {u.office.name_zh}" if u.office else u.name) for u in managers
        ]


class StatusForm(PortalForm):
    status = SelectField(_l("New status"), choices=[], validate_choice=False)
    reason = TextAreaField(
        _l("Reason"),
        filters=TEXT,
        validators=[DataRequired(), Length(max=2000)],
        description=_l("Shown on the company's timeline."),
    )

    def __init__(self, moves, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(choices("company_status"))
        self.status.choices = [(m, labels[m]) for m in moves]
