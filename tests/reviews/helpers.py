"""Shared helpers for review tests: a known company's segments and PDF text."""

import subprocess
from datetime import date, datetime

from tests import factories

TODAY = date(2026, 10, 15)


def known_company(session, world):
    """Company A with hand-countable segments in 2026Q3 and 2026Q2 and an overdue complaint.

    2026Q3: 1,000 + 3,000 (C) + 2,000 yuan = 6,000.00; 3 segments; average 2,000.00; premium
    share 50 %; 2 travellers. 2026Q2: 4,000.00; 1 segment; premium 0 %; 1 traveller.
    """
    c = world.company_a
    factories.segment(session, c, date(2026, 7, 10), 100000, traveller_name="张三")
    factories.segment(
        session,
        c,
        date(2026, 8, 5),
        300000,
        cabin="C",
        traveller_name="李四",
        destination="CAN",
        distance_km=1967,
    )
    factories.segment(session, c, date(2026, 9, 20), 200000, traveller_name="张三")
    factories.segment(session, c, date(2026, 5, 1), 400000, traveller_name="王五")
    factories.interaction(
        session,
        c,
        kind="complaint",
        occurred_at=datetime(2026, 8, 1, 2, 0),
        due_at=datetime(2026, 9, 1, 2, 0),
    )
    session.flush()
    return c


def pdf_text(path) -> str:
    """The text of a PDF, via pdftotext (layout off: one run of text per line)."""
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def pdf_fonts(path) -> str:
    """The `pdffonts` listing of a PDF."""
    return subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
