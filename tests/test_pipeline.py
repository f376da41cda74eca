"""The preprocessing pipeline: built from the card, forgiving of unseen and missing inputs."""

import pytest

from opml_core.errors import TrainingError
from opml_core.pipeline import ESTIMATORS, build_preprocessing, estimator_spec, label_column, slot_sources


@pytest.fixture
def fitted(spark, settings, prepared):
    from pyspark.ml import Pipeline

    from opml_core.data import read_table

    card = prepared.training
    rows = read_table(spark, settings.workspace, "bank_train")
    return card, Pipeline(stages=build_preprocessing(card)).fit(rows)


def test_categories_are_one_hot_encoded_and_numbers_imputed(fitted):
    card, model = fitted
    names = [type(stage).__name__ for stage in model.stages]
    assert names == ["SQLTransformer", "ImputerModel", "StringIndexerModel", "OneHotEncoderModel",
                     "VectorAssembler"]
    indexer = model.stages[2]
    assert indexer.getHandleInvalid() == "keep"
    assert list(indexer.labelsArray[card.categorical.index("job")])[:1] == [card.levels["job"][0]]


def test_an_unseen_category_and_a_missing_number_still_transform(spark, fitted):
    card, model = fitted
    row = {f: (card.levels[f][0] if f in card.categorical else 1.0) for f in card.features}
    row.update(job="astronaut", age=None)
    frame = spark.createDataFrame([row], ", ".join(
        f"{f} {'string' if f in card.categorical else 'double'}" for f in card.features))
    vector = model.transform(frame).select("features").first()["features"]
    assert vector.size == len(slot_sources(model.transform(frame)))
    assert model.stages[1].surrogateDF.first()["age__num"] == pytest.approx(
        card.ranges["age"]["mean"], abs=5)


def test_slots_map_back_to_the_columns_users_know(fitted, spark, settings):
    from opml_core.data import read_table

    card, model = fitted
    sources = slot_sources(model.transform(read_table(spark, settings.workspace, "bank_train")))
    assert set(sources) == set(card.features)
    assert sources.count("job") == len(card.levels["job"]) + 1  # one slot per level + the unseen bucket


def test_the_label_is_one_for_the_positive_class(spark, prepared):
    frame = spark.createDataFrame([("yes",), ("no",)], "y string")
    labels = [r[0] for r in frame.select(label_column(prepared.training)).collect()]
    assert labels == [1.0, 0.0]


def test_no_features_cannot_build_a_pipeline(prepared):
    with pytest.raises(TrainingError, match="at least one feature"):
        build_preprocessing(prepared.training, features=[])


def test_each_estimator_has_plain_knobs_with_defaults_in_range():
    for spec in ESTIMATORS.values():
        assert spec.knobs and spec.description
        for knob in spec.knobs:
            assert knob.minimum <= knob.default <= knob.maximum and knob.help


def test_a_knob_out_of_range_names_the_knob():
    with pytest.raises(TrainingError, match="Number of trees must be between 5 and 500"):
        estimator_spec("random_forest").params({"numTrees": 5000})
    with pytest.raises(TrainingError, match="no setting 'depth'"):
        estimator_spec("gbt").params({"depth": 3})
    with pytest.raises(TrainingError, match="Unknown model kind 'svm'"):
        estimator_spec("svm")
