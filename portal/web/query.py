"""Query-string parameters: every view declares the ones it reads (`reads`), each with its kind
and bounds. They are parsed once, before the view runs; a malformed or out-of-range value is
dropped (the view gets the default) and the page says so, so no query string can reach a query
or a date computation unchecked. Views read the parsed values with `arg`; GET filter forms
(WTForms) are declared with `form=` and validate their own fields, bounded by `within_dates`."""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import current_app, flash, g, request
from flask_babel import gettext as _
from wtforms import DateField
from wtforms.validators import ValidationError

from portal.extensions import db

# The dates a page may be asked about: wide enough for any flown segment, agreement or
# forecast, and far enough from date.min/date.max that a month or a year either side exists.
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2099, 12, 31)
MAX_ID = 2**31 - 1  # the databases' INTEGER
MAX_PAGE = 10_000
MAX_PER_PAGE = 100
TEXT_LENGTH = 200
MAX_VALUES = 20  # of a parameter given several times (?tier=gold&tier=silver)

_INTEGER = re.compile(r"[+-]?[0-9]{1,12}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadValue(ValueError):
    """A query value the view must not see; its text says why, for the page."""


def _plain(raw: str) -> str:
    # Full-width digits and signs (１２, ２０２６－０３) are what some keyboards type.
    return unicodedata.normalize("NFKC", raw).strip()


def _integer(param: "Param", raw: str) -> int:
    text = _plain(raw)
    if not _INTEGER.fullmatch(text) or not param.minimum <= int(text) <= param.maximum:
        raise BadValue(
            _(
                "“%(name)s” must be a whole number from %(minimum)s to %(maximum)s.",
                name=param.name,
                minimum=param.minimum,
                maximum=param.maximum,
            )
        )
    return int(text)


def _bad_date(param: "Param", form: str) -> BadValue:
    between = _(
        "Between %(minimum)s and %(maximum)s.", minimum=MIN_DATE.isoformat(), maximum=MAX_DATE.isoformat()
    )
    return BadValue(f"“{param.name}”: {form} {between}")


def _day(param: "Param", raw: str) -> date:
    text = _plain(raw)
    try:
        value = date.fromisoformat(text) if _DATE.fullmatch(text) else None
    except ValueError:
        value = None
    if value is None or not MIN_DATE <= value <= MAX_DATE:
        raise _bad_date(param, _("A date as YYYY-MM-DD, e.g. 2026-03-31."))
    return value


def _month(param: "Param", raw: str) -> date:
    match = _MONTH.fullmatch(_plain(raw))
    year, month = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if not (1 <= month <= 12 and MIN_DATE.year <= year <= MAX_DATE.year):
        raise _bad_date(param, _("A month as YYYY-MM, e.g. 2026-03."))
    return date(year, month, 1)


def _text(param: "Param", raw: str) -> str:
    if _CONTROL.search(raw):
        # PostgreSQL refuses NUL in text, and no field of ours holds control characters.
        raise BadValue(_("“%(name)s” contains control characters.", name=param.name))
    if len(raw) > param.maximum:
        raise BadValue(
            _("“%(name)s” is longer than %(maximum)s characters.", name=param.name, maximum=param.maximum)
        )
    if param.choices and raw not in param.choices:
        raise BadValue(_("“%(name)s” is not one of the choices.", name=param.name))
    return raw


@dataclass(frozen=True)
class Param:
    """One query parameter a view reads: its name, how it is parsed and its default."""

    name: str
    kind: str  # "int", "date", "month" or "text"
    parse_with: Callable[["Param", str], object]
    default: object = None
    minimum: int = 0
    maximum: int = 0
    choices: tuple = ()
    many: bool = False

    def parse(self, raw: str):
        """The value of `raw`, or BadValue."""
        return self.parse_with(self, raw)


def int_param(name: str, default: int | None = None, *, minimum: int = 1, maximum: int = MAX_ID) -> Param:
    """A whole number within [minimum, maximum] (ids by default)."""
    return Param(name, "int", _integer, default, minimum=minimum, maximum=maximum)


def date_param(name: str, default: date | None = None) -> Param:
    """A date (YYYY-MM-DD) between MIN_DATE and MAX_DATE."""
    return Param(name, "date", _day, default)


def month_param(name: str, default: date | None = None) -> Param:
    """A month (YYYY-MM), as its first day, between MIN_DATE and MAX_DATE."""
    return Param(name, "month", _month, default)


def text_param(
    name: str, default: str = "", *, maximum: int = TEXT_LENGTH, choices=(), many: bool = False
) -> Param:
    """Text of at most `maximum` characters, one of `choices` when given (several with `many`)."""
    return Param(
        name, "text", _text, [] if many else default, maximum=maximum, choices=tuple(choices), many=many
    )


PAGE = int_param("page", 1, maximum=MAX_PAGE)
NEXT = text_param("next", maximum=2000)


def reads(*params: Param, form=None):
    """Declare the query parameters a view reads (and the GET form whose fields it reads)."""

    def mark(view):
        view.query_params = params
        view.query_form = form
        return view

    return mark


def declared_params(view) -> list[Param]:
    """The query parameters a view declares it reads, its GET form's fields included (as the
    dates or text they are; the form validates them itself)."""
    params = list(getattr(view, "query_params", ()))
    form = getattr(view, "query_form", None)
    if form is not None:
        for field in form(formdata=None, meta={"csrf": False}):
            params.append(date_param(field.name) if isinstance(field, DateField) else text_param(field.name))
    return params


def parse_declared() -> None:
    """Before the view: parse its declared parameters into `g.query_args`; a bad value is left
    out with a warning on the page. Runs after the access check (hooks.register)."""
    view = current_app.view_functions.get(request.endpoint)
    values, rejected = {}, set()
    for param in getattr(view, "query_params", ()):
        raws = [raw for raw in request.args.getlist(param.name) if raw.strip()]
        parsed = []
        for raw in raws[:MAX_VALUES] if param.many else raws[:1]:
            try:
                parsed.append(param.parse(raw))
            except BadValue as e:
                rejected.add(param.name)
                flash(str(e), "warning")
        values[param.name] = parsed if param.many else (parsed[0] if parsed else param.default)
    g.query_args, g.query_rejected = values, rejected


def arg(name: str):
    """The parsed value of a parameter the view declared (KeyError for an undeclared one)."""
    return g.query_args[name]


def rejected(name: str) -> bool:
    """Whether a value of the declared parameter was dropped (and the page told why)."""
    return name in g.query_rejected


def args(*names: str) -> dict:
    """The parsed values of some declared parameters, by name."""
    return {name: g.query_args[name] for name in names}


def paginate(statement, per_page: int | None = None):
    """The declared `page` of `statement`'s rows (ORM objects); past the end, an empty page."""
    return db.paginate(
        statement,
        page=arg("page"),
        per_page=per_page or current_app.config["PAGE_SIZE"],
        max_per_page=MAX_PER_PAGE,
        error_out=False,
    )


def query_form(form_class):
    """The view's GET filter form (declared with `reads(form=...)`) filled from the query string."""
    return form_class(formdata=request.args, meta={"csrf": False})


def query_string() -> dict:
    """The query string as given, to carry it into a link (an export of the same search)."""
    return request.args.to_dict(flat=True)


def within_dates(form, field) -> None:
    """WTForms validator: the field's date lies between MIN_DATE and MAX_DATE."""
    if field.data is not None and not MIN_DATE <= field.data <= MAX_DATE:
        raise ValidationError(
            _("Choose a date between %(minimum)s and %(maximum)s.", minimum=MIN_DATE, maximum=MAX_DATE)
        )
