"""User and LoginAttempt."""

from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, TimestampMixin, choice
from portal.stations.models import Station  # mapped with User wherever users are loaded

if TYPE_CHECKING:
    from portal.companies.models import Company
    from portal.org.models import SalesOffice

ROLES = ("admin", "management", "branch_head", "account_manager", "booker", "station")
STAFF_ROLES = ROLES[:4]  # the sales department; station staff see only their station's pages


class User(UserMixin, TimestampMixin, Base):
    """A person who signs in: staff of an office, or a booker of one company."""

    __tablename__ = "user"
    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'booker' AND company_id IS NOT NULL AND office_id IS NULL)"
            " OR (role <> 'booker' AND company_id IS NULL)",
            name="booker_has_company",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(choice(*ROLES, name="role"))
    office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sales_office.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("company.id", use_alter=True), index=True)
    station_id: Mapped[int | None] = mapped_column(sa.ForeignKey("station.id"), index=True)  # station staff
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    title: Mapped[str | None] = mapped_column(sa.String(100))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # Bumped on sign-out, password change and disabling: every older session cookie dies.
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]

    office: Mapped[Optional["SalesOffice"]] = relationship()
    company: Mapped[Optional["Company"]] = relationship(foreign_keys=[company_id])
    station: Mapped[Station | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sessions of inactive users
        return self.is_enabled

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_staff(self) -> bool:
        """Sales staff (answered 403 when refused); bookers and station staff are answered 404."""
        return self.role in STAFF_ROLES

    @property
    def branch_id(self) -> int | None:
        return self.office.branch_id if self.office else None

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class LoginAttempt(Base):
    """One sign-in attempt; failures are counted here so the limit holds across workers."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        sa.Index("ix_login_attempt_email_at", "email", "at"),
        sa.Index("ix_login_attempt_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    ip: Mapped[str] = mapped_column(sa.String(45))
    at: Mapped[datetime]
    succeeded: Mapped[bool]
