"""Agreement forms: the terms editor (with row lists that need no JavaScript) and the actions.

The forms check the shape of each value (numbers, codes, choices); the rules between values
(ascending tiers, overlapping validity, complete rows) are the service's, in
portal.agreements.operations.validate_terms.
"""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from blueprints.forms import PortalForm, at_most_two_decimals, finite, iata_code
from portal.agreements.models import CABINS, DISCOUNT_SCOPES, ENTITLEMENTS
from portal.agreements.operations import DiscountTerm, Terms, TierTerm
from portal.labels import label

BLANK_DISCOUNT_ROWS = 3
BLANK_TIER_ROWS = 2
MAX_DISCOUNT_ROWS = 60
MAX_TIER_ROWS = 12


class RowList(FieldList):
    """A FieldList that ignores row numbers other than plain ASCII digits ("discounts-²-x")."""

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if index.isascii() and index.isdigit() and len(index) < 6:
                    yield int(index)


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


def _strip(value):
    return value.strip() if isinstance(value, str) else value


PERCENT = [
    Optional(),
    finite,
    at_most_two_decimals,
    NumberRange(min=0, max=100, message=_l("Between 0 and 100.")),
]
IATA = [Optional(), iata_code]


class DiscountRow(Form):
    """One discount row; a row left blank is ignored."""

    scope = SelectField(_l("Scope"), choices=[], validate_choice=True)
    origin = StringField(_l("From"), filters=[_upper], validators=IATA)
    destination = StringField(_l("To"), filters=[_upper], validators=IATA)
    cabin = SelectField(_l("Cabin"), choices=[], validate_choice=True)
    percent = DecimalField(_l("Discount %"), places=2, validators=PERCENT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope.choices = [("", "–")] + [(s, label(s, "discount_scope")) for s in DISCOUNT_SCOPES]
        self.cabin.choices = [("", "–")] + [(c, f"{c} · {label(c, 'cabin')}") for c in CABINS]

    def is_blank(self) -> bool:
        percent = (self.percent.raw_data or [""])[0].strip()
        return not any([self.scope.data, self.origin.data, self.destination.data, self.cabin.data, percent])

    def term(self) -> DiscountTerm:
        return DiscountTerm(
            scope=self.scope.data or None,
            cabin=self.cabin.data or None,
            percent=self.percent.data,
            origin=self.origin.data or None,
            destination=self.destination.data or None,
        )


class TierRow(Form):
    """One incentive tier; a row left blank is ignored."""

    threshold = DecimalField(
        _l("Attainment %"),
        places=2,
        validators=[Optional(), finite, at_most_two_decimals, NumberRange(min=0, max=1000)],
    )
    rebate = DecimalField(_l("Rebate %"), places=2, validators=PERCENT)

    def is_blank(self) -> bool:
        return not any((f.raw_data or [""])[0].strip() for f in (self.threshold, self.rebate))

    def term(self) -> TierTerm:
        return TierTerm(threshold=self.threshold.data, rebate=self.rebate.data)


class TermsForm(PortalForm):
    """The terms of a draft agreement."""

    valid_from = DateField(_l("Valid from"), validators=[InputRequired()])
    valid_to = DateField(_l("Valid to (last day)"), validators=[InputRequired()])
    commitment_revenue = DecimalField(
        _l("Committed revenue a year (CNY)"),
        places=2,
        validators=[InputRequired(), finite, at_most_two_decimals, NumberRange(min=0, max=10**13)],
    )
    commitment_segments = IntegerField(
        _l("Committed segments a year"), validators=[InputRequired(), NumberRange(min=0, max=10_000_000)]
    )
    discounts = RowList(FormField(DiscountRow), max_entries=MAX_DISCOUNT_ROWS)
    incentive_tiers = RowList(FormField(TierRow), max_entries=MAX_TIER_ROWS)
    priority_booking = BooleanField(_l("Priority booking"))
    waitlist_priority = BooleanField(_l("Waitlist priority"))
    lounge = BooleanField(_l("Lounge access"))
    fast_track = BooleanField(_l("Fast track"))
    extra_baggage = BooleanField(_l("Extra baggage"))
    dedicated_hotline = BooleanField(_l("Dedicated hotline"))
    ticket_pickup = BooleanField(_l("Airport ticket pick-up"))
    checkin_help = BooleanField(_l("Check-in and baggage help"))
    escort = BooleanField(_l("Escort through the airport"))
    internal_notes = TextAreaField(
        _l("Internal notes"),
        filters=[_strip],
        validators=[Optional(), Length(max=4000)],
        description=_l("For staff only: never printed on the agreement or shown to the company."),
    )

    def add_blank_rows(self) -> None:
        """Room for new rows: a few blank ones after those in use."""
        for _ in range(BLANK_DISCOUNT_ROWS):
            if len(self.discounts.entries) < MAX_DISCOUNT_ROWS:
                self.discounts.append_entry()
        for _ in range(BLANK_TIER_ROWS):
            if len(self.incentive_tiers.entries) < MAX_TIER_ROWS:
                self.incentive_tiers.append_entry()

    def fill(self, terms: Terms) -> None:
        """Show existing terms (GET)."""
        self.valid_from.data = terms.valid_from
        self.valid_to.data = terms.valid_to
        self.commitment_revenue.data = Decimal(terms.commitment_revenue_fen) / 100
        self.commitment_segments.data = terms.commitment_segments
        for name in ENTITLEMENTS:
            getattr(self, name).data = name in terms.entitlements
        self.internal_notes.data = terms.internal_notes
        for d in terms.discounts:
            self.discounts.append_entry(
                {
                    "scope": d.scope,
                    "origin": d.origin or "",
                    "destination": d.destination or "",
                    "cabin": d.cabin,
                    "percent": d.percent,
                }
            )
        for t in terms.tiers:
            self.incentive_tiers.append_entry({"threshold": t.threshold, "rebate": t.rebate})

    def terms(self) -> Terms:
        """The terms entered, blank rows left out (after validate())."""
        return Terms(
            valid_from=self.valid_from.data,
            valid_to=self.valid_to.data,
            commitment_revenue_fen=int(self.commitment_revenue.data * 100),
            commitment_segments=self.commitment_segments.data,
            discounts=[row.form.term() for row in self.discounts if not row.form.is_blank()],
            tiers=[row.form.term() for row in self.incentive_tiers if not row.form.is_blank()],
            entitlements={name for name in ENTITLEMENTS if getattr(self, name).data},
            internal_notes=self.internal_notes.data,
        )

    def entitlement_fields(self):
        return [getattr(self, name) for name in ENTITLEMENTS]


class ActionForm(PortalForm):
    """A button that changes the agreement (submit, approve, renew, render)."""


class ReasonForm(PortalForm):
    """Reject or terminate: the reason is required and goes into the status history."""

    reason = TextAreaField(_l("Reason"), filters=[_strip], validators=[DataRequired(), Length(max=2000)])


class ScanForm(PortalForm):
    """Attach a signed scan (PDF or image, checked by content)."""

    file = FileField(_l("Signed scan (PDF, PNG, JPEG or TIFF)"), validators=[FileRequired()])
