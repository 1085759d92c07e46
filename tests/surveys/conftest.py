"""Fixtures for the survey tests."""

import re

from sqlalchemy import select

from portal.mail.models import OutboundEmail


def survey_paths(session) -> list[str]:
    """The survey page paths of the queued survey mails, oldest first."""
    bodies = session.scalars(
        select(OutboundEmail.body_text).where(OutboundEmail.kind == "survey").order_by(OutboundEmail.id)
    ).all()
    return [re.search(r"https?://[^/\s]+(/survey/[^\s]+)", body).group(1) for body in bodies]
