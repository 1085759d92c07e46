"""A form base that takes a service's ValidationFailed reasons back onto its fields, and the
validators forms of several blueprints share."""

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms.fields import FileField
from wtforms.validators import NumberRange, Regexp, ValidationError

from portal.airports import is_iata_code, not_an_iata_code

# Row ids are 32-bit integers on both databases: a larger number names no row, and SQLite cannot
# even bind it (OverflowError), so an id field refuses it before any query sees it.
MAX_ROW_ID = 2**31 - 1

# Control characters (NUL among them: PostgreSQL refuses it in text) never reach the database;
# line breaks and tabs stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(value):
    """Strip surrounding space and control characters from submitted text."""
    if isinstance(value, str):
        return _CONTROL.sub("", value).strip()
    return value


TEXT = [clean]  # the filters of a free-text field
FF_NUMBER = Regexp(r"^[0-9A-Za-z ]*$", message=_l("Use letters and digits only."))


def iata_code(form, field) -> None:
    """An airport's three-letter IATA code (the field's filters strip and upper-case it)."""
    if not is_iata_code(field.data):
        raise ValidationError(not_an_iata_code())


def finite(form, field):
    """Refuse NaN and infinities, which Decimal accepts and no comparison survives."""
    if isinstance(field.data, Decimal) and not field.data.is_finite():
        raise ValidationError(_l("Enter a number."))


def at_most_two_decimals(form, field):
    """Refuse more than two decimal places (amounts are kept in fen, percentages in hundredths)."""
    if isinstance(field.data, Decimal) and field.data.is_finite() and field.data.as_tuple().exponent < -2:
        raise ValidationError(_l("Use at most two decimals."))


def row_id(minimum: int = 1) -> NumberRange:
    """The range of a submitted row id (0 is allowed where it stands for "none")."""
    return NumberRange(min=minimum, max=MAX_ROW_ID, message=_l("Not a valid choice."))


def row_ids(minimum: int = 1):
    """`row_id` for each of a multiple choice's submitted ids."""
    each = row_id(minimum)

    def check(form, field) -> None:
        for value in field.data or ():
            if not isinstance(value, int) or not each.min <= value <= each.max:
                raise ValidationError(str(each.message))

    return check


class PortalForm(FlaskForm):
    """FlaskForm with `populate_errors` for rules the services enforce."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            """The submitted values, each of the kind its field takes: text for text fields, an
            upload for file fields. A file sent where text is expected, text where a file is, and
            the numbers, lists and objects of a JSON body are left out, so the field reads as
            empty and says so instead of failing on a value it cannot handle. NUL characters are
            dropped from text: PostgreSQL refuses them even in a query's parameters."""
            try:
                data = super().wrap_formdata(form, formdata)
            except (TypeError, ValueError):  # a JSON body that is not an object
                data = MultiDict()
            if data is None:
                return None
            files = {field.name for field in form if isinstance(field, FileField)}
            kept = MultiDict()
            for name, value in data.items(multi=True):
                wanted = FileStorage if name in files else str
                if isinstance(value, wanted):
                    kept.add(name, value.replace("\x00", "") if wanted is str else value)
            return kept

    def populate_errors(self, reasons: dict[str | None, list[str]]) -> None:
        """Attach each reason to its field, or to the form when the field is unknown."""
        for name, messages in reasons.items():
            field = self._fields.get(name) if name else None
            if field is not None:
                field.errors = list(field.errors) + list(messages)
            else:
                self.form_errors.extend(messages)
