"""Pipeline forms: the opportunity's details and the stage move (field shapes only; the rules
between values are the service's, in portal.pipeline.operations)."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from blueprints.forms import PortalForm, at_most_two_decimals, finite, row_id
from portal.labels import label
from portal.pipeline.models import LOST_REASONS, OPPORTUNITY_KINDS, STAGES
from portal.pipeline.operations import Details


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class OpportunityForm(PortalForm):
    """Title, kind, expected revenue, probability, close date, owner and next step."""

    title = StringField(_l("Title"), filters=[_strip], validators=[InputRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=[], validate_choice=True)
    expected_revenue = DecimalField(
        _l("Expected annual revenue (CNY)"),
        places=2,
        validators=[InputRequired(), finite, at_most_two_decimals, NumberRange(min=0, max=10**13)],
    )
    probability = IntegerField(
        _l("Probability (%)"),
        validators=[Optional(), NumberRange(min=0, max=100, message=_l("Between 0 and 100."))],
        description=_l("Leave empty for the stage's default."),
    )
    close_date = DateField(_l("Expected close date"), validators=[Optional()])
    owner_id = SelectField(_l("Owner"), choices=[], coerce=int, validate_choice=False, validators=[row_id()])
    next_step = TextAreaField(_l("Next step"), filters=[_strip], validators=[Optional(), Length(max=2000)])
    next_step_on = DateField(_l("Next step on"), validators=[Optional()])

    def __init__(self, owners, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k, label(k, "opportunity_kind")) for k in OPPORTUNITY_KINDS]
        self.owner_id.choices = [(u.id, u.name) for u in owners]

    def details(self) -> Details:
        revenue = self.expected_revenue.data
        return Details(
            title=self.title.data,
            kind=self.kind.data,
            expected_revenue_fen=int(revenue * 100) if isinstance(revenue, Decimal) else None,
            probability=self.probability.data,
            close_date=self.close_date.data,
            owner_id=self.owner_id.data,
            next_step=self.next_step.data,
            next_step_on=self.next_step_on.data,
        )

    def fill(self, opportunity) -> None:
        self.title.data = opportunity.title
        self.kind.data = opportunity.kind
        self.expected_revenue.data = Decimal(opportunity.expected_revenue_fen) / 100
        self.probability.data = opportunity.probability
        self.close_date.data = opportunity.close_date
        self.owner_id.data = opportunity.owner_id
        self.next_step.data = opportunity.next_step
        self.next_step_on.data = opportunity.next_step_on


class StageForm(PortalForm):
    """Move to a stage; "lost" needs a reason. `back` says where to return (board or detail)."""

    stage = SelectField(_l("Stage"), choices=[], validate_choice=True)
    lost_reason = SelectField(_l("Reason for the loss"), choices=[], default="", validate_choice=True)
    back = HiddenField(default="detail")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stage.choices = [(s, label(s, "opportunity_stage")) for s in STAGES]
        self.lost_reason.choices = [("", "–")] + [(r, label(r, "lost_reason")) for r in LOST_REASONS]
