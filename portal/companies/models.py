"""Company, Contact, Traveller, Interaction, Document, ManagerAssignment."""

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.companies.pinyin import INITIALS_LENGTH, PINYIN_LENGTH, name_keys
from portal.db import Base, TimestampMixin, choice, partial_index, utcnow

if TYPE_CHECKING:
    from portal.agreements.models import Agreement
    from portal.auth.models import User
    from portal.org.models import SalesOffice

COMPANY_STATUSES = ("prospect", "active", "suspended", "closed")
TIERS = ("platinum", "gold", "silver", "standard")
ACTIVITY_STATUSES = ("active", "sleeping", "lost")
HEADCOUNT_BANDS = ("1-99", "100-499", "500-1999", "2000-9999", "10000+")
INDUSTRIES = (
    "government",
    "energy",
    "finance",
    "technology",
    "manufacturing",
    "telecom",
    "construction",
    "pharma",
    "education",
    "media",
    "logistics",
    "retail",
    "consulting",
    "automotive",
)
CONTACT_ROLES = ("travel_manager", "finance", "decision_maker", "other")
INTERACTION_KINDS = ("visit", "call", "email", "meeting", "feedback", "complaint")
COMPLAINT_STATUSES = ("open", "in_progress", "resolved")
MEMBER_TIERS = ("none", "silver", "gold", "platinum", "lifetime_platinum")
SEAT_PREFERENCES = ("none", "window", "aisle", "front", "exit_row")
MEAL_PREFERENCES = ("none", "vegetarian", "muslim", "diabetic", "low_salt", "child")
VIP_LEVELS = ("none", "vip", "vvip")
SERVICE_NEEDS = ("wheelchair", "special_meal", "escort", "language")
ID_DOCUMENT_TYPES = ("id_card", "passport", "hk_macau_permit", "taiwan_permit", "other")


class Company(TimestampMixin, Base):
    """An agreement company or prospect, served by one account manager of one office."""

    __tablename__ = "company"
    __table_args__ = (
        sa.Index("ix_company_tier_score", "tier", "score"),
        sa.CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(200), index=True)
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    # Pinyin of name_zh (full and initials) to search and sort by; set with the name (below).
    name_pinyin: Mapped[str | None] = mapped_column(sa.String(PINYIN_LENGTH), index=True)
    name_initials: Mapped[str | None] = mapped_column(sa.String(INITIALS_LENGTH), index=True)
    # 统一社会信用代码: 18 characters, the last a check character (validated in operations).
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    industry: Mapped[str] = mapped_column(choice(*INDUSTRIES, name="industry"), index=True)
    headcount_band: Mapped[str] = mapped_column(choice(*HEADCOUNT_BANDS, name="headcount_band"))
    city: Mapped[str] = mapped_column(sa.String(50))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("sales_office.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("company.id"), index=True)
    status: Mapped[str] = mapped_column(
        choice(*COMPANY_STATUSES, name="company_status"), default="prospect", index=True
    )
    tier: Mapped[str | None] = mapped_column(choice(*TIERS, name="tier"))
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    activity_status: Mapped[str | None] = mapped_column(
        choice(*ACTIVITY_STATUSES, name="activity_status"), index=True
    )

    office: Mapped["SalesOffice"] = relationship()
    manager: Mapped[Optional["User"]] = relationship(foreign_keys=[manager_id])
    parent: Mapped[Optional["Company"]] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Company"]] = relationship(back_populates="parent")
    contacts: Mapped[list["Contact"]] = relationship(
        primaryjoin="and_(Contact.company_id == Company.id, Contact.deleted_at.is_(None))",
        order_by="Contact.name",
        viewonly=True,
    )
    travellers: Mapped[list["Traveller"]] = relationship(
        primaryjoin="and_(Traveller.company_id == Company.id, Traveller.deleted_at.is_(None))",
        order_by="Traveller.name",
        viewonly=True,
    )
    agreements: Mapped[list["Agreement"]] = relationship(
        back_populates="company", order_by="Agreement.valid_from.desc()"
    )

    def __repr__(self) -> str:
        return f"<Company {self.id} {self.name_zh}>"


@event.listens_for(Company.name_zh, "set")
def _name_set(target: Company, value, oldvalue, initiator) -> None:
    """Keep the pinyin keys with the name, whoever writes it through the ORM."""
    for key, keyed in name_keys(value).items():
        setattr(target, key, keyed)


class Contact(TimestampMixin, Base):
    """A person at the company the manager deals with."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    title: Mapped[str | None] = mapped_column(sa.String(100))
    role: Mapped[str] = mapped_column(choice(*CONTACT_ROLES, name="contact_role"))
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    deleted_at: Mapped[datetime | None]

    company: Mapped[Company] = relationship()


class Traveller(TimestampMixin, Base):
    """A key traveller of the company, with preferences; the ID number is kept encrypted."""

    __tablename__ = "traveller"
    __table_args__ = (sa.UniqueConstraint("company_id", "ff_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str | None] = mapped_column(sa.String(100))
    ff_number: Mapped[str | None] = mapped_column(sa.String(20))
    member_tier: Mapped[str] = mapped_column(choice(*MEMBER_TIERS, name="member_tier"), default="none")
    seat_preference: Mapped[str] = mapped_column(
        choice(*SEAT_PREFERENCES, name="seat_preference"), default="none"
    )
    meal_preference: Mapped[str] = mapped_column(
        choice(*MEAL_PREFERENCES, name="meal_preference"), default="none"
    )
    notes: Mapped[str | None] = mapped_column(sa.Text)
    # VIP level and standing service needs (wheelchair, special meal, ...): set by managers.
    vip_level: Mapped[str] = mapped_column(choice(*VIP_LEVELS, name="vip_level"), default="none")
    service_needs: Mapped[list | None] = mapped_column(sa.JSON)
    id_document_type: Mapped[str | None] = mapped_column(choice(*ID_DOCUMENT_TYPES, name="id_document_type"))
    # Fernet token of the document number, and its masked form for display (E1******78).
    id_document_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    id_document_masked: Mapped[str | None] = mapped_column(sa.String(40))
    deleted_at: Mapped[datetime | None]

    company: Mapped[Company] = relationship()


OPEN_COMPLAINT_CONDITION = "kind = 'complaint' AND complaint_status <> 'resolved'"


class Interaction(TimestampMixin, Base):
    """A visit, call, email, meeting, feedback or complaint on the company's timeline."""

    __tablename__ = "interaction"
    __table_args__ = (
        sa.Index("ix_interaction_company_occurred", "company_id", "occurred_at"),
        # The few open complaints, out of every interaction: the home's overdue complaints and
        # the dossier's open-complaint flag read them without scanning the timeline.
        partial_index(
            "ix_interaction_open_complaint", "company_id", "due_at", where=OPEN_COMPLAINT_CONDITION
        ),
        sa.CheckConstraint(
            "(kind = 'complaint') = (complaint_status IS NOT NULL)", name="complaint_has_status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(choice(*INTERACTION_KINDS, name="interaction_kind"))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    summary: Mapped[str] = mapped_column(sa.Text)
    outcome: Mapped[str | None] = mapped_column(sa.Text)
    next_step: Mapped[str | None] = mapped_column(sa.Text)
    complaint_status: Mapped[str | None] = mapped_column(choice(*COMPLAINT_STATUSES, name="complaint_status"))
    due_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]

    company: Mapped[Company] = relationship()
    author: Mapped[Optional["User"]] = relationship()


class Document(TimestampMixin, Base):
    """A file kept on the company (licence, minutes, agreement scan); its versions follow."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agreement.id"), index=True)
    kind: Mapped[str] = mapped_column(
        choice("licence", "agreement", "signed_scan", "minutes", "other", name="document_kind")
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    deleted_at: Mapped[datetime | None]

    versions: Mapped[list["DocumentVersion"]] = relationship(
        back_populates="document", order_by="DocumentVersion.version.desc()"
    )


class DocumentVersion(Base):
    """One uploaded or generated file of a document, stored under PORTAL_DATA_DIR."""

    __tablename__ = "document_version"
    __table_args__ = (sa.UniqueConstraint("document_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("document.id"))
    version: Mapped[int]
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="versions")


class CompanyStatusChange(Base):
    """A move of the company's lifecycle status, with its reason (shown on the timeline)."""

    __tablename__ = "company_status_change"
    __table_args__ = (sa.Index("ix_company_status_change_company_at", "company_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"))
    # None when the company was created (its first status).
    from_status: Mapped[str | None] = mapped_column(choice(*COMPANY_STATUSES, name="company_status_from"))
    to_status: Mapped[str] = mapped_column(choice(*COMPANY_STATUSES, name="company_status_to"))
    reason: Mapped[str] = mapped_column(sa.Text)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[Optional["User"]] = relationship()


class ManagerAssignment(Base):
    """Who served the company when: the history of its account managers."""

    __tablename__ = "manager_assignment"
    __table_args__ = (sa.Index("ix_manager_assignment_company_started", "company_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"))
    manager_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(sa.Text)

    manager: Mapped["User"] = relationship(foreign_keys=[manager_id])
