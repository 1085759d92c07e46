"""The survey's answers: NPS 0-10, three ratings 1-5, a comment."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from blueprints.forms import PortalForm
from portal.surveys.operations import COMMENT_MAX

RATING_CHOICES = [(n, str(n)) for n in range(1, 6)]


def _rating(label):
    return RadioField(
        label,
        choices=RATING_CHOICES,
        coerce=int,
        validators=[InputRequired(message=_l("Choose from 1 to 5."))],
    )


class SurveyForm(PortalForm):
    nps = RadioField(
        _l("How likely are you to recommend us to a colleague or a partner?"),
        choices=[(n, str(n)) for n in range(11)],
        coerce=int,
        validators=[InputRequired(message=_l("Choose a number from 0 to 10."))],
    )
    rating_booking = _rating(_l("Booking and priority seats"))
    rating_service = _rating(_l("Service on the ground and on board"))
    rating_manager = _rating(_l("Your account manager"))
    comment = TextAreaField(_l("Anything you would like to tell us?"), validators=[Length(max=COMMENT_MAX)])
