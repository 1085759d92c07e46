"""Date-range filters read as dates in Chinese (起始日期/结束日期), not as a route's origin
and destination (出发地/目的地), which the same English words "From"/"To" also name."""

import re

from tests.conftest import sign_in


def _label(html: str, field_id: str) -> str:
    return re.search(rf'<label[^>]*for="{field_id}"[^>]*>\s*([^<]*?)\s*<', html).group(1)


def test_the_travel_tabs_date_filters_are_labelled_as_dates(client, world):
    sign_in(client, world.manager_a1.email)
    html = client.get(f"/companies/{world.company_a.id}/travel").get_data(as_text=True)
    assert _label(html, "date_from") == "起始日期"
    assert _label(html, "date_to") == "结束日期"
    assert _label(html, "origin") != "起始日期"


def test_the_pipeline_forecasts_period_is_labelled_as_dates(client, world):
    sign_in(client, world.head_a.email)
    html = client.get("/pipeline/forecast").get_data(as_text=True)
    assert _label(html, "from") == "起始日期" and _label(html, "to") == "结束日期"


def test_a_routes_origin_keeps_its_word(client, world):
    sign_in(client, world.booker_a.email)
    html = client.get("/self/requests/new").get_data(as_text=True)
    assert _label(html, "origin") == "出发地"
