"""The access matrix of tests/test_access.py, for the pipeline's endpoints alone."""

import pytest
from flask import url_for

from tests.conftest import sign_in
from tests.test_access import EXPECTED, ROLES, _csrf, _sample_args, _user_for


@pytest.mark.parametrize("role", ROLES)
def test_pipeline_access_matrix(app, client, world, role):
    user = _user_for(world, role)
    if user is not None:
        assert sign_in(client, user.email).status_code == 302
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("pipeline.")]
    assert len(rules) == 11
    failures = []
    for rule in rules:
        method, statuses = EXPECTED[rule.endpoint]
        with app.test_request_context():
            url = url_for(rule.endpoint, **_sample_args(world, rule))
        response = (
            client.post(url, data={"csrf_token": _csrf(client)}) if method == "POST" else client.get(url)
        )
        if response.status_code != statuses[role]:
            failures.append(f"{method} {url}: {response.status_code}, expected {statuses[role]}")
    assert not failures, "\n".join(failures)
