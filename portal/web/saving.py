"""The usual end of a form page: a valid submission is saved in one transaction or its
problems are shown on the form."""

from dataclasses import dataclass
from typing import Any

from flask import flash

from portal.errors import ValidationFailed
from portal.extensions import db


@dataclass(frozen=True)
class Saved:
    """A submission that was saved; `value` is what the operation returned."""

    value: Any


def save_valid(form, save, done: str) -> Saved | None:
    """When `form` is submitted and valid, run `save()` (the operation): its ValidationFailed
    rolls back and puts the reasons on the form; else commit and flash `done`. None when the
    form is to be shown (again)."""
    if not form.validate_on_submit():
        return None
    try:
        value = save()
    except ValidationFailed as e:
        db.session.rollback()
        form.populate_errors(e.reasons)
        return None
    db.session.commit()
    flash(done, "success")
    return Saved(value)
