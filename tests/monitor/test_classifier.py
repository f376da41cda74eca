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


def test_small_windows_with_a_not_applicable_code_still_get_a_verdict(reference):
    from dataclasses import replace

    model, frame = reference
    card = replace(model.card, sentinels={"pdays": 999.0})  # 96% of pdays is the code
    training, production = halves(frame)
    # a small sample of such a training table is likely to hold no pdays but 999 at all
    training = training.where("pdays = 999").unionByName(training.where("pdays != 999").limit(5))
    few = production.limit(60).withColumn("window", F.lit("2026-03-04").cast("timestamp"))
    result = classify_drift(training, few, card, model.importances)
    assert len(result.windows) == 1 and 0.0 <= result.windows[0].auc <= 1.0
