"""Property tests of every operation in the OpenAPI document (schemathesis): whatever a client
sends, no 5xx, and every answer (status, content type, headers, body) matches the document."""

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.api.helpers import api_client, bearer

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = int(os.environ.get("API_PROPERTY_EXAMPLES", "25"))  # per operation and backend


def operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_conforms_and_never_fails(app, db_session, world):
    with app.test_request_context():
        token = api_client(db_session, "schemathesis")[1]
    tested = []
    for operation in operations(app):

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def call(case):
            case.call_and_validate(headers=bearer(token), checks=CHECKS)

        call()
        tested.append(operation.label)
    assert len(tested) >= 11, tested
