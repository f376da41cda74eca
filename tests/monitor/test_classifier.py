"""The drift classifier: chance-level on a random split, and it finds an injected shift."""

import pytest
from pyspark.sql import functions as F

from opml_core.monitor import context as ctx
from opml_core.monitor.classifier import classify_drift


@pytest.fixture(scope="module")
def reference(spark, trained_settings):
    model = ctx.model_context(trained_settings, "opml-model", "1")
    return model, ctx.reference_frame(spark, trained_settings, model).cache()


def halves(frame):
    marked = frame.withColumn("__half", F.rand(3) < 0.5).cache()
    return marked.where("__half").drop("__half"), marked.where("NOT __half").drop("__half")


def test_a_random_split_of_one_table_is_chance_level(reference):
    model, frame = reference
    training, production = halves(frame)
    result = classify_drift(training, production.withColumn("window", F.lit("2026-03-02").cast("timestamp")),
                            model.card, model.importances)
    verdict = result.windows[0]
    assert verdict.band[1] - verdict.band[0] < 0.2  # narrow enough to tell drift from noise
    assert verdict.auc <= verdict.band[1] and not result.significant(verdict)


def test_an_injected_skew_is_found_and_ranked_first(reference):
    model, frame = reference
    training, production = halves(frame)
    older = production.withColumn("age", F.col("age") + 25).withColumn(
        "window", F.lit("2026-03-03").cast("timestamp"))
    result = classify_drift(training, older, model.card, model.importances)
    verdict = result.windows[0]
    assert result.significant(verdict) and verdict.auc > 0.8
    assert list(verdict.importances)[0] == "age"
    assert list(result.impact)[0] == "age"  # drifted most and the model uses it


def test_the_auc_is_within_0_02_of_scikit_learns_shuffled_cv_forest_on_the_same_sample(reference):
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from opml_core.monitor.classifier import FOLDS, window_samples

    model, frame = reference
    training, production = halves(frame)
    older = production.withColumn("age", F.col("age") + 5).withColumn(
        "window", F.lit("2026-03-03").cast("timestamp"))
    (sample,), sources, _ = window_samples(training, older, model.card)
    assert len(sources) == sample.x.shape[1] and sample.y.sum() == len(sample.y) / 2
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=11)
    scores = cross_val_predict(RandomForestClassifier(n_estimators=300, random_state=11), sample.x,
                               sample.y, cv=folds, method="predict_proba")[:, 1]
    result = classify_drift(training, older, model.card, model.importances)
    assert 0.55 < result.windows[0].auc
    assert abs(result.windows[0].auc - roc_auc_score(sample.y, scores)) < 0.02
    assert abs(np.mean(sample.x[sample.y == 1][:, sources.index("age")])
               - np.mean(sample.x[sample.y == 0][:, sources.index("age")])) > 2


def test_a_small_window_holding_only_the_not_applicable_code_still_gets_a_verdict(reference):
    """96% of pdays is 999 ("never contacted"): a small window holding nothing else, against a
    training sample holding almost nothing else, leaves the classifier a constant column."""
    model, frame = reference
    training, production = halves(frame)
    training = training.where("pdays = 999").unionByName(training.where("pdays != 999").limit(5))
    few = production.where("pdays = 999").limit(60).withColumn(
        "window", F.lit("2026-03-04").cast("timestamp"))
    result = classify_drift(training, few, model.card, model.importances)
    (verdict,) = result.windows
    assert verdict.rows == 60 and 0.0 <= verdict.auc <= 1.0 and not result.too_little
    assert verdict.importances["pdays"] < 0.05  # nothing to tell apart there


def test_numbers_sent_as_text_are_parsed_and_text_that_is_no_number_is_missing(reference):
    model, frame = reference
    training, production = halves(frame)
    as_text = F.when(F.rand(5) < 0.1, F.lit("n/a")).otherwise((F.col("age") + 25).cast("string"))
    older = production.withColumn("age", as_text).withColumn(
        "window", F.lit("2026-03-03").cast("timestamp"))
    assert dict(older.dtypes)["age"] == "string"
    result = classify_drift(training, older, model.card, model.importances)
    verdict = result.windows[0]
    assert result.significant(verdict) and verdict.auc > 0.8
    assert list(verdict.importances)[0] == "age"


def test_a_category_with_too_many_values_for_the_card_is_ranked_by_its_training_frequency(
        spark, reference):
    """Over a thousand client codes: the card keeps no levels, so the codes are ranked by how
    often the training sample holds them; production sending only rare codes is found."""
    from dataclasses import replace

    import numpy as np
    import pandas as pd

    model, _ = reference
    card = replace(model.card, features=["code", "noise"], levels={}, display_names={},
                   feature_kinds={"code": "categorical", "noise": "numeric"})
    rng = np.random.default_rng(3)
    common = rng.integers(0, 10, 1500)
    rare = rng.integers(10, 1500, 1500)
    training = pd.DataFrame({"code": [f"c{k}" for k in np.concatenate([common, rare])],
                             "noise": rng.normal(0, 1, 3000)})
    production = pd.DataFrame({"code": [f"c{k}" for k in rng.integers(10, 1500, 600)],
                               "noise": rng.normal(0, 1, 600), "window": pd.Timestamp("2026-03-03")})
    result = classify_drift(spark.createDataFrame(training), spark.createDataFrame(production),
                            card, {})
    verdict = result.windows[0]
    assert result.significant(verdict) and verdict.auc > 0.7
    assert list(verdict.importances)[0] == "code"
