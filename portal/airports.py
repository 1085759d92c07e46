"""Airports by their three-letter IATA codes (PEK, SHA): the one check that forms, imports and
services share."""

import re

from flask_babel import gettext as _

IATA_CODE = re.compile(r"[A-Z]{3}")


def is_iata_code(value: str | None) -> bool:
    """Whether `value` is exactly three capital letters (callers strip and upper-case it first)."""
    return value is not None and IATA_CODE.fullmatch(value) is not None


def not_an_iata_code() -> str:
    """The message for a value that is not an airport code."""
    return _("A three-letter IATA code, e.g. PEK.")
