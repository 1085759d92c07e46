"""The app answers: health, sign-in, the first pages."""

from tests.conftest import sign_in


def test_health_reports_database(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_manager_sees_companies_and_dossier(client, world, login):
    login(world.manager_a1)
    page = client.get("/companies/?q=星河")
    assert page.status_code == 200
    assert "北京星河航天科技有限公司" in page.get_data(as_text=True)
    dossier = client.get(f"/companies/{world.company_a.id}")
    assert dossier.status_code == 200
    assert world.company_a.credit_code in dossier.get_data(as_text=True)


def test_booker_sees_self(client, world):
    response = sign_in(client, world.booker_a.email)
    assert response.status_code == 302
    page = client.get("/self/")
    assert page.status_code == 200
    assert "北京星河航天科技有限公司" in page.get_data(as_text=True)
