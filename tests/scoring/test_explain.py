"""Explanations add up: baseline + a row's contributions is its probability or its log-odds."""

import numpy as np
import pytest

from opml_core.data import read_card, read_table
from opml_core.pipeline import build_preprocessing, estimator_spec, label_column
from opml_core.scoring.compile import compile_spark_model
from tests.scoring.test_parity import MODELS


@pytest.fixture(scope="module")
def rows_and_card(spark, parity_workspace):
    card = read_card(parity_workspace.workspace, "bank_train")
    card.sentinels = {"pdays": 999.0}  # a code's flag adds up to its column too
    training = read_table(spark, parity_workspace.workspace, "bank_train").withColumn("label", label_column(card))
    sample = read_table(spark, parity_workspace.workspace, "bank_ops").limit(400).toPandas()
    columns = {c: [None if v != v else v for v in sample[c].tolist()] if c in card.numeric
               else sample[c].tolist() for c in card.features}
    return training, card, columns


@pytest.fixture(scope="module")
def parity_workspace(tmp_path_factory, mlflow_template, spark, bank_small):
    from opml_core.data import prepare_tables
    from tests.conftest import bank_spec, make_settings

    settings = make_settings(tmp_path_factory.mktemp("explain-ws"), mlflow_template)
    prepare_tables(spark, settings.workspace, bank_small, bank_spec())
    return settings


@pytest.mark.parametrize("kind", list(MODELS))
def test_baseline_plus_contributions_is_the_models_own_score(rows_and_card, kind, tmp_path):
    from pyspark.ml import Pipeline

    training, card, columns = rows_and_card
    params = {**MODELS[kind], **({"seed": 1} if kind != "logistic_regression" else {})}
    model = Pipeline(stages=[*build_preprocessing(card), estimator_spec(kind).build(params)]).fit(training)
    model.write().save(str(tmp_path / "sparkml"))
    compiled = compile_spark_model(tmp_path / "sparkml")

    probabilities, _, _ = compiled.score(columns)
    baseline, scale, names, contributions = compiled.explain(columns)
    assert names == card.features and contributions.shape == (400, len(card.features))
    total = baseline + contributions.sum(axis=1)
    if kind == "random_forest":
        assert scale == "probability" and np.abs(total - probabilities).max() <= 1e-9
    else:
        assert scale == "log-odds"
        assert np.abs(total - np.log(probabilities / (1 - probabilities))).max() <= 1e-9
    assert np.abs(contributions).sum(axis=0).max() > 0  # something is credited
    one_baseline, _, _, one = compiled.explain({c: v[:1] for c, v in columns.items()})
    assert one_baseline == baseline and np.allclose(one[0], contributions[0], atol=1e-12)
