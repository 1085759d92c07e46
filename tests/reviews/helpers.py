"""Shared helpers for review tests: a known company's segments and PDF text."""

import subprocess
import threading
import time
from datetime import date, datetime
from pathlib import Path

from portal.pdf import RenderResult
from tests import factories

FAKE_PDF = b"%PDF-1.7\n%fake\n"

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


class CountingRenderer:
    """A stand-in for a PDF renderer entry point (context, out_path, **kw): counts the renders
    that start and the most that ran at once, takes `seconds` (after `gate` opens, if given),
    writes a tiny PDF."""

    def __init__(self, seconds: float = 0.0, gate: threading.Event | None = None):
        self.seconds = seconds
        self.gate = gate
        self.started = 0
        self.running = 0
        self.peak = 0
        self._lock = threading.Lock()

    def __call__(self, context, out_path, **kw):
        with self._lock:
            self.started += 1
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            if self.gate is not None:
                self.gate.wait(60)
            time.sleep(self.seconds)
            Path(out_path).write_bytes(FAKE_PDF)
            return RenderResult(path=Path(out_path), pages=1, size_bytes=len(FAKE_PDF), sha256="0" * 64)
        finally:
            with self._lock:
                self.running -= 1
