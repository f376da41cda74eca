"""The MLflow model registry as opml uses it: log and register, list versions, set aliases.

Trained Spark pipelines and models submitted from the browser take one path: the model is
saved as an MLflow model directory, logged as run artifacts and registered as a new version of
the registered model. Versions carry their run's metrics so they can be compared side by side,
and aliases (``champion``, ``challenger``) name the ones that matter.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from opml_core.access import BUILDER, require
from opml_core.config import Settings
from opml_core.errors import TrainingError
from opml_core.scoring import parity
from opml_core.tracking import connect, pinned_requirements

MODEL_DIR = "model"
EVALUATION_FILE = "evaluation.json"
CARD_ARTIFACT = "dataset_card.json"
REPORT_FILE = "report.html"
ALIAS = re.compile(r"^[a-z][a-z0-9_\-]{0,62}$")
SUGGESTED_ALIASES = ("champion", "challenger")
HEADLINE_METRICS = ("roc_auc", "pr_auc", "accuracy", "precision", "recall", "f1")
THRESHOLD_TAG = "opml.threshold"  # on a version's run: the probability from which it says "yes"


@dataclass(frozen=True)
class LoggedModel:
    """A registered model version and the run that holds it."""

    run_id: str
    name: str
    version: str
    model_uri: str


@dataclass(frozen=True)
class VersionInfo:
    """One registered version, as the versions table shows it."""

    name: str
    version: str
    run_id: str | None
    created: str
    aliases: list[str]
    origin: str  # "trained" or "submitted"
    estimator: str | None
    table: str | None
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


def log_trained_model(settings: Settings, model, card, spec, params: dict, evaluation,
                      example, parity_rows=None) -> LoggedModel:
    """Log a trained pipeline's run (params, metrics, card, charts, model) and register it."""
    import mlflow

    from opml_core.charts import training_report

    connect(settings)
    name = spec.model_name or settings.model_name
    with mlflow.start_run(run_name=f"{spec.estimator} on {spec.table}") as run:
        mlflow.set_tags({"opml.origin": "trained", "opml.table": spec.table,
                         "opml.estimator": spec.estimator})
        mlflow.log_params({"estimator": spec.estimator, "table": spec.table,
                           "test_fraction": spec.test_fraction, "seed": spec.seed,
                           "cv_folds": spec.cv_folds, "features": ",".join(card.features),
                           **params})
        threshold = evaluation.suggested_threshold()
        mlflow.set_tag(THRESHOLD_TAG, f"{threshold:g}")
        metrics = {**evaluation.headline(0.5), "train_rows": evaluation.train_rows,
                   "test_rows": evaluation.test_rows, "decision_threshold": threshold}
        if evaluation.cv:
            metrics.update({f"cv_{k}": v for k, v in evaluation.cv.items() if k != "folds"})
        mlflow.log_metrics(metrics)
        mlflow.log_text(card.to_json(), CARD_ARTIFACT)
        mlflow.log_dict(evaluation.to_dict(), EVALUATION_FILE)
        mlflow.log_text(training_report(card, spec.estimator, evaluation), REPORT_FILE)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / MODEL_DIR
            _save_spark_model(settings, model, path, card, example)
            mlflow.log_artifacts(str(path), MODEL_DIR)
            check = None if parity_rows is None else (lambda compiled: parity.max_difference(
                model, compiled, parity_rows, card.features, card.numeric))
            parity.compile_checked(path, run.info.run_id, check)
        version = _register(settings, name, run.info.run_id)
    return LoggedModel(run.info.run_id, name, version, f"models:/{name}/{version}")


def _save_spark_model(settings: Settings, model, path: Path, card, example) -> None:
    """Write the MLflow model folder: Spark saves the pipeline under the warehouse URI (the
    server does the writing, so this works on a cluster and over Spark Connect, where
    ``mlflow.spark.save_model``'s copy through the driver's JVM does not exist), the app copies
    it into ``path/sparkml`` and writes MLflow's metadata beside it, as ``save_model`` would."""
    import mlflow.spark
    from mlflow.models import Model, ModelSignature
    from mlflow.types import ColSpec, Schema

    from opml_core.warehouse import copy_to_local, delete, scratch_location

    inputs = Schema([ColSpec("double" if card.feature_kinds[f] == "numeric" else "string", f)
                     for f in card.features])
    outputs = Schema([ColSpec("double", "prediction")])
    example = example.copy()
    for column in card.numeric:
        example[column] = example[column].astype("float64")
    written = scratch_location(settings.workspace, "model")
    try:
        model.write().overwrite().save(written)
        copy_to_local(written, path / "sparkml")
    finally:
        delete(written)
    # MLflow's own metadata writer for the spark flavor (MLmodel, requirements, environment)
    mlflow.spark._save_model_metadata(
        dst_dir=str(path), spark_model=model, mlflow_model=Model(), conda_env=None,
        code_paths=None, signature=ModelSignature(inputs, outputs), input_example=example,
        pip_requirements=pinned_requirements())


def _register(settings: Settings, name: str, run_id: str) -> str:
    import mlflow

    try:
        version = mlflow.register_model(f"runs:/{run_id}/{MODEL_DIR}", name)
    except Exception as exc:
        raise TrainingError(f"The model was logged (run {run_id}) but registering it as "
                            f"{name!r} failed: {exc}. Try another model name.") from exc
    return str(version.version)


def list_models(settings: Settings) -> list[str]:
    """Names of the registered models, newest first."""
    client = connect(settings)
    models = client.search_registered_models(order_by=["last_updated_timestamp DESC"])
    return [m.name for m in models]


def list_versions(settings: Settings, name: str | None = None) -> list[VersionInfo]:
    """Every version of a registered model with its run's headline metrics, newest first."""
    client = connect(settings)
    name = name or settings.model_name
    try:
        versions = client.search_model_versions(f"name='{name}'")
        aliases = client.get_registered_model(name).aliases
    except Exception:
        return []
    infos = []
    for mv in sorted(versions, key=lambda v: int(v.version), reverse=True):
        run = client.get_run(mv.run_id) if mv.run_id else None
        tags = run.data.tags if run else {}
        infos.append(VersionInfo(
            name=name, version=str(mv.version), run_id=mv.run_id,
            created=datetime.fromtimestamp(mv.creation_timestamp / 1000, timezone.utc)
            .strftime("%Y-%m-%d %H:%M"),
            aliases=sorted(a for a, v in aliases.items() if str(v) == str(mv.version)),
            origin=tags.get("opml.origin", "trained"),
            estimator=tags.get("opml.estimator"), table=tags.get("opml.table"),
            metrics={k: v for k, v in (run.data.metrics if run else {}).items()
                     if k in HEADLINE_METRICS or k.startswith("cv_")},
        ))
    return infos


def decision_threshold(settings: Settings, run_id: str | None) -> float | None:
    """The threshold a version's endpoints use for the label (None: the model's own 0.5)."""
    if not run_id:
        return None
    client = connect(settings)
    try:
        text = client.get_run(run_id).data.tags.get(THRESHOLD_TAG)
    except Exception:
        return None
    return float(text) if text else None


def set_decision_threshold(settings: Settings, run_id: str, threshold: float) -> None:
    """Store the threshold with the version's run; deployments made after this use it."""
    require(BUILDER, "set a decision threshold")
    if not 0.0 < float(threshold) < 1.0:
        raise TrainingError(f"A decision threshold is a probability between 0 and 1 (got {threshold}).")
    connect(settings).set_tag(run_id, THRESHOLD_TAG, f"{float(threshold):g}")


def set_alias(settings: Settings, name: str, version: str, alias: str) -> None:
    """Point ``alias`` (e.g. champion) at a version; it moves if it was elsewhere."""
    require(BUILDER, "set an alias")
    if not ALIAS.match(alias or "") or alias == "latest" or re.fullmatch(r"v\d+", alias):
        raise TrainingError(f"{alias!r} cannot be an alias: use lower-case letters, digits, '-' "
                            "or '_', such as champion or challenger ('latest' and v1… are reserved).")
    client = connect(settings)
    try:
        client.get_model_version(name, str(version))
    except Exception as exc:
        raise TrainingError(f"{name} has no version {version}; pick one from the table.") from exc
    client.set_registered_model_alias(name, alias, str(version))


def remove_alias(settings: Settings, name: str, alias: str) -> None:
    """Remove an alias from whichever version holds it."""
    require(BUILDER, "remove an alias")
    client = connect(settings)
    try:
        held = client.get_registered_model(name).aliases
    except Exception as exc:
        raise TrainingError(f"There is no registered model {name!r}; the Train page (or "
                            "`python -m opml_core models`) lists them.") from exc
    if alias not in held:
        raise TrainingError(f"{name} has no alias {alias!r} to remove.")
    client.delete_registered_model_alias(name, alias)


def load_evaluation(settings: Settings, run_id: str):
    """The Evaluation logged with a trained run, or None for runs without one."""
    import mlflow

    from opml_core.evaluation import Evaluation

    connect(settings)
    try:
        data = mlflow.artifacts.load_dict(f"runs:/{run_id}/{EVALUATION_FILE}")
    except Exception:
        return None
    return Evaluation.from_dict(data)


def load_run_card(settings: Settings, run_id: str):
    """The dataset card logged with a run (None for submitted models without one)."""
    import mlflow

    from opml_core.data.card import DatasetCard

    connect(settings)
    try:
        return DatasetCard.from_json(mlflow.artifacts.load_text(f"runs:/{run_id}/{CARD_ARTIFACT}"))
    except Exception:
        return None


def register_model_dir(settings: Settings, path: Path, name: str, label: str,
                       spark_example: tuple[list, list] | None = None) -> LoggedModel:
    """Log an already-validated MLflow model directory in a new run and register it.

    ``spark_example``: a Spark pipeline's example rows and the probabilities Spark gave them (in
    the sandbox), which the compiled scorer must match before deployments may use it.
    """
    import mlflow

    connect(settings)
    with mlflow.start_run(run_name=f"submitted: {label}") as run:
        mlflow.set_tags({"opml.origin": "submitted", "opml.submitted_file": label})
        mlflow.log_artifacts(str(path), MODEL_DIR)
        card = path / CARD_ARTIFACT
        if card.is_file():
            mlflow.log_text(card.read_text("utf-8"), CARD_ARTIFACT)
        if (path / "sparkml").is_dir():
            check = None if not spark_example else (
                lambda compiled: parity.example_difference(compiled, *spark_example))
            parity.compile_checked(path, run.info.run_id, check, unchecked=parity.UNCHECKED_NOTE)
        version = _register(settings, name, run.info.run_id)
    return LoggedModel(run.info.run_id, name, version, f"models:/{name}/{version}")


def version_summary(info: VersionInfo) -> dict:
    """A flat row for tables and JSON output."""
    return {"version": info.version, "aliases": ", ".join(info.aliases), "origin": info.origin,
            "model": info.estimator or "—", "table": info.table or "—", "created": info.created,
            **{k: round(v, 4) for k, v in info.metrics.items()}}


def to_json(records) -> str:
    return json.dumps(records, indent=2, default=str)
