"""What monitoring needs to know about a deployment's model and where its data is.

``usage_frames`` returns the deployment's collected requests and rows (or None when it has no
usage yet — an empty state, not an error); ``model_context`` gathers the model version's
dataset card (the training table is the drift reference), its test-part evaluation (for
calibration) and importances, and its training metrics. ``reference_frame`` returns the training
rows under the readable names production rows use.
"""

from __future__ import annotations

from dataclasses import dataclass

from opml_core.config import Settings
from opml_core.data.card import DatasetCard
from opml_core.data.tables import read_card, table_exists, table_uri
from opml_core.errors import MonitorError
from opml_core.monitor.calculator import FeatureSpec
from opml_core.usage import INPUTS, REQUESTS


@dataclass(frozen=True)
class ModelContext:
    name: str
    version: str
    run_id: str | None
    card: DatasetCard
    evaluation: object | None  # Evaluation of the test part, or None
    training_metrics: dict

    @property
    def features(self) -> list[FeatureSpec]:
        return [FeatureSpec(self.card.display(f), self.card.feature_kinds[f],
                            tuple(self.card.levels.get(f, ()))) for f in self.card.features]

    @property
    def importances(self) -> dict[str, float]:
        """The model's own importance per readable feature name."""
        if self.evaluation is None:
            return {}
        return {self.card.display(k): v for k, v in self.evaluation.importances.items()}


def read_usage_table(spark, settings: Settings, name: str):
    if not table_exists(settings.workspace, name):
        return None
    return spark.read.option("mergeSchema", "true").parquet(table_uri(settings.workspace, name))


def usage_frames(spark, settings: Settings, deployment: str):
    """(requests, rows) of one deployment, or None when it has no collected usage."""
    from pyspark.sql import functions as F

    requests = read_usage_table(spark, settings, REQUESTS)
    inputs = read_usage_table(spark, settings, INPUTS)
    if requests is None:
        return None
    requests = requests.where(F.col("deployment") == deployment)
    inputs = inputs.where(F.col("deployment") == deployment) if inputs is not None else None
    if requests.limit(1).count() == 0:
        return None
    return requests, inputs


def model_context(settings: Settings, model: str, version: str) -> ModelContext:
    """The registered version's card, evaluation and metrics (from MLflow)."""
    from opml_core.registry import load_evaluation, load_run_card
    from opml_core.scoring.bundle import resolve_version
    from opml_core.tracking import connect

    try:
        found = resolve_version(settings, model, version)
    except Exception as exc:
        raise MonitorError(f"{model} version {version} is not in the registry any more, so there "
                           "is no training data to compare with.") from exc
    card = load_run_card(settings, found.run_id) if found.run_id else None
    if card is None:
        raise MonitorError(f"{model} version {version} was not trained on a prepared table, so "
                           "drift has no training data to compare with.")
    if read_card(settings.workspace, card.table) is None:
        raise MonitorError(f"The training table {card.table} is gone; prepare it again to "
                           "compare production with training.")
    metrics = connect(settings).get_run(found.run_id).data.metrics
    return ModelContext(model, str(found.version), found.run_id, card,
                        load_evaluation(settings, found.run_id), metrics)


def latest_version(inputs) -> tuple[str, str]:
    """The (model, version) that served the most recent row."""
    from pyspark.sql import functions as F

    row = inputs.orderBy(F.col("time").desc()).select("model", "version").first()
    if row is None:
        raise MonitorError("There are no scored rows yet for this deployment: send it requests "
                           "(Predict page), then collect.")
    return row["model"], row["version"]


def reference_frame(spark, settings: Settings, context: ModelContext):
    """The training rows, with columns renamed to the readable names production rows use."""
    from opml_core.data.tables import read_table
    from opml_core.monitor.calculator import col

    frame = read_table(spark, settings.workspace, context.card.table)
    return frame.select(*[col(f).alias(context.card.display(f)) for f in context.card.features])
