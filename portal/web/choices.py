"""Choices of select fields that forms of several blueprints offer."""

from portal.agreements.models import CABINS
from portal.labels import label


def cabin_choices() -> list[tuple[str, str]]:
    """Each booking class with its translated name, e.g. "J · Business"."""
    return [(c, f"{c} · {label(c, 'cabin')}") for c in CABINS]
