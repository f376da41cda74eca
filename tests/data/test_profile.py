"""Profiles count what people ask about: rows, missing and 'unknown' values, distributions."""

import pytest

from opml_core.data import profile_frame


@pytest.fixture(scope="module")
def frame(spark):
    rows = [(25, "admin.", 1.0, "no"), (35, "unknown", None, "no"), (45, "admin.", 3.0, "yes"),
            (None, "student", 4.0, "no"), (65, "unknown", 5.0, "yes")]
    return spark.createDataFrame(rows, "age int, job string, balance double, y string")


def test_counts_rows_missing_and_unknown_values(frame):
    profile = profile_frame(frame, {"job": "job title"})
    assert profile.rows == 5
    assert profile.column("age").missing == 1
    assert profile.column("balance").missing == 1
    assert profile.column("job").unknown == 2
    assert profile.column("job").display == "job title"


def test_categories_are_listed_most_frequent_first(frame):
    levels = profile_frame(frame).column("job").levels
    assert levels == [("admin.", 2), ("unknown", 2), ("student", 1)]


def test_numeric_histogram_covers_every_present_value(frame):
    age = profile_frame(frame).column("age")
    assert (age.minimum, age.maximum, age.mean) == (25.0, 65.0, 42.5)
    assert sum(count for _, _, count in age.histogram) == 4
    assert age.histogram[0][0] == 25.0 and age.histogram[-1][1] == 65.0


def test_a_constant_column_gets_one_full_bar(spark):
    profile = profile_frame(spark.createDataFrame([(7,), (7,), (7,)], "x int"))
    assert profile.column("x").histogram == [(7.0, 7.0, 3)]


def test_kinds_separate_numbers_categories_and_dates(spark):
    frame = spark.sql("SELECT 1 AS n, 'a' AS c, DATE'2024-01-01' AS d, array(1) AS a")
    profile = profile_frame(frame)
    assert [c.kind for c in profile.columns] == ["numeric", "categorical", "datetime", "other"]
