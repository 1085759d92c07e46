"""The account review prints every activity status in Chinese, `lost` included, from the one
list of labels, whatever language the person generating it reads."""

from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale

from portal.reviews.data import account_data, status_name
from portal.reviews.periods import parse
from portal.scoring.models import ScoreSnapshot


@pytest.mark.parametrize(("status", "name"), [("active", "活跃"), ("sleeping", "睡眠"), ("lost", "流失")])
def test_every_activity_status_has_its_chinese_name(app, status, name):
    with app.test_request_context(), force_locale("en"):
        assert status_name(status) == name


def test_the_account_review_names_a_lost_account_in_chinese(app, world, db_session):
    db_session.add(
        ScoreSnapshot(
            company_id=world.company_a.id, score_date=date(2026, 9, 30), revenue_fen=0, segments=0,
            premium_share=Decimal(0), growth=Decimal(0), recency_days=None, attainment=Decimal(0),
            pct_revenue=Decimal(0), pct_frequency=Decimal(0), pct_premium=Decimal(0), pct_growth=Decimal(0),
            pct_recency=Decimal(0), pct_attainment=Decimal(0), total=Decimal(0), rank=3, tier="standard",
            activity_status="lost",
        )
    )  # fmt: skip
    db_session.flush()
    with app.test_request_context(), force_locale("en"):
        data = account_data(world.company_a.id, parse("2026Q3"), today=date(2026, 10, 15))
    assert data["score"]["status_name"] == "流失"
