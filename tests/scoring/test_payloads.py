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


@pytest.mark.parametrize("columns", [[1], [None], [True], [[1]], [{"a": 1}]])
def test_column_names_that_are_not_text_are_refused_naming_the_column(columns):
    body = orjson.dumps({"input_data": {"columns": columns, "data": [[1]]}})
    with pytest.raises(ScoringError, match="Column 0 of \"input_data\" is .*names must be text"):
        parse_score(body)


def test_a_column_named_twice_is_refused():
    body = orjson.dumps({"dataframe_split": {"columns": ["age", "age"], "data": [[1, 2]]}})
    with pytest.raises(ScoringError, match="'age' appears twice"):
        parse_invocations(body, "application/json")


@pytest.mark.parametrize("body,message", [
    (b'{"data": "hello"}', '"data" must be a list of rows .* it is text'),
    (b'{"data": 3}', "it is a number"),
    (b'{"data": null}', "it is null"),
])
def test_data_that_is_not_a_list_of_rows_says_what_came_instead(body, message):
    with pytest.raises(ScoringError, match=message):
        parse_score(body)


def test_mlflow_records_that_are_not_a_list_say_so():
    with pytest.raises(ScoringError, match='"dataframe_records" must be a list'):
        parse_invocations(b'{"dataframe_records": "x"}', "application/json")


@pytest.mark.parametrize("body,message", [
    (b'age,job\n41,"admin.\n30,student\n', "ends inside a quoted value"),
    (b"age,job\n41,admin.,extra\n", "CSV row 0 has 3 fields for 2 columns"),
    (b"age,job\n41\n", "CSV row 0 has 1 fields for 2 columns"),
    (b"age,job\n41," + b"x" * 140_000 + b"\n", "CSV line 2 has a value longer than 131,072"),
])
def test_broken_csv_is_refused_naming_the_line_and_problem(body, message):
    with pytest.raises(ScoringError, match=message):
        parse_invocations(body, "text/csv")
