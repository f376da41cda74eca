"""The endpoint over real HTTP on 127.0.0.1: every payload format, keys, bad input, MLflow's client."""


import pytest
import requests

from opml_core.scoring.payloads import csv_body, invocations_body, score_body
from opml_core.serve.usage_log import recent_records
from tests.serve.conftest import bank_row

ROWS = [bank_row(), bank_row(age=70, job="retired", poutcome="success")]


def post(info, keys, path, body, content_type="application/json", key="primary", **headers):
    base = info.scoring_uri.rsplit("/", 1)[0]
    if key:
        headers["Authorization"] = f"Bearer {getattr(keys, key) if key in ('primary', 'secondary') else key}"
    return requests.post(base + path, data=body, headers={"Content-Type": content_type, **headers},
                         timeout=10)


def assert_scored(response, rows=2):
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["model"] == "opml-model" and document["version"] == "1"
    assert len(document["request_id"]) == 32
    assert len(document["predictions"]) == rows
    for prediction in document["predictions"]:
        assert prediction["label"] in ("yes", "no") and 0.0 <= prediction["probability"] <= 1.0
    return document


@pytest.mark.parametrize("format", ["data", "input_data"])
def test_azure_formats_are_scored(endpoint, format):
    assert_scored(post(*endpoint, "/score", score_body(ROWS, format)))


@pytest.mark.parametrize("format", ["dataframe_split", "dataframe_records", "instances", "inputs"])
def test_mlflow_json_formats_are_scored(endpoint, format):
    assert_scored(post(*endpoint, "/invocations", invocations_body(ROWS, format)))


def test_mlflow_csv_is_scored(endpoint):
    assert_scored(post(*endpoint, "/invocations", csv_body(ROWS), "text/csv"))


def test_every_format_gives_the_same_probabilities(endpoint):
    a = post(*endpoint, "/score", score_body(ROWS)).json()["predictions"]
    b = post(*endpoint, "/invocations", csv_body(ROWS), "text/csv").json()["predictions"]
    assert a == b


def test_no_key_or_a_wrong_key_is_refused(endpoint):
    for key in (None, "not-the-key"):
        response = post(*endpoint, "/score", score_body(ROWS), key=key)
        assert response.status_code == 401
        assert "Authorization: Bearer" in response.json()["error"]


def test_a_rotated_key_stops_working_while_the_other_keeps_working(target, endpoint):
    info, old = endpoint
    new = target.regenerate_key(info.name, "primary")
    assert post(info, old, "/score", score_body(ROWS)).status_code == 401
    assert post(info, new, "/score", score_body(ROWS)).status_code == 200
    assert post(info, new, "/score", score_body(ROWS), key="secondary").status_code == 200


@pytest.mark.parametrize("body,message", [
    (b"", "body is empty"),
    (b"{oops", "not valid JSON"),
    (score_body([]), "holds no rows"),
    (score_body([{k: v for k, v in bank_row().items() if k != "age"}]), "has no 'age'"),
    (score_body([bank_row(age="old")]), "'age' must be a number; row 0 has 'old'"),
    (score_body([bank_row(job=7)]), "'job' must be text"),
])
def test_bad_input_is_a_400_naming_the_problem_and_the_server_keeps_serving(target, endpoint, body, message):
    info = endpoint[0]
    keys = target.keys(info.name)
    response = post(info, keys, "/score", body)
    assert response.status_code == 400 and message in response.json()["error"]
    assert_scored(post(info, keys, "/score", score_body(ROWS)))


def test_unseen_categories_missing_numbers_and_extra_columns_are_scored_with_warnings(target, endpoint):
    info = endpoint[0]
    keys = target.keys(info.name)
    rows = [bank_row(job="astronaut", age=None, colour="red"), bank_row()]
    document = assert_scored(post(info, keys, "/score", score_body(rows)))
    warnings = " ".join(document["warnings"])
    assert "'job' had 1 value(s) not seen" in warnings
    assert "'age' was missing in 1 row(s)" in warnings and "colour" in warnings


def test_an_oversized_payload_is_refused(target, endpoint):
    info = endpoint[0]
    keys = target.keys(info.name)
    big = score_body([bank_row()] * 20_000)  # ~10 MB, over the 5 MB default
    response = post(info, keys, "/score", big)
    assert response.status_code == 400 and "the limit is 5 MB" in response.json()["error"]


def test_every_answered_and_rejected_request_is_in_the_usage_log(target, endpoint):
    info = endpoint[0]
    keys = target.keys(info.name)
    ok = post(info, keys, "/score", score_body(ROWS), **{"X-Request-Id": "usage-ok-1"})
    bad = post(info, keys, "/score", b"{oops", **{"X-Request-Id": "usage-bad-1"})
    denied = post(info, keys, "/score", score_body(ROWS), key="nope", **{"X-Request-Id": "usage-401-1"})
    assert (ok.status_code, bad.status_code, denied.status_code) == (200, 400, 401)
    records = {r["client_request_id"]: r for r in recent_records(target.settings.workspace.usage, info.name, 200)}
    assert records["usage-ok-1"]["request_id"] == ok.json()["request_id"] != "usage-ok-1"
    assert records["usage-ok-1"]["inputs"] == ROWS and len(records["usage-ok-1"]["outputs"]) == 2
    assert records["usage-bad-1"]["status"] == 400 and "JSON" in records["usage-bad-1"]["error"]
    assert records["usage-401-1"]["status"] == 401 and records["usage-401-1"]["inputs"] is None
    assert records["usage-ok-1"]["latency_ms"] > 0 and records["usage-ok-1"]["version"] == "1"
    assert keys.primary not in str(records) and keys.secondary not in str(records)


def test_a_simulated_time_is_recorded_and_a_bad_one_refused(target, endpoint):
    info = endpoint[0]
    keys = target.keys(info.name)
    sent = post(info, keys, "/score", score_body(ROWS), **{"X-Opml-Event-Time": "2026-01-15T12:00:00+02:00"})
    naive = post(info, keys, "/score", score_body(ROWS), **{"X-Opml-Event-Time": "2026-01-15T10:30:00"})
    bad = post(info, keys, "/score", score_body(ROWS), **{"X-Opml-Event-Time": "yesterday"})
    assert bad.status_code == 400 and "ISO 8601" in bad.json()["error"]
    records = {r["request_id"]: r for r in recent_records(target.settings.workspace.usage, info.name, 200)}
    assert records[sent.json()["request_id"]]["event_time"] == "2026-01-15T10:00:00.000Z"  # in UTC
    assert records[naive.json()["request_id"]]["event_time"] == "2026-01-15T10:30:00.000Z"  # UTC


def test_metadata_describes_the_model_and_needs_the_key(target, endpoint):
    info = endpoint[0]
    keys = target.keys(info.name)
    base = info.scoring_uri.rsplit("/", 1)[0]
    assert requests.get(f"{base}/metadata", timeout=5).status_code == 401
    meta = requests.get(f"{base}/metadata", headers={"Authorization": f"Bearer {keys.primary}"},
                        timeout=5).json()
    assert meta["classes"] == {"positive": "yes", "negative": "no"}
    assert {c["display"] for c in meta["inputs"]} >= {"age", "emp.var.rate"}
    assert "roc_auc" in meta["training_metrics"]


def test_health_and_openapi_answer_without_a_key(endpoint):
    info = endpoint[0]
    base = info.scoring_uri.rsplit("/", 1)[0]
    assert requests.get(f"{base}/health", timeout=5).json()["status"] == "ready"
    paths = requests.get(f"{base}/openapi.json", timeout=5).json()["paths"]
    assert {"/score", "/invocations", "/health", "/metadata"} <= set(paths)


def test_mlflows_own_scoring_client_works_against_an_open_deployment(target):
    import pandas as pd
    from mlflow.pyfunc.scoring_server.client import ScoringServerClient

    info = target.deploy("bank-open", "opml-model", "1", auth=False)
    port = info.details["port"]
    client = ScoringServerClient("127.0.0.1", port)
    client.wait_server_ready(timeout=10)
    client.ping()
    assert client.get_version()
    frame = client.invoke(pd.DataFrame(ROWS)).get_predictions()
    assert list(frame.columns) == ["label", "probability"] and len(frame) == 2


def test_a_chunked_body_over_the_limit_is_refused_without_being_kept(target, endpoint):
    info = endpoint[0]
    keys = target.keys(info.name)
    chunk = b" " * (1 << 20)
    body = (chunk for _ in range(8))  # no Content-Length: sent chunked, 8 MB in all
    response = requests.post(info.scoring_uri, data=body, timeout=30, headers={
        "Authorization": f"Bearer {keys.primary}", "Content-Type": "application/json"})
    assert response.status_code == 400 and "the limit is 5 MB" in response.json()["error"]
    assert_scored(post(info, keys, "/score", score_body(ROWS)))
