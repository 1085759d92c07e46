"""The access matrix of tests/test_access.py, for the pipeline's endpoints alone."""

import pytest

from tests.test_access import ROLES, access_failures


@pytest.mark.parametrize("role", ROLES)
def test_pipeline_access_matrix(app, client, world, role):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("pipeline.")]
    assert len(rules) == 11
    failures = access_failures(app, client, world, role, rules)
    assert not failures, "\n".join(failures)
