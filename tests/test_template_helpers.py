"""The template filters that format values: money, percentages, dates (portal.web.template_helpers)."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from flask_babel import force_locale

from portal.web.template_helpers import local_date, local_datetime, money, percent, whole_money


@pytest.mark.parametrize(
    ("fen", "shown", "whole"),
    [
        (None, "–", "–"),
        (0, "0.00", "0"),
        (5, "0.05", "0"),
        (150, "1.50", "2"),
        (1234567, "12,345.67", "12,346"),
        (-1234567, "-12,345.67", "-12,346"),
        (123456789012, "1,234,567,890.12", "1,234,567,890"),
    ],
)
def test_money_in_yuan_with_separators(app, fen, shown, whole):
    for language in ("zh", "en"):
        with app.test_request_context(), force_locale(language):
            assert money(fen) == shown and whole_money(fen) == whole


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "–"),
        (Decimal("12.50"), "12.5"),
        (Decimal("15.00"), "15"),
        (Decimal("0.00"), "0"),
        (Decimal("7.25"), "7.25"),
        (Decimal("99.999"), "100"),
        (12.345, "12.35"),
        (150, "150"),
    ],
)
def test_percent_without_trailing_zeros(value, shown):
    assert percent(value) == shown


def test_dates_in_the_visitor_language_and_the_portal_time_zone(app):
    with app.test_request_context():
        with force_locale("en"):
            assert local_date(date(2026, 3, 9)) == "Mar 9, 2026"
            # 23:30 UTC is the next morning in Shanghai.
            assert local_datetime(datetime(2026, 3, 9, 23, 30), "short") == "3/10/26, 7:30\u202fAM"
        with force_locale("zh"):
            assert local_date(date(2026, 3, 9)) == "2026年3月9日"
        assert local_date(None) == "–" and local_datetime(None) == "–"


def test_dates_shown_again_keep_their_language_zone_and_format(app):
    """Formatted dates are kept per language: showing them again, in either language, in
    another format, or as the datetime of the same day, gives each its own text."""
    day, evening = date(2026, 3, 9), datetime(2026, 3, 9, 20, 0)  # 20:00 UTC is the 10th in Shanghai
    with app.test_request_context():
        for _round in range(2):
            with force_locale("en"):
                assert local_date(day) == "Mar 9, 2026"
                assert local_date(day, "short") == "3/9/26"
                assert local_date(evening) == "Mar 10, 2026"
                assert local_datetime(evening, "short") == "3/10/26, 4:00\u202fAM"
            with force_locale("zh"):
                assert local_date(day) == "2026年3月9日"
                assert local_date(evening) == "2026年3月10日"
