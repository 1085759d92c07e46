"""The page benchmark's baseline (bench/baseline.py): the company list's table from memory."""

from bench.baseline import create_app_with_baseline


def test_baseline_renders_the_company_list_from_memory(tmp_path):
    # No database is touched: the route reads rows built at start-up.
    app = create_app_with_baseline(
        "testing", SQLALCHEMY_DATABASE_URI="sqlite://", PORTAL_DATA_DIR=str(tmp_path)
    )
    html = app.test_client().get("/_bench/baseline").get_data(as_text=True)
    assert 'data-testid="company-table"' in html
    assert "共 1200 条" in html
    assert html.count('<td><a href="/companies/') == app.config["PAGE_SIZE"]
    assert "第" in html and "营业部" in html  # office names
    assert "未分配" in html  # every tenth row has no manager
    assert "91110000000000003X" in html  # rows seen in full show their credit code
    assert "91110000000000001X" not in html  # the others do not
