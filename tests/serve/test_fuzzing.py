"""Schemathesis against the running endpoint's own OpenAPI document: requests generated from the
schemas (valid ones, and ones that break them) never get a 5xx. Examples are bounded so the run
stays short."""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

EXAMPLES = 40
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]


@pytest.fixture(scope="module")
def keyed(endpoint):
    info, keys = endpoint
    return info.scoring_uri.rsplit("/", 1)[0], {"Authorization": f"Bearer {keys.primary}"}


@pytest.fixture(scope="module")
def api(keyed):
    base, auth = keyed
    document = requests.get(f"{base}/openapi.json", headers=auth, timeout=10).json()
    return schemathesis.openapi.from_dict(document)


ROUTES = [("/score", "POST", mode) for mode in MODES] + \
    [("/invocations", "POST", mode) for mode in MODES] + \
    [("/metadata", "GET", MODES[0]), ("/health", "GET", MODES[0])]  # nothing to break in a GET


@pytest.mark.parametrize("path,method,mode", ROUTES, ids=lambda v: getattr(v, "value", v))
def test_no_generated_request_gets_a_server_error(api, keyed, path, method, mode):
    base, auth = keyed
    answered = []

    @given(api[path][method].as_strategy(mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case):
        response = case.call(base_url=base, headers=auth, timeout=30)
        answered.append(response.status_code)
        assert response.status_code < 500, (case.body, response.text)

    fuzz()
    assert answered
