"""Survey rules: who gets a survey and when, and what an answer does. Functions flush, never
commit; the job, the complaint route and the public survey page commit.

A survey goes to every live contact with an email address of an active company once a quarter
(occasion "2026Q4") and after each resolved complaint ("complaint-<id>"); the unique key
(contact, occasion) and the outbox's dedupe key make sending idempotent. A link answers once,
before it expires. A detractor (NPS 0-6) opens a follow-up reminder for the company's manager.
"""

from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from portal.audit.trail import acting_as
from portal.companies.models import Company, Contact, Interaction
from portal.db import utcnow
from portal.errors import ValidationFailed
from portal.extensions import db
from portal.mail import operations as mail
from portal.notifications.operations import notify
from portal.reminders.operations import create_follow_up
from portal.surveys import links
from portal.surveys.models import DETRACTOR_MAX, RATINGS, Survey, SurveyResponse
from portal.timeutil import utc_to_local

COMMENT_MAX = 2000


class SurveyUnavailable(Exception):
    """The link cannot be answered; `reason` is "invalid", "expired" or "answered"."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def quarter_of(day: date) -> str:
    """The quarter a date falls in, as "2026Q4"."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def link_days() -> int:
    """How many days a survey link stays usable."""
    return int(current_app.config.get("SURVEY_LINK_DAYS", 21))


def _mail_text(company: Company, contact: Contact, link: str, expires_at: datetime) -> tuple[str, str]:
    """Subject and body in Chinese and English (a contact has no language of their own)."""
    until = utc_to_local(expires_at).date().isoformat()
    parts, subjects = [], []
    for locale in ("zh", "en"):
        with force_locale(locale):
            subjects.append(_("How are we doing? A two-minute survey"))
            parts.append(
                _(
                    "Dear %(name)s,\n\nPlease tell us how we served %(company)s: "
                    "one question, three ratings and a comment, on your phone or computer.\n\n"
                    "%(link)s\n\nThe link works once, until %(until)s.",
                    name=contact.name,
                    company=company.name_zh,
                    link=link,
                    until=until,
                )
            )
    return " / ".join(subjects), "\n\n----\n\n".join(parts)


def _send(
    company: Company,
    contacts: list[Contact],
    *,
    reason: str,
    occasion: str,
    now: datetime,
    already: set[int],
    interaction_id=None,
) -> int:
    """Create and mail one survey per contact not in `already` (those surveyed for the
    occasion); how many."""
    sent = 0
    for contact in contacts:
        if contact.id in already or not contact.email:
            continue
        token = links.new_token()
        survey = Survey(
            company_id=company.id,
            contact_id=contact.id,
            reason=reason,
            occasion=occasion,
            interaction_id=interaction_id,
            token_hash=links.token_hash(token),
            sent_at=now,
            expires_at=now + timedelta(days=link_days()),
        )
        db.session.add(survey)
        db.session.flush()
        subject, body = _mail_text(company, contact, links.url(links.sign(token)), survey.expires_at)
        mail.enqueue(
            f"survey:{survey.id}",
            kind="survey",
            user=None,
            to_address=contact.email,
            subject=subject,
            body=body,
        )
        sent += 1
    return sent


def _surveyed(occasion: str, company_ids: list[int]) -> set[int]:
    """The contacts of these companies already surveyed for the occasion (one statement)."""
    return set(
        db.session.scalars(
            select(Survey.contact_id).where(Survey.occasion == occasion, Survey.company_id.in_(company_ids))
        )
    )


def _live_contacts(company_ids: list[int]) -> dict[int, list[Contact]]:
    by_company: dict[int, list[Contact]] = {}
    for contact in db.session.scalars(
        select(Contact)
        .where(Contact.company_id.in_(company_ids), Contact.deleted_at.is_(None), Contact.email.is_not(None))
        .order_by(Contact.company_id, Contact.id)
    ):
        by_company.setdefault(contact.company_id, []).append(contact)
    return by_company


def send_quarterly(today: date, now: datetime | None = None) -> int:
    """Survey the contacts of every active company once in `today`'s quarter; how many sent."""
    now = now or utcnow()
    companies = list(
        db.session.scalars(select(Company).where(Company.status == "active").order_by(Company.id))
    )
    contacts = _live_contacts([c.id for c in companies])
    occasion = quarter_of(today)
    already = _surveyed(occasion, list(contacts))
    return sum(
        _send(c, contacts[c.id], reason="quarterly", occasion=occasion, now=now, already=already)
        for c in companies
        if c.id in contacts
    )


def send_after_complaint(interaction: Interaction, now: datetime | None = None) -> int:
    """Survey the company's contacts about a complaint that was just resolved (once per
    complaint: reopening and resolving it again sends nothing new)."""
    now = now or utcnow()
    occasion = f"complaint-{interaction.id}"
    contacts = _live_contacts([interaction.company_id]).get(interaction.company_id, [])
    return _send(
        interaction.company,
        contacts,
        reason="complaint",
        occasion=occasion,
        now=now,
        already=_surveyed(occasion, [interaction.company_id]),
        interaction_id=interaction.id,
    )


def open_survey(signed: str, now: datetime | None = None) -> Survey:
    """The survey a link opens, if it may still be answered; SurveyUnavailable otherwise."""
    now = now or utcnow()
    try:
        token = links.unsign(signed, max_age_seconds=link_days() * 86400)
    except links.LinkExpired as e:
        raise SurveyUnavailable("expired") from e
    except links.LinkInvalid as e:
        raise SurveyUnavailable("invalid") from e
    survey = db.session.scalar(select(Survey).where(Survey.token_hash == links.token_hash(token)))
    if survey is None:
        raise SurveyUnavailable("invalid")
    if survey.answered_at is not None:
        raise SurveyUnavailable("answered")
    if survey.expires_at <= now:
        raise SurveyUnavailable("expired")
    return survey


def _check(values: dict) -> dict:
    errors: dict[str | None, list[str]] = {}
    nps = values.get("nps")
    if not isinstance(nps, int) or not 0 <= nps <= 10:
        errors["nps"] = [_("Choose a number from 0 to 10.")]
    for name in RATINGS:
        rating = values.get(name)
        if not isinstance(rating, int) or not 1 <= rating <= 5:
            errors[name] = [_("Choose from 1 to 5.")]
    comment = (values.get("comment") or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [_("At most %(n)s characters.", n=COMMENT_MAX)]
    if errors:
        raise ValidationFailed(errors)
    return {"nps": nps, **{name: values[name] for name in RATINGS}, "comment": comment or None}


def answer(
    signed: str, values: dict, *, language: str, today: date, now: datetime | None = None
) -> SurveyResponse:
    """Record the answers to the survey a link opens, once: the survey is claimed with a
    conditional UPDATE, so a second use (even a concurrent one) raises SurveyUnavailable. A
    detractor opens a follow-up reminder for the company's manager, due today, and tells them."""
    now = now or utcnow()
    clean = _check(values)
    survey = open_survey(signed, now)
    claimed = db.session.execute(
        update(Survey)
        .where(Survey.id == survey.id, Survey.answered_at.is_(None))
        .values(answered_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise SurveyUnavailable("answered")
    with acting_as(f"survey:contact:{survey.contact_id}"):
        response = SurveyResponse(
            survey_id=survey.id, company_id=survey.company_id, language=language[:5], answered_at=now, **clean
        )
        db.session.add(response)
        db.session.flush()
        if clean["nps"] <= DETRACTOR_MAX:
            _follow_up(survey, clean["nps"], today)
    return response


def _follow_up(survey: Survey, nps: int, today: date) -> None:
    company = survey.company
    with force_locale("zh"):
        title = _("Follow up a detractor (NPS %(nps)s): %(company)s", nps=nps, company=company.name_zh)
    create_follow_up(company.id, company.manager_id, title, today)
    if company.manager_id is not None:
        notify(company.manager_id, "survey_detractor", title, f"/companies/{company.id}")
