"""The /score contract, over real HTTP on 127.0.0.1, for every target that serves it: opml's
own endpoint and the Azure package under Azure's inference server give the same answers, the
same 400s for bad input, the same key checks and the same usage records."""

import orjson
import pytest
import requests

from opml_core.scoring.payloads import score_body
from tests.serve.conftest import bank_row

ROWS = [bank_row(), bank_row(age=70, job="retired", poutcome="success")]


def post(target, info, body, key="primary", **headers):
    keys = target.keys(info.name)
    if key:
        headers["Authorization"] = f"Bearer {getattr(keys, key) if key in ('primary', 'secondary') else key}"
    return requests.post(info.scoring_uri, data=body,
                         headers={"Content-Type": "application/json", **headers}, timeout=30)


def assert_scored(response, rows=2):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["model"] == "opml-model" and document["version"] == "1"
    assert len(document["request_id"]) == 32
    assert response.headers["x-request-id"]  # Azure's server puts its own id there
    assert len(document["predictions"]) == rows
    for prediction in document["predictions"]:
        assert prediction["label"] in ("yes", "no") and 0.0 <= prediction["probability"] <= 1.0
    return document


@pytest.mark.parametrize("format", ["data", "input_data"])
def test_azure_formats_are_scored(scoring, format):
    assert_scored(post(*scoring, score_body(ROWS, format)))


def test_both_formats_give_the_same_probabilities(scoring):
    a = post(*scoring, score_body(ROWS)).json()["predictions"]
    b = post(*scoring, score_body(ROWS, "input_data")).json()["predictions"]
    assert a == b


def test_no_key_or_a_wrong_key_is_refused(scoring):
    for key in (None, "not-the-key"):
        response = post(*scoring, score_body(ROWS), key=key)
        assert response.status_code == 401
        assert "Authorization: Bearer" in response.json()["error"]


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer"])
def test_the_bearer_scheme_is_matched_whatever_its_case(scoring, scheme):
    target, info = scoring
    key = target.keys(info.name).primary
    response = requests.post(info.scoring_uri, data=score_body(ROWS), timeout=30, headers={
        "Authorization": f"{scheme} {key}", "Content-Type": "application/json"})
    assert_scored(response)


def test_a_request_with_non_text_column_names_is_answered_and_recorded(scoring):
    target, info = scoring
    body = orjson.dumps({"input_data": {"columns": [1], "data": [[1]]}})
    sent = post(*scoring, body, **{"X-Request-Id": "numeric-columns"})
    assert sent.status_code == 400
    records = {r["client_request_id"]: r for r in target.recent_requests(info.name, 200)}
    assert records["numeric-columns"]["request_id"] == sent.json()["request_id"]


def test_a_rotated_key_stops_working_while_the_other_keeps_working(scoring):
    target, info = scoring
    old = target.keys(info.name).primary
    target.regenerate_key(info.name, "primary")
    assert post(target, info, score_body(ROWS), key=old).status_code == 401
    assert post(target, info, score_body(ROWS)).status_code == 200
    assert post(target, info, score_body(ROWS), key="secondary").status_code == 200


@pytest.mark.parametrize("body,message", [
    (b"", "body is empty"),
    (b"{oops", "not valid JSON"),
    (score_body([]), "holds no rows"),
    (score_body([{k: v for k, v in bank_row().items() if k != "age"}]), "has no 'age'"),
    (score_body([bank_row(age="old")]), "'age' must be a number; row 0 has 'old'"),
    (score_body([bank_row(job=7)]), "'job' must be text"),
    (b'{"data": "hello"}', '"data" must be a list of rows'),
    (orjson.dumps({"input_data": {"columns": [1], "data": [[1]]}}), "Column 0 of \"input_data\""),
    (orjson.dumps({"input_data": {"columns": [None], "data": [[1]]}}), "names must be text"),
    (orjson.dumps({"input_data": {"columns": [True], "data": [[1]]}}), "names must be text"),
    (orjson.dumps({"input_data": {"columns": [[1]], "data": [[1]]}}), "names must be text"),
])
def test_bad_input_is_a_400_naming_the_problem_and_the_server_keeps_serving(scoring, body, message):
    response = post(*scoring, body)
    assert response.status_code == 400 and message in response.json()["error"]
    assert_scored(post(*scoring, score_body(ROWS)))


def test_unseen_categories_missing_numbers_and_extra_columns_are_scored_with_warnings(scoring):
    rows = [bank_row(job="astronaut", age=None, colour="red"), bank_row()]
    document = assert_scored(post(*scoring, score_body(rows)))
    warnings = " ".join(document["warnings"])
    assert "'job' had 1 value(s) not seen" in warnings
    assert "'age' was missing in 1 row(s)" in warnings and "colour" in warnings


def test_an_oversized_payload_is_refused(scoring):
    big = score_body([bank_row()] * 20_000)  # ~10 MB, over the 5 MB default
    response = post(*scoring, big)
    assert response.status_code == 413 and "the limit is 5 MB" in response.json()["error"]


def test_a_chunked_body_over_the_limit_is_refused_without_being_kept(scoring):
    target, info = scoring
    chunk = b" " * (1 << 20)
    body = (chunk for _ in range(8))  # no Content-Length: sent chunked, 8 MB in all
    response = requests.post(info.scoring_uri, data=body, timeout=30, headers={
        "Authorization": f"Bearer {target.keys(info.name).primary}", "Content-Type": "application/json"})
    assert response.status_code == 413 and "the limit is 5 MB" in response.json()["error"]
    assert_scored(post(*scoring, score_body(ROWS)))


def test_every_answered_and_rejected_request_is_recorded(scoring):
    target, info = scoring
    keys = target.keys(info.name)
    ok = post(*scoring, score_body(ROWS), **{"X-Request-Id": "usage-ok-1"})
    bad = post(*scoring, b"{oops", **{"X-Request-Id": "usage-bad-1"})
    denied = post(*scoring, score_body(ROWS), key="nope", **{"X-Request-Id": "usage-401-1"})
    assert (ok.status_code, bad.status_code, denied.status_code) == (200, 400, 401)
    records = {r["client_request_id"]: r for r in target.recent_requests(info.name, 200)}
    assert records["usage-ok-1"]["request_id"] == ok.json()["request_id"] != "usage-ok-1"
    assert records["usage-ok-1"]["inputs"] == ROWS and len(records["usage-ok-1"]["outputs"]) == 2
    assert records["usage-ok-1"]["deployment"] == info.name
    assert records["usage-bad-1"]["status"] == 400 and "JSON" in records["usage-bad-1"]["error"]
    assert records["usage-401-1"]["status"] == 401 and records["usage-401-1"]["inputs"] is None
    assert records["usage-ok-1"]["latency_ms"] > 0 and records["usage-ok-1"]["version"] == "1"
    assert keys.primary not in str(records) and keys.secondary not in str(records)


def test_a_request_too_long_for_one_log_line_is_recorded_whole(scoring):
    target, info = scoring
    rows = [bank_row(job=f"job-{n}-" + "x" * 40) for n in range(600)]  # a record of ~300 KB
    sent = post(*scoring, score_body(rows))
    assert sent.status_code == 200
    record = next(r for r in target.recent_requests(info.name, 50)
                  if r["request_id"] == sent.json()["request_id"])
    assert record["inputs"] == rows and record["outputs"] == sent.json()["predictions"]


def test_a_simulated_time_is_recorded_and_a_bad_one_refused(scoring):
    target, info = scoring
    sent = post(*scoring, score_body(ROWS), **{"X-Opml-Event-Time": "2026-01-15T12:00:00+02:00"})
    naive = post(*scoring, score_body(ROWS), **{"X-Opml-Event-Time": "2026-01-15T10:30:00"})
    bad = post(*scoring, score_body(ROWS), **{"X-Opml-Event-Time": "yesterday"})
    assert bad.status_code == 400 and "ISO 8601" in bad.json()["error"]
    for edge in ("9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"):
        late = post(*scoring, score_body(ROWS), **{"X-Opml-Event-Time": edge})
        assert late.status_code == 400 and "outside the calendar" in late.json()["error"]
    records = {r["request_id"]: r for r in target.recent_requests(info.name, 200)}
    assert records[sent.json()["request_id"]]["event_time"] == "2026-01-15T10:00:00.000Z"  # in UTC
    assert records[naive.json()["request_id"]]["event_time"] == "2026-01-15T10:30:00.000Z"  # UTC


def test_explanations_come_when_asked_in_the_url_or_the_body_and_add_up(scoring):
    target, info = scoring
    for url_flag, body in (("?explain=true", score_body(ROWS)),
                           ("", orjson.dumps({"data": ROWS, "explain": True}))):
        response = requests.post(info.scoring_uri + url_flag, data=body, timeout=30, headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {target.keys(info.name).primary}"})
        assert_scored(response)
        for prediction in response.json()["predictions"]:
            explanation = prediction["explanation"]
            assert explanation["scale"] == "probability"  # a forest: shares of probability
            assert set(explanation["contributions"]) >= {"age", "job", "emp.var.rate"}
            total = explanation["baseline"] + sum(explanation["contributions"].values())
            assert abs(total - prediction["probability"]) <= 1e-9
    plain = post(target, info, score_body(ROWS)).json()
    assert all("explanation" not in p for p in plain["predictions"])


@pytest.mark.parametrize("url_flag, body, message", [
    ("?explain=maybe", score_body(ROWS), "explain='maybe' is not understood"),
    ("", orjson.dumps({"data": ROWS, "explain": "yes"}), '"explain" must be true or false'),
])
def test_a_bad_explain_flag_is_a_400_naming_it(scoring, url_flag, body, message):
    target, info = scoring
    response = requests.post(info.scoring_uri + url_flag, data=body, timeout=30, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {target.keys(info.name).primary}"})
    assert response.status_code == 400 and message in response.json()["error"]


def test_numbers_outside_the_training_range_are_scored_with_a_warning(scoring):
    target, info = scoring
    document = post(target, info, score_body([bank_row(age=150), bank_row()])).json()
    assert len(document["predictions"]) == 2
    assert any("'age' is 150 in row 0, outside the training range" in w for w in document["warnings"])
