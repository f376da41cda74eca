"""Splits: random is seeded, temporal keeps order, skew makes a segment more common."""

import pytest

from opml_core.data import ROW_ID, SkewSpec, SplitSpec
from opml_core.data.split import split_frame
from opml_core.errors import DataError


@pytest.fixture(scope="module")
def numbered(spark):
    from pyspark.sql import functions as F

    return (spark.range(1000).withColumnRenamed("id", ROW_ID)
            .withColumn("age", (F.col(ROW_ID) % 80 + 18).cast("int"))
            .withColumn("day", F.expr(f"date_add(DATE'2024-01-01', cast({ROW_ID} / 10 as int))"))
            .withColumn("job", F.when(F.col(ROW_ID) % 10 == 0, "student").otherwise("admin.")))


KINDS = {"age": "numeric", "job": "categorical"}


def test_random_split_is_seeded_and_near_the_chosen_share(numbered):
    first = split_frame(numbered, SplitSpec("random", 0.25, seed=3))
    again = split_frame(numbered, SplitSpec("random", 0.25, seed=3))
    assert first.operations_rows == again.operations_rows
    assert 200 <= first.operations_rows <= 300
    assert first.training_rows + first.operations_rows == 1000


def test_temporal_split_keeps_row_order(numbered):
    parts = split_frame(numbered, SplitSpec("temporal", 0.2))
    last_training = parts.training.agg({ROW_ID: "max"}).first()[0]
    first_operations = parts.operations.agg({ROW_ID: "min"}).first()[0]
    assert last_training < first_operations
    assert parts.operations_rows == pytest.approx(200, abs=5)


def test_temporal_split_can_order_by_a_date_column(numbered):
    parts = split_frame(numbered, SplitSpec("temporal", 0.3, order_column="day"))
    assert parts.training.agg({"day": "max"}).first()[0] < parts.operations.agg({"day": "min"}).first()[0]


def test_skew_makes_the_segment_that_many_times_as_common(numbered):
    parts = split_frame(numbered, SplitSpec("temporal", 0.5), SkewSpec("age", ">", 60, 3.0), KINDS)
    assert parts.segment_after == pytest.approx(3 * parts.segment_before, rel=0.25)
    assert parts.operations_rows == 500 + parts.segment_after - parts.segment_before


def test_skew_below_one_makes_a_category_rarer(numbered):
    parts = split_frame(numbered, SplitSpec("random", 0.5, seed=1),
                        SkewSpec("job", "==", "student", 0.25), KINDS)
    assert parts.segment_after < parts.segment_before / 2


def test_skew_below_one_keeps_the_remaining_segment_rows_in_place(numbered):
    """The students left are where they were in the operations order, spread through it, not
    moved to its end."""
    parts = split_frame(numbered, SplitSpec("temporal", 0.5), SkewSpec("job", "==", "student", 0.5),
                        KINDS)
    rows = parts.operations.select(ROW_ID, "job").collect()  # stored order, as traffic replays it
    ids = [r[ROW_ID] for r in rows]
    assert ids == sorted(ids)
    quarters = [4 * i // len(rows) for i, r in enumerate(rows) if r["job"] == "student"]
    assert parts.segment_after == len(quarters) < parts.segment_before
    assert min(quarters.count(q) for q in range(4)) >= 2, quarters


def test_a_split_that_leaves_a_part_empty_is_refused(spark):
    same_day = spark.sql(f"SELECT id AS {ROW_ID}, DATE'2024-01-01' AS day FROM range(10)")
    with pytest.raises(DataError, match="leaves the operations part empty"):
        split_frame(same_day, SplitSpec("temporal", 0.2, order_column="day"))


def test_a_share_outside_zero_and_one_is_refused(numbered):
    with pytest.raises(DataError, match="between 0% and 100%"):
        split_frame(numbered, SplitSpec("random", 1.0))


def test_skew_on_an_absent_segment_is_refused(numbered):
    with pytest.raises(DataError, match="No operations row has age > 500"):
        split_frame(numbered, SplitSpec("temporal", 0.2), SkewSpec("age", ">", 500, 2.0), KINDS)
