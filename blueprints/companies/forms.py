"""Dossier forms: contacts, key travellers, interactions, complaint status, handover."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from blueprints.forms import FF_NUMBER, TEXT, PortalForm, row_id
from portal.companies.models import COMPLAINT_STATUSES, INTERACTION_KINDS
from portal.labels import choices
from portal.timeutil import local_now, local_to_utc

PHONE = Regexp(r"^[0-9+() \-]*$", message=_l("Use digits, spaces and + ( ) - only."))
EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an email address like name@example.com."))


class ContactForm(PortalForm):
    name = StringField(_l("Name"), filters=TEXT, validators=[DataRequired(), Length(max=100)])
    title = StringField(_l("Job title"), filters=TEXT, validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), choices=[])
    phone = StringField(_l("Phone"), filters=TEXT, validators=[Optional(), Length(max=30), PHONE])
    email = StringField(_l("Email"), filters=TEXT, validators=[Optional(), Length(max=254), EMAIL])
    notes = TextAreaField(_l("Notes"), filters=TEXT, validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = choices("contact_role")


class TravellerForm(PortalForm):
    name = StringField(_l("Name"), filters=TEXT, validators=[DataRequired(), Length(max=100)])
    name_en = StringField(
        _l("Name in Latin letters"),
        filters=TEXT,
        validators=[Optional(), Length(max=100)],
        description=_l("As printed in the passport, e.g. ZHANG/SAN."),
    )
    ff_number = StringField(
        _l("Frequent-flyer number"), filters=TEXT, validators=[Optional(), Length(max=20), FF_NUMBER]
    )
    member_tier = SelectField(_l("Member tier"), choices=[])
    seat_preference = SelectField(_l("Seat preference"), choices=[])
    meal_preference = SelectField(_l("Meal preference"), choices=[])
    notes = TextAreaField(_l("Notes"), filters=TEXT, validators=[Optional(), Length(max=2000)])
    vip_level = SelectField(_l("VIP level"), choices=[], default="none")
    service_needs = SelectMultipleField(
        _l("Standing service needs"),
        choices=[],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )
    id_document_type = SelectField(_l("Identity document"), choices=[], default="")
    id_document_number = StringField(
        _l("Document number"),
        filters=TEXT,
        validators=[Optional(), Length(max=40)],
        description=_l("Stored encrypted and shown masked. Leave empty to keep the number on file."),
    )
    clear_id_document = BooleanField(_l("Remove the identity document"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.member_tier.choices = choices("member_tier")
        self.seat_preference.choices = choices("seat_preference")
        self.meal_preference.choices = choices("meal_preference")
        self.vip_level.choices = choices("vip_level")
        self.service_needs.choices = choices("service_need")
        self.id_document_type.choices = [("", _l("None"))] + choices("id_document_type")


class InteractionForm(PortalForm):
    """An interaction with the company: any kind on the dossier; completing a reminder passes
    the kinds that count as a contact (`kinds`)."""

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

    def __init__(self, *args, kinds=INTERACTION_KINDS, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k, v) for k, v in choices("interaction_kind") if k in kinds]

    def start(self, kind: str) -> None:
        """Fill a new interaction in: `kind`, happening now (local time, to the minute)."""
        self.kind.data = kind
        self.occurred_at.data = local_now().replace(second=0, microsecond=0, tzinfo=None)

    def values(self) -> dict:
        """The interaction as the operations take it (the time in UTC)."""
        return {
            "kind": self.kind.data,
            "occurred_at": local_to_utc(self.occurred_at.data),
            "summary": self.summary.data,
            "outcome": self.outcome.data,
            "next_step": self.next_step.data,
        }


class ComplaintStatusForm(PortalForm):
    status = SelectField(_l("Status"), choices=[])
    resolution = TextAreaField(
        _l("Resolution"),
        filters=TEXT,
        validators=[Optional(), Length(max=4000)],
        description=_l("What was done; it becomes the complaint's outcome."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [(k, v) for k, v in choices("complaint_status") if k in COMPLAINT_STATUSES]


class ReassignForm(PortalForm):
    manager_id = SelectField(
        _l("New account manager"), coerce=int, choices=[], validate_choice=False, validators=[row_id()]
    )
    note = TextAreaField(
        _l("Handover note"),
        filters=TEXT,
        validators=[Optional(), Length(max=1000)],
        description=_l("The new manager reads it in the notification."),
    )

    def __init__(self, candidates, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.manager_id.choices = [
            (u.id, f"{u.name} · {u.office.name_zh}" if u.office else u.name) for u in candidates
        ]


class ActionForm(PortalForm):
    """A button that only needs its CSRF token (delete, reveal)."""
