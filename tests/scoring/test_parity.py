"""The compiled scorer equals Spark's transform on every bundled row, for each model kind
(and with a numeric code read as "not applicable")."""

import numpy as np
import pytest

from opml_core.data import read_card
from opml_core.pipeline import build_preprocessing, estimator_spec, label_column
from opml_core.scoring.compile import compile_spark_model
from tests.conftest import bank_spec

TOLERANCE = 1e-9
MODELS = {"random_forest": {"numTrees": 20, "maxDepth": 6},
          "gbt": {"maxIter": 15, "maxDepth": 4},
          "logistic_regression": {"regParam": 0.01}}


@pytest.fixture(scope="module")
def all_rows(spark, bank):
    """All 41,188 bundled rows, plus a few hundred with missing numbers and odd categories."""
    from pyspark.sql import functions as F

    odd = (bank.df.limit(300)
           .withColumn("age", F.when(F.col("opml_row_id") % 3 == 0, None).otherwise(F.col("age")))
           .withColumn("job", F.when(F.col("opml_row_id") % 4 == 0, "astronaut")
                       .when(F.col("opml_row_id") % 5 == 0, None).otherwise(F.col("job")))
           .withColumn("opml_row_id", F.col("opml_row_id") + 10_000_000))
    return bank.df.unionByName(odd).cache()


@pytest.fixture(scope="module")
def parity_workspace(tmp_path_factory, mlflow_template, spark, bank_small):
    from opml_core.data import prepare_tables
    from tests.conftest import make_settings

    settings = make_settings(tmp_path_factory.mktemp("parity-ws"), mlflow_template)
    prepare_tables(spark, settings.workspace, bank_small, bank_spec())
    return settings


@pytest.mark.parametrize("kind, codes", [*((k, {}) for k in MODELS),
                                         ("gbt", {"pdays": 999.0}),
                                         ("logistic_regression", {"pdays": 999.0})])
def test_compiled_probabilities_match_spark_on_every_row(spark, parity_workspace, all_rows, kind,
                                                         codes, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.functions import vector_to_array

    from opml_core.data import read_table

    card = read_card(parity_workspace.workspace, "bank_train")
    card.sentinels = codes  # pdays = 999 read as "not applicable": a flag and a missing number
    params = {**MODELS[kind], **({"seed": 1} if kind != "logistic_regression" else {})}
    training = read_table(spark, parity_workspace.workspace, "bank_train").withColumn("label", label_column(card))
    model = Pipeline(stages=[*build_preprocessing(card), estimator_spec(kind).build(params)]).fit(training)
    model.write().save(str(tmp_path / "sparkml"))
    compiled = compile_spark_model(tmp_path / "sparkml")

    expected = (model.transform(all_rows)
                .select("opml_row_id", vector_to_array("probability")[1].alias("p"), "prediction")
                .orderBy("opml_row_id").toPandas())
    inputs = all_rows.orderBy("opml_row_id").select(*card.features).toPandas()
    columns = {c: inputs[c].tolist() for c in card.features}
    for c in card.numeric:
        columns[c] = [None if v != v else v for v in columns[c]]
    probabilities, labels, unseen = compiled.score(columns)

    assert len(probabilities) == len(expected) == 41_188 + 300
    assert np.abs(probabilities - expected["p"].to_numpy()).max() <= TOLERANCE
    assert (labels == expected["prediction"].to_numpy().astype(int)).all()
    assert unseen["job"] > 0
    for index in [*range(0, 41_188, 997), *range(41_188, 41_188 + 300, 7)]:  # the one-row path too
        one, label, _ = compiled.score({c: [values[index]] for c, values in columns.items()})
        assert abs(one[0] - probabilities[index]) <= 1e-15 and label[0] == labels[index]
