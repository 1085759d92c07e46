"""Branch and SalesOffice."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base


class Branch(Base):
    """A regional branch (分公司) of the airline."""

    __tablename__ = "branch"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(100))
    city: Mapped[str] = mapped_column(sa.String(50))
    # A closed branch keeps its rows (history points at them) but takes no new offices.
    closed_at: Mapped[datetime | None]

    offices: Mapped[list["SalesOffice"]] = relationship(back_populates="branch", order_by="SalesOffice.code")


class SalesOffice(Base):
    """A sales office (营业部) of a branch; staff and companies belong to one."""

    __tablename__ = "sales_office"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(100))
    city: Mapped[str] = mapped_column(sa.String(50))
    # A closed office keeps its rows but takes no new staff or companies.
    closed_at: Mapped[datetime | None]

    branch: Mapped[Branch] = relationship(back_populates="offices")
