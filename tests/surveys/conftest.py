"""Fixtures for the survey tests."""

import re

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.mail.models import OutboundEmail


@pytest.fixture()
def ctx(app, db_session):
    """An app context for calling services directly, with messages in English."""
    with app.test_request_context(), force_locale("en"):
        yield


def survey_paths(session) -> list[str]:
    """The survey page paths of the queued survey mails, oldest first."""
    bodies = session.scalars(
        select(OutboundEmail.body_text).where(OutboundEmail.kind == "survey").order_by(OutboundEmail.id)
    ).all()
    return [re.search(r"https?://[^/\s]+(/survey/[^\s]+)", body).group(1) for body in bodies]
