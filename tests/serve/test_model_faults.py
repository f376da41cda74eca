"""Whose fault is a failed request: the client's mistakes are 400s naming the field and row; a
model's own failure is a 500 that says nothing of its internals, with the traceback in the log."""

import json
import logging

import pytest

from opml_core.registry import register_model_dir
from opml_core.scoring.bundle import build_bundle
from opml_core.scoring.engines import load_scorer
from opml_core.scoring.payloads import score_body
from opml_core.serve.handler import MODEL_FAULT, answer


def ask(scorer, rows) -> tuple[int, dict]:
    done = answer(scorer, "score", {}, score_body(rows), deployment="faults", max_rows=100)
    return done.status, json.loads(done.body)


@pytest.fixture
def fragile(trained_settings, tmp_path):
    """A pyfunc model (scored by mlflow.pyfunc) that fails on negative numbers."""
    import mlflow.pyfunc
    import pandas as pd
    from mlflow.models import infer_signature

    class Fragile(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            if (model_input["x"] < 0).any():
                raise RuntimeError("internal detail: /srv/model/weights.bin offset 42")
            return model_input["x"] * 2

    example = pd.DataFrame({"x": [1.0, 2.0]})
    mlflow.pyfunc.save_model(str(tmp_path / "fragile"), python_model=Fragile(),
                             signature=infer_signature(example, example["x"]))
    logged = register_model_dir(trained_settings, tmp_path / "fragile", "fragile", "fragile.zip")
    build_bundle(trained_settings, "fragile", logged.version, tmp_path / "bundle")
    return load_scorer(tmp_path / "bundle")


def test_a_models_own_failure_is_a_500_without_internals_and_its_traceback_is_logged(fragile, caplog):
    with caplog.at_level(logging.ERROR, logger="opml.serve"):
        status, document = ask(fragile, [{"x": -1.0}])
    assert status == 500 and document["error"] == MODEL_FAULT and document["request_id"]
    assert "internal detail" not in json.dumps(document)
    logged = next(r for r in caplog.records if r.exc_info)
    assert document["request_id"] in logged.getMessage()
    assert "internal detail: /srv/model/weights.bin" in str(logged.exc_info[1])


def test_our_own_input_checks_stay_400s_for_the_same_model(fragile):
    status, document = ask(fragile, [{"x": "many"}])
    assert status == 400 and "'x' must be a number; row 0 has 'many'" in document["error"]
    assert ask(fragile, [{"x": 2.0}])[0] == 200


@pytest.fixture
def unimputed_spark(spark, trained_settings, tmp_path):
    """A real (tiny) Spark pipeline with no Imputer, served by the Spark engine."""
    import mlflow.spark
    from mlflow.models import infer_signature
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import VectorAssembler

    frame = spark.createDataFrame([(float(i), float(i % 3), float(i % 2)) for i in range(30)],
                                  "x double, z double, label double")
    model = Pipeline(stages=[VectorAssembler(inputCols=["x", "z"], outputCol="features"),
                             LogisticRegression(maxIter=5)]).fit(frame)
    inputs = frame.select("x", "z").toPandas()
    mlflow.spark.save_model(model, str(tmp_path / "model"), signature=infer_signature(inputs, [0.0]))
    logged = register_model_dir(trained_settings, tmp_path / "model", "no-imputer", "no-imputer.zip")
    meta = build_bundle(trained_settings, "no-imputer", logged.version, tmp_path / "bundle")
    assert meta.engine == "spark"  # submitted without an example: scored by Spark itself
    return load_scorer(tmp_path / "bundle")


def test_a_missing_number_without_an_imputer_is_a_400_naming_column_and_row_on_spark(unimputed_spark):
    status, document = ask(unimputed_spark, [{"x": 3.0, "z": 1.0}, {"x": None, "z": 2.0}])
    assert status == 400, document
    assert "Row 1 has no number for 'x', and this model has no imputer for it" in document["error"]
    status, document = ask(unimputed_spark, [{"x": 3.0, "z": 1.0}, {"x": 4.0, "z": 2.0}])
    assert status == 200 and len(document["predictions"]) == 2
