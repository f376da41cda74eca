"""Payload formats are read the same by every caller, without a server."""

import orjson
import pytest

from opml_core.errors import ScoringError
from opml_core.scoring.payloads import (csv_body, invocations_body, parse_invocations, parse_score,
                                        score_body)

ROWS = [{"age": 41, "job": "admin."}, {"age": 30, "job": "student"}]


@pytest.mark.parametrize("format", ["data", "input_data"])
def test_azure_score_bodies_round_trip(format):
    assert parse_score(score_body(ROWS, format)).records == ROWS


def test_azure_data_may_also_be_split():
    body = orjson.dumps({"data": {"columns": ["age", "job"], "data": [[41, "admin."]]}})
    assert parse_score(body).records == ROWS[:1]


@pytest.mark.parametrize("format", ["dataframe_split", "dataframe_records", "instances", "inputs"])
def test_mlflow_json_bodies_round_trip(format):
    payload = parse_invocations(invocations_body(ROWS, format), "application/json")
    assert payload.records == ROWS and payload.format == format


def test_mlflow_inputs_may_be_columns():
    body = orjson.dumps({"inputs": {"age": [41, 30], "job": ["admin.", "student"]}})
    assert parse_invocations(body, "application/json").records == ROWS


def test_csv_bodies_are_read_as_text_rows():
    payload = parse_invocations(csv_body(ROWS), "text/csv; charset=utf-8")
    assert payload.records == [{"age": "41", "job": "admin."}, {"age": "30", "job": "student"}]


@pytest.mark.parametrize("body,content_type,message", [
    (b"", "application/json", "body is empty"),
    (b"{not json", "application/json", "not valid JSON"),
    (b'{"rows": []}', "application/json", "exactly one of"),
    (b'{"dataframe_split": {"columns": ["a"]}}', "application/json", "needs \"columns\""),
    (b'{"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}', "application/json", "has 2 values for 1"),
    (b"age\n", "text/csv", "header line and at least one row"),
    (b"<xml/>", "application/xml", "not supported"),
])
def test_malformed_invocations_say_what_is_expected(body, content_type, message):
    with pytest.raises(ScoringError, match=message):
        parse_invocations(body, content_type)


def test_an_unknown_score_shape_shows_both_accepted_shapes():
    with pytest.raises(ScoringError, match='"data"'):
        parse_score(b'{"rows": [1]}')
