"""Bundles pick the engine: compiled when possible, Spark (with a note) or pyfunc otherwise."""

from pathlib import Path

import pytest

from opml_core.errors import DeploymentError, ForeignCodeError
from opml_core.registry import register_model_dir
from opml_core.scoring.bundle import build_bundle
from opml_core.scoring.engines import load_in_app_scorer, load_scorer
from tests.test_submission import pyfunc_dir


def test_a_trained_pipeline_is_served_by_the_compiled_scorer(trained_settings, tmp_path):
    meta = build_bundle(trained_settings, "opml-model", "champion", tmp_path / "bundle")
    assert (meta.engine, meta.note, meta.version) == ("compiled", None, "1")
    assert meta.positive_class == "yes" and meta.operations_table == "bank_ops"
    age = next(c for c in meta.inputs.columns if c.name == "age")
    assert age.kind == "numeric" and age.minimum is not None and age.imputed is not None
    assert [c.display for c in meta.inputs.columns][:2] == ["age", "job"]


def test_the_compiled_form_is_kept_with_the_version(trained_settings):
    import mlflow

    from opml_core.registry import list_versions

    run_id = next(v.run_id for v in list_versions(trained_settings) if v.version == "1")
    names = {a.path for a in mlflow.MlflowClient().list_artifacts(run_id, "scorer")}
    assert names == {"scorer/compiled.npz"}


def register_spark_only_model(spark, settings, folder: Path) -> str:
    """Register "bucketed": a Spark pipeline with a stage the compiled scorer does not know
    (Bucketizer), so it is served through Spark; returns its version."""
    import mlflow.spark
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import Bucketizer, VectorAssembler
    from mlflow.models import infer_signature

    frame = spark.createDataFrame([(float(i), float(i % 2)) for i in range(40)], "x double, label double")
    model = Pipeline(stages=[Bucketizer(splits=[-1e9, 10, 20, 1e9], inputCol="x", outputCol="b"),
                             VectorAssembler(inputCols=["x", "b"], outputCol="features"),
                             LogisticRegression()]).fit(frame)
    mlflow.spark.save_model(model, str(folder / "model"),
                            signature=infer_signature(frame.select("x").toPandas(), [0.0]))
    return register_model_dir(settings, folder / "model", "bucketed", "bucketed.zip").version


def test_an_unsupported_stage_falls_back_to_spark_with_a_note(spark, trained_settings, tmp_path):
    version = register_spark_only_model(spark, trained_settings, tmp_path)
    meta = build_bundle(trained_settings, "bucketed", version, tmp_path / "bundle")
    assert meta.engine == "spark" and "Bucketizer" in meta.note and "through Spark" in meta.note
    scored = load_scorer(tmp_path / "bundle").score_records([{"x": 3.0}, {"x": 25.0}])
    assert len(scored.probabilities) == 2 and all(0 <= p <= 1 for p in scored.probabilities)


def test_another_flavour_is_served_through_pyfunc_with_a_note(trained_settings, tmp_path):
    logged = register_model_dir(trained_settings, pyfunc_dir(tmp_path), "doubler", "doubler.zip")
    meta = build_bundle(trained_settings, "doubler", logged.version, tmp_path / "bundle")
    assert meta.engine == "pyfunc" and "mlflow.pyfunc" in meta.note
    scored = load_scorer(Path(tmp_path / "bundle")).score_records([{"x": 2.5}])
    assert scored.labels == ["5.0"] and scored.probabilities is None


def test_the_app_refuses_to_load_a_model_that_runs_its_own_code(trained_settings, tmp_path,
                                                                 monkeypatch):
    import mlflow.pyfunc

    logged = register_model_dir(trained_settings, pyfunc_dir(tmp_path), "doubler", "doubler.zip")
    build_bundle(trained_settings, "doubler", logged.version, tmp_path / "bundle")

    def loaded_in_the_app(*args, **kwargs):
        raise AssertionError("the model's code was loaded in the app's process")

    monkeypatch.setattr(mlflow.pyfunc, "load_model", loaded_in_the_app)
    with pytest.raises(ForeignCodeError, match="runs its own code.*through mlflow.pyfunc.*"
                                               "only through its endpoint: deploy it"):
        load_in_app_scorer(tmp_path / "bundle")


def test_the_app_scores_a_compiled_model_itself(trained_settings, tmp_path):
    build_bundle(trained_settings, "opml-model", "champion", tmp_path / "bundle")
    scorer = load_in_app_scorer(tmp_path / "bundle")
    assert scorer.engine == "compiled"


def test_a_missing_version_or_alias_is_refused(trained_settings, tmp_path):
    with pytest.raises(DeploymentError, match="no version or alias 'nobody'"):
        build_bundle(trained_settings, "opml-model", "nobody", tmp_path / "bundle")
    assert not (tmp_path / "bundle").exists()


def test_a_not_applicable_code_keeps_its_column_one_numeric_input(spark, settings, bank_small,
                                                                  tmp_path):
    from opml_core.data import prepare_tables
    from opml_core.train import TrainSpec, train_and_log
    from tests.conftest import bank_spec

    prepare_tables(spark, settings.workspace, bank_small, bank_spec(sentinels={"pdays": 999}))
    train_and_log(spark, settings, TrainSpec("bank_train", "logistic_regression"))
    meta = build_bundle(settings, "opml-model", "1", tmp_path / "bundle")
    pdays = [c for c in meta.inputs.columns if c.name == "pdays"]
    assert meta.engine == "compiled" and len(pdays) == 1 and pdays[0].kind == "numeric"
    scorer = load_scorer(tmp_path / "bundle")
    row = {c.display: (c.levels[0] if c.kind == "categorical" else c.minimum) for c in meta.inputs.columns}
    never, lately = (scorer.score_records([{**row, "pdays": days}]).probabilities[0] for days in (999, 3))
    assert never != lately


def test_the_stored_decision_threshold_decides_the_endpoints_label(trained_settings, tmp_path):
    from opml_core.registry import decision_threshold, list_versions, set_decision_threshold

    run_id = next(v.run_id for v in list_versions(trained_settings) if v.version == "1")
    suggested = decision_threshold(trained_settings, run_id)
    assert suggested is not None and 0 < suggested < 1  # best F1, stored at training
    meta = build_bundle(trained_settings, "opml-model", "1", tmp_path / "suggested")
    assert meta.threshold == suggested
    rows = [{c.display: (c.levels[i % len(c.levels)] if c.kind == "categorical" else c.minimum + i)
             for c in meta.inputs.columns} for i in range(40)]
    result = load_scorer(tmp_path / "suggested").score_records(rows)
    assert result.labels == ["yes" if p >= suggested else "no" for p in result.probabilities]

    set_decision_threshold(trained_settings, run_id, 0.999)
    try:
        build_bundle(trained_settings, "opml-model", "1", tmp_path / "strict")
        strict = load_scorer(tmp_path / "strict").score_records(rows)
        assert strict.probabilities == result.probabilities and set(strict.labels) == {"no"}
        with pytest.raises(Exception, match="between 0 and 1"):
            set_decision_threshold(trained_settings, run_id, 1.5)
        assert decision_threshold(trained_settings, run_id) == 0.999
    finally:
        set_decision_threshold(trained_settings, run_id, suggested)
