"""Preparing tables: both parts saved with a card; bad choices refused, nothing touched."""

from dataclasses import replace

import pytest

from opml_core.data import SkewSpec, SplitSpec, list_tables, load_staged, prepare_tables, read_card, read_table, stage_upload
from opml_core.errors import DataError, TableExistsError
from tests.conftest import FIXTURES, bank_spec


def test_both_tables_are_saved_with_a_card(spark, settings, prepared):
    card = read_card(settings.workspace, "bank_train")
    assert card.role == "training" and card.sibling == "bank_ops"
    assert card.target == "y" and card.positive_class == "yes" and card.negative_class == "no"
    assert "duration" not in card.features and card.feature_kinds["age"] == "numeric"
    assert "admin." in card.levels["job"] and card.ranges["age"]["min"] >= 17
    assert card.display("emp_var_rate") == "emp.var.rate"
    assert read_table(spark, settings.workspace, "bank_ops").count() == prepared.operations.rows
    assert {t.name for t in list_tables(settings.workspace)} == {"bank_train", "bank_ops"}


def test_the_summary_says_what_the_split_did(prepared):
    assert prepared.summary.startswith("Split ")
    assert "by file order: the first 80%" in prepared.summary


def test_a_random_split_is_described_in_one_plain_sentence(spark, settings, bank_small):
    result = prepare_tables(spark, settings.workspace, bank_small,
                            bank_spec(split=SplitSpec("random", 0.2, seed=3)))
    train, ops = result.training.rows, result.operations.rows
    assert result.summary == (f"Split {train + ops:,} rows at random (seed 3): {train:,} train the "
                              f"model and {ops:,} stand in for production inputs.")


def test_a_skewed_split_mentions_the_segment(spark, settings, bank_small):
    spec = bank_spec(skew=SkewSpec("age", ">", 60.0, 3.0))
    result = prepare_tables(spark, settings.workspace, bank_small, spec)
    assert "rows with age > 60 were made 3× as common in operations" in result.summary
    assert "added copies spread at random (seed 42) through the operations rows" in result.summary
    where = result.operations.split["skew_rows"]
    assert where["added"] == where["segment_after"] - where["segment_before"] > 0
    assert where["placement"].startswith("spread at random")


def test_a_skewed_segment_is_spread_through_the_stored_operations_rows(spark, settings, bank_small):
    """Each quarter of the operations table, in stored order (as traffic replays it), carries
    about a quarter of the skewed segment: the copies are not appended at the end."""
    import pyarrow.dataset as ds

    from opml_core.data.tables import table_path

    spec = bank_spec(skew=SkewSpec("age", ">", 60.0, 3.0))
    result = prepare_tables(spark, settings.workspace, bank_small, spec)
    stored = ds.dataset(str(table_path(settings.workspace, "bank_ops")), format="parquet")
    ages = stored.to_table(columns=["age"]).column("age").to_pylist()  # the order traffic replays
    assert len(ages) == result.operations.rows
    quarter = len(ages) // 4
    older = [sum(a > 60 for a in ages[q * quarter:(q + 1) * quarter]) for q in range(4)]
    assert min(older) > 0.5 * sum(older) / 4, older


def test_an_existing_table_is_kept_unless_replacing_is_confirmed(spark, settings, bank_small, prepared):
    before = read_table(spark, settings.workspace, "bank_train").count()
    random_split = bank_spec(split=SplitSpec("random", 0.5, seed=1))
    with pytest.raises(TableExistsError, match="'bank_train' already exists"):
        prepare_tables(spark, settings.workspace, bank_small, random_split)
    assert read_table(spark, settings.workspace, "bank_train").count() == before
    prepare_tables(spark, settings.workspace, bank_small, replace(random_split, replace=True))
    assert read_table(spark, settings.workspace, "bank_train").count() != before


@pytest.mark.parametrize("fixture,message", [
    ("one_class.csv", "has only one value"),
    ("three_classes.csv", "more than two values"),
])
def test_a_target_without_exactly_two_classes_is_refused(spark, settings, fixture, message):
    staged = stage_upload(settings.workspace, fixture, (FIXTURES / "uploads" / fixture).read_bytes(), 10)
    data = load_staged(spark, staged)
    spec = bank_spec(features=["age", "job"], training_table="t_train", operations_table="t_ops")
    with pytest.raises(DataError, match=message):
        prepare_tables(spark, settings.workspace, data, spec)
    assert list_tables(settings.workspace) == []


def test_a_positive_class_the_target_lacks_is_refused(spark, settings, bank_small):
    with pytest.raises(DataError, match="'maybe' is not a value of 'y'"):
        prepare_tables(spark, settings.workspace, bank_small, bank_spec(positive_class="maybe"))


def test_no_features_is_refused(spark, settings, bank_small):
    with pytest.raises(DataError, match="Choose at least one feature"):
        prepare_tables(spark, settings.workspace, bank_small, bank_spec(features=[]))


def test_a_split_leaving_a_part_empty_writes_nothing(spark, settings, bank_small, prepared):
    before = read_card(settings.workspace, "bank_train").created_at
    spec = bank_spec(split=SplitSpec("temporal", 0.2, order_column="nr_employed"),
                     skew=SkewSpec("age", ">", 200, 2.0), replace=True)
    with pytest.raises(DataError):
        prepare_tables(spark, settings.workspace, bank_small, spec)
    assert read_card(settings.workspace, "bank_train").created_at == before


@pytest.mark.parametrize("training,operations,message", [
    ("Bank Train", "bank_ops", "cannot be a table name"),
    ("same", "same", "two different names"),
    ("bank_train", "model_inputs", "'model_inputs' is kept for the requests deployments receive"),
])
def test_bad_table_names_are_refused(spark, settings, bank_small, training, operations, message):
    with pytest.raises(DataError, match=message):
        prepare_tables(spark, settings.workspace, bank_small,
                       bank_spec(training_table=training, operations_table=operations))
