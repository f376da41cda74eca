"""Training: a registered version with honest test metrics, and everything logged in MLflow."""

import pytest

from opml_core.data import prepare_tables
from opml_core.errors import TrainingError
from opml_core.train import TrainSpec, train_and_log
from tests.conftest import bank_spec, make_settings

SMALL_FOREST = {"numTrees": 10, "maxDepth": 4}


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory, mlflow_template, spark, bank_small):
    settings = make_settings(tmp_path_factory.mktemp("train-ws"), mlflow_template)
    prepare_tables(spark, settings.workspace, bank_small, bank_spec())
    return settings


@pytest.fixture(scope="module")
def trained(spark, module_settings):
    messages = []
    result = train_and_log(spark, module_settings, TrainSpec("bank_train", params=SMALL_FOREST),
                           progress=messages.append)
    return result, messages


def test_training_registers_version_one_with_test_metrics(trained):
    result, _ = trained
    assert (result.model_name, result.version) == ("opml-model", "1")
    assert 0.6 < result.evaluation.roc_auc <= 1.0
    assert 0.0 < result.evaluation.pr_auc <= 1.0
    assert result.evaluation.test_rows > 0 and result.evaluation.train_rows > result.evaluation.test_rows


def test_progress_is_reported_stage_by_stage(trained):
    _, messages = trained
    assert [m.split()[0] for m in messages] == ["Reading", "Fitting", "Evaluating", "Logging"]


def test_importances_are_given_per_source_column(trained):
    result, _ = trained
    assert set(result.evaluation.importances) <= set(bank_spec().features)
    assert sum(result.evaluation.importances.values()) == pytest.approx(1.0)


def test_the_run_holds_params_metrics_card_report_and_model(module_settings, trained):
    from mlflow import MlflowClient

    result, _ = trained
    client = MlflowClient(module_settings.tracking_uri)
    run = client.get_run(result.run_id)
    assert run.data.params["numTrees"] == "10" and run.data.params["table"] == "bank_train"
    assert run.data.metrics["roc_auc"] == pytest.approx(result.evaluation.roc_auc)
    artifacts = {a.path for a in client.list_artifacts(result.run_id)}
    assert {"dataset_card.json", "evaluation.json", "report.html", "model"} <= artifacts


def test_the_model_has_a_signature_an_input_example_and_pinned_requirements(module_settings, trained):
    import mlflow
    from mlflow.models import Model

    result, _ = trained
    local = mlflow.artifacts.download_artifacts(result.model_uri)
    meta = Model.load(local)
    assert meta.signature.inputs.input_names() == bank_spec().features
    assert meta.saved_input_example_info is not None
    requirements = open(f"{local}/requirements.txt").read().split()
    assert any(r.startswith("pyspark==") for r in requirements)
    assert all("==" in r for r in requirements if not r.startswith("-"))


def test_the_registered_model_scores_like_the_pipeline_it_came_from(spark, module_settings, trained):
    import mlflow

    from opml_core.data import read_table

    result, _ = trained
    rows = read_table(spark, module_settings.workspace, "bank_ops").limit(20).toPandas()
    features = rows[bank_spec().features].astype({c: "float64" for c in
                                                  ["age", "campaign", "pdays", "previous"]})
    predictions = mlflow.pyfunc.load_model(result.model_uri).predict(features)
    assert set(predictions) <= {0.0, 1.0} and len(predictions) == 20


@pytest.mark.parametrize("kind", ["gbt", "logistic_regression"])
def test_other_estimators_train_too(spark, module_settings, kind):
    params = {"maxIter": 10} if kind == "gbt" else {}
    result = train_and_log(spark, module_settings, TrainSpec("bank_train", kind, params))
    assert result.evaluation.roc_auc > 0.6 and sum(result.evaluation.importances.values()) > 0.99


def test_cross_validation_reports_mean_and_spread(spark, module_settings):
    spec = TrainSpec("bank_train", params={"numTrees": 5, "maxDepth": 3}, cv_folds=2)
    cv = train_and_log(spark, module_settings, spec).evaluation.cv
    assert cv["folds"] == 2 and 0.5 < cv["roc_auc_mean"] <= 1.0 and cv["roc_auc_std"] >= 0.0


def test_training_with_no_features_is_refused_and_registers_nothing(spark, module_settings):
    from opml_core.registry import list_versions

    before = len(list_versions(module_settings))
    with pytest.raises(TrainingError, match="Choose at least one feature"):
        train_and_log(spark, module_settings, TrainSpec("bank_train", features=[]))
    assert len(list_versions(module_settings)) == before


def test_a_table_without_a_card_cannot_be_trained_on(spark, module_settings):
    with pytest.raises(TrainingError, match="has no dataset card"):
        train_and_log(spark, module_settings, TrainSpec("no_such_table"))


@pytest.mark.parametrize("kind", ["random_forest", "logistic_regression"])
def test_balancing_rare_outcomes_makes_the_model_say_yes_more_often(spark, module_settings, trained, kind):
    plain = trained[0] if kind == "random_forest" else \
        train_and_log(spark, module_settings, TrainSpec("bank_train", kind))
    params = SMALL_FOREST if kind == "random_forest" else {}
    balanced = train_and_log(spark, module_settings, TrainSpec("bank_train", kind, params,
                                                               balance_classes=True))
    assert balanced.params["balance_classes"] is True
    assert balanced.evaluation.bins.at(0.5).recall > plain.evaluation.bins.at(0.5).recall + 0.1
    assert balanced.evaluation.roc_auc > 0.6


def test_a_version_keeps_the_threshold_with_the_best_f1(module_settings, trained):
    import mlflow

    from opml_core.registry import decision_threshold

    result, _ = trained
    stored = decision_threshold(module_settings, result.run_id)
    assert stored == result.evaluation.suggested_threshold()
    logged = mlflow.MlflowClient().get_run(result.run_id).data.metrics["decision_threshold"]
    assert logged == stored
