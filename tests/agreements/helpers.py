"""Terms and form data the agreement tests share."""

from datetime import date, timedelta
from decimal import Decimal

from portal.agreements.models import Agreement, AgreementDiscount, IncentiveTier
from portal.agreements.operations import DiscountTerm, Terms, TierTerm
from tests import factories

TODAY = date.today()


def terms(**kw) -> Terms:
    """Valid terms that start after the world's agreements end (no overlap)."""
    start = kw.pop("valid_from", TODAY + timedelta(days=400))
    values = dict(
        valid_from=start,
        valid_to=start + timedelta(days=364),
        commitment_revenue_fen=1_000_000_00,
        commitment_segments=500,
        discounts=[
            DiscountTerm("domestic", "Y", Decimal("12.5")),
            DiscountTerm("city_pair", "C", Decimal("20"), "PEK", "SHA"),
        ],
        tiers=[
            TierTerm(Decimal(80), Decimal(1)),
            TierTerm(Decimal(100), Decimal(2)),
            TierTerm(Decimal(120), Decimal(3)),
        ],
        entitlements={"priority_booking", "lounge"},
        internal_notes="Negotiated by 李经理; CFO wants quarterly statements.",
    )
    values.update(kw)
    return Terms(**values)


def form_data(page, **overrides) -> dict:
    """The terms form's fields, filled validly, with the page's CSRF token."""
    start = TODAY + timedelta(days=400)
    data = {
        "csrf_token": factories.csrf_from(page),
        "valid_from": start.isoformat(),
        "valid_to": (start + timedelta(days=364)).isoformat(),
        "commitment_revenue": "1000000",
        "commitment_segments": "500",
        "discounts-0-scope": "domestic",
        "discounts-0-origin": "",
        "discounts-0-destination": "",
        "discounts-0-cabin": "Y",
        "discounts-0-percent": "12.5",
        "discounts-1-scope": "city_pair",
        "discounts-1-origin": "pek",
        "discounts-1-destination": "can",
        "discounts-1-cabin": "C",
        "discounts-1-percent": "20",
        # a blank row, as the editor shows it: ignored
        "discounts-2-scope": "",
        "discounts-2-origin": "",
        "discounts-2-destination": "",
        "discounts-2-cabin": "",
        "discounts-2-percent": "",
        "incentive_tiers-0-threshold": "80",
        "incentive_tiers-0-rebate": "1",
        "incentive_tiers-1-threshold": "100",
        "incentive_tiers-1-rebate": "2",
        "incentive_tiers-2-threshold": "",
        "incentive_tiers-2-rebate": "",
        "priority_booking": "y",
        "lounge": "y",
        "internal_notes": "Internal: CFO prefers quarterly statements.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def add_route_terms(agreement: Agreement) -> None:
    """Beside the factory's domestic discount: an 8 % business-class discount on PEK–CTU and
    two incentive tiers added out of threshold order (120 % before 80 %)."""
    agreement.discounts.append(
        AgreementDiscount(scope="city_pair", origin="PEK", destination="CTU", cabin="C", percent=Decimal("8"))
    )
    agreement.incentive_tiers.extend(
        [
            IncentiveTier(threshold_percent=Decimal(120), rebate_percent=Decimal(3)),
            IncentiveTier(threshold_percent=Decimal(80), rebate_percent=Decimal(1)),
        ]
    )
