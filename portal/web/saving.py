"""The usual end of a form page: a valid submission is saved in one transaction or its
problems are shown on the form."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash
from sqlalchemy.exc import IntegrityError

from portal.auth.policy import refuse
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db


@dataclass(frozen=True)
class Saved:
    """A submission that was saved; `value` is what the operation returned."""

    value: Any


def save_valid(
    form,
    save: Callable[[], Any],
    done: str | Callable[[Any], str],
    *,
    refused_for: int | None = None,
    hide: bool = False,
    clash: str | None = None,
) -> Saved | None:
    """When `form` is submitted and valid, run `save()` (the operation) and commit, then flash
    `done` (or `done(value)`, for a message about what the operation returned). None when the
    form is to be shown (again):

    - a ValidationFailed rolls back and puts its reasons on the form;
    - with `refused_for` (a company's id), a NotAllowed is a refusal recorded against that
      company (`policy.refuse`, with `hide`); without it a NotAllowed is not caught;
    - with `clash`, an IntegrityError (a concurrent save the database's unique keys refused) rolls
      back and puts `clash` on the form; without it an IntegrityError is not caught."""
    if not form.validate_on_submit():
        return None
    try:
        value = save()
        db.session.commit()
    except ValidationFailed as e:
        db.session.rollback()
        form.populate_errors(e.reasons)
        return None
    except NotAllowed as e:
        if refused_for is None:
            raise
        refuse(str(e), company_id=refused_for, hide=hide)  # answers 403/404: never returns
    except IntegrityError:
        if clash is None:
            raise
        db.session.rollback()
        form.form_errors.append(clash)
        return None
    flash(done(value) if callable(done) else done, "success")
    return Saved(value)
