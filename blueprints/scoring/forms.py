"""Scoring configuration forms (field types only; the rules live in portal.scoring.config)."""

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from blueprints.forms import PortalForm
from portal.scoring.config import COMPONENT_LABELS, MAX_NOTE, RULE_FIELDS


def _weight(name: str) -> IntegerField:
    return IntegerField(COMPONENT_LABELS[name], validators=[InputRequired()])


class ConfigForm(PortalForm):
    """Proposed weights, tier shares and activity limits, and why they change."""

    weight_revenue = _weight("revenue")
    weight_frequency = _weight("frequency")
    weight_premium = _weight("premium")
    weight_growth = _weight("growth")
    weight_recency = _weight("recency")
    weight_attainment = _weight("attainment")
    share_platinum = DecimalField(_l("Platinum"), places=None, validators=[InputRequired()])
    share_gold = DecimalField(_l("Gold"), places=None, validators=[InputRequired()])
    share_silver = DecimalField(_l("Silver"), places=None, validators=[InputRequired()])
    active_days = IntegerField(
        _l("Active within"),
        validators=[InputRequired()],
        description=_l("Flew within this many days: active."),
    )
    lost_days = IntegerField(
        _l("Lost after"),
        validators=[InputRequired()],
        description=_l("No flight for longer: lost; in between: sleeping."),
    )
    note = TextAreaField(
        _l("Reason for the change"),
        validators=[Optional(), Length(max=MAX_NOTE)],
        description=_l("Required to save; kept with the version."),
    )

    def values(self) -> dict:
        """The submitted settings and note, as the service takes them."""
        values = {name: self._fields[name].data for name in RULE_FIELDS}
        values["note"] = self.note.data
        return values


class RescoreForm(PortalForm):
    """A button: recompute the latest scores with the rules in use."""
