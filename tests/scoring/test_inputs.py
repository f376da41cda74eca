"""Rows are checked against the model's inputs; what the pipeline handles becomes a warning."""

import math

import pytest

from opml_core.errors import ScoringError
from opml_core.scoring.inputs import InputColumn, InputSchema, records_to_columns

SCHEMA = InputSchema((InputColumn("age", "age", "numeric", imputed=38.0),
                      InputColumn("emp_var_rate", "emp.var.rate", "numeric"),
                      InputColumn("job", "job", "categorical", levels=("admin.", "student"))))
ROW = {"age": 41, "emp.var.rate": -1.8, "job": "admin."}


def test_readable_and_safe_names_are_both_accepted():
    safe = {"age": 30, "emp_var_rate": 1.1, "job": "student"}
    columns, warnings = records_to_columns([ROW, safe], SCHEMA, 10)
    assert columns == {"age": [41.0, 30.0], "emp_var_rate": [-1.8, 1.1], "job": ["admin.", "student"]}
    assert warnings == []


def test_numbers_sent_as_text_are_read():
    columns, _ = records_to_columns([{**ROW, "age": "41"}], SCHEMA, 10)
    assert columns["age"] == [41.0]


@pytest.mark.parametrize("records,message", [
    ([], "holds no rows"),
    ({"age": 1}, "holds no rows"),
    (["not an object"], "Row 0 is not an object"),
    ([{"age": 41, "job": "admin."}], "Row 0 has no 'emp.var.rate'"),
    ([{**ROW, "age": "forty"}], "'age' must be a number; row 0 has 'forty'"),
    ([{**ROW, "age": True}], "'age' must be a number"),
    ([{**ROW, "age": float("inf")}], "finite number"),
    ([{**ROW, "job": 3}], "'job' must be text such as 'admin.'; row 0 has 3"),
    ([ROW] * 11, "11 rows; the limit is 10"),
])
def test_bad_rows_are_refused_naming_column_and_row(records, message):
    with pytest.raises(ScoringError, match=message):
        records_to_columns(records, SCHEMA, 10)


def test_missing_numbers_and_extra_columns_only_warn():
    columns, warnings = records_to_columns([{**ROW, "age": None, "colour": "red"}], SCHEMA, 10)
    assert math.isnan(columns["age"][0])
    assert any("Ignored columns the model does not use: colour" in w for w in warnings)
    assert any("'age' was missing in 1 row(s) and was imputed with the training median (38)" in w
               for w in warnings)


def test_a_missing_number_the_pipeline_cannot_impute_is_refused_naming_the_column():
    schema = InputSchema((InputColumn("age", "age", "numeric", refuses_missing=True),))
    with pytest.raises(ScoringError, match="Row 1 has no number for 'age'.*no imputer"):
        records_to_columns([{"age": 41}, {"age": None}], schema, 10)


def test_a_missing_number_is_never_said_to_be_imputed_when_it_was_not():
    schema = InputSchema((InputColumn("age", "age", "numeric"),))  # a pyfunc model's input
    _, warnings = records_to_columns([{"age": None}], schema, 10)
    assert warnings == ["'age' was missing in 1 row(s); it was passed to the model as missing."]


RANGED = InputSchema((InputColumn("age", "age", "numeric", minimum=18.0, maximum=95.0, imputed=38.0),
                      InputColumn("flag", "flag", "categorical", levels=("true", "false")),
                      InputColumn("job", "job", "categorical", levels=("admin.", "student"))))


@pytest.mark.parametrize("age", [41, 41.5, 18, 95.0, 17, 1e300, float("nan"), None, "41", True])
@pytest.mark.parametrize("flag", ["true", True, None])
def test_a_row_alone_is_read_as_it_is_in_a_batch(age, flag):
    """A one-row request takes a shorter path; what it yields or says must be the same."""
    row = {"age": age, "flag": flag, "job": "student"}

    def outcome(rows):
        try:
            columns, warnings = records_to_columns(rows, RANGED, 10)
        except ScoringError as exc:
            return type(exc).__name__, str(exc)
        return {k: [None if isinstance(v, float) and math.isnan(v) else v for v in values[:1]]
                for k, values in columns.items()}, [w.replace("2 row(s)", "1 row(s)")
                                                    .replace("2 rows (first: row 0)", "row 0")
                                                    for w in warnings]

    assert outcome([row]) == outcome([row, row])
