"""Train a Spark ML pipeline on a prepared table, evaluate it, log it to MLflow, register it.

``train_and_log`` does the whole Train-page job: preprocessing built from the dataset card plus
the chosen estimator, an optional k-fold cross-validation, a held-out test evaluation, and one
MLflow run holding params, metrics, charts, the card and the model (with signature, input
example and pinned requirements), registered as a new version with a suggested decision
threshold (best F1) that its endpoints use for the label. Rare positives can be weighed up
(``balance_classes``) so the model does not learn to answer "no" to everyone. ``progress`` is called with a
short message at each stage so the app can say what is happening.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from opml_core.access import BUILDER, require
from opml_core.config import Settings
from opml_core.data.card import DatasetCard
from opml_core.data.tables import read_card, read_table
from opml_core.errors import TrainingError
from opml_core.evaluation import Evaluation, evaluate_predictions, slot_importances
from opml_core.pipeline import FEATURES, LABEL, build_preprocessing, estimator_spec, label_column

MAX_FOLDS = 10
WEIGHT = "opml_weight"


@dataclass(frozen=True)
class TrainSpec:
    """What to train: table, model kind and knobs, test share, seed, optional CV folds."""

    table: str
    estimator: str = "random_forest"
    params: dict = field(default_factory=dict)
    features: list[str] | None = None  # default: the card's features
    test_fraction: float = 0.2
    seed: int = 42
    cv_folds: int = 0
    model_name: str | None = None  # default: settings.model_name
    balance_classes: bool = False  # weigh rare positives up so both outcomes count equally


@dataclass(frozen=True)
class TrainResult:
    """A trained, logged and registered model."""

    run_id: str
    model_name: str
    version: str
    model_uri: str
    estimator: str
    params: dict
    evaluation: Evaluation
    timings: dict[str, float]


def train_and_log(spark, settings: Settings, spec: TrainSpec,
                  progress: Callable[[str], None] = lambda message: None) -> TrainResult:
    """Train, evaluate, log and register; see the module docstring."""
    require(BUILDER, "train a model")
    from pyspark.ml import Pipeline

    from opml_core.registry import log_trained_model

    timings: dict[str, float] = {}
    card, features, estimator = _check(settings, spec)
    clock = time.perf_counter()
    progress(f"Reading {spec.table} and setting aside {spec.test_fraction:.0%} for testing")
    rows = read_table(spark, settings.workspace, spec.table).withColumn(LABEL, label_column(card))
    train, test = rows.randomSplit([1.0 - spec.test_fraction, spec.test_fraction], seed=spec.seed)
    train, test = train.cache(), test.cache()
    train_rows = train.count()
    if train_rows == 0 or test.count() == 0:
        raise TrainingError("The table is too small to set a test part aside; prepare more rows.")
    if spec.balance_classes:
        train = _weighted(train, train_rows)
        estimator.setWeightCol(WEIGHT)
    timings["prepare_s"] = time.perf_counter() - clock

    pipeline = Pipeline(stages=[*build_preprocessing(card, features), estimator])
    clock = time.perf_counter()
    cv = {}
    if spec.cv_folds >= 2:
        progress(f"Cross-validating with {spec.cv_folds} folds (fits the model {spec.cv_folds + 1} times)")
        model, cv = _cross_validate(pipeline, train, spec)
    else:
        progress(f"Fitting {estimator_spec(spec.estimator).title} on {train_rows:,} rows")
        model = pipeline.fit(train)
    timings["fit_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    progress(f"Evaluating on {spec.test_fraction:.0%} held-out rows")
    predictions = model.transform(test).cache()
    train_features = None if hasattr(model.stages[-1], "featureImportances") else \
        _preprocess(model, train)
    evaluation = evaluate_predictions(predictions, slot_importances(model.stages[-1], train_features),
                                      train_rows)
    if cv:
        evaluation = Evaluation(**{**evaluation.__dict__, "cv": cv})
    timings["evaluate_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    progress("Logging the run to MLflow and registering a new model version")
    example = test.select(*features).limit(3).toPandas()
    params = estimator_spec(spec.estimator).params(spec.params)
    if spec.balance_classes:
        params["balance_classes"] = True
    logged = log_trained_model(settings, model, card.with_features(features), spec, params,
                               evaluation, example, parity_rows=train.select(*features))
    timings["log_register_s"] = time.perf_counter() - clock
    for frame in (train, test, predictions):
        frame.unpersist()
    return TrainResult(logged.run_id, logged.name, logged.version, logged.model_uri,
                       spec.estimator, params, evaluation, timings)


def _check(settings: Settings, spec: TrainSpec) -> tuple[DatasetCard, list[str], object]:
    card = read_card(settings.workspace, spec.table)
    if card is None:
        raise TrainingError(
            f"{spec.table!r} has no dataset card; prepare it on the Prepare page first."
        )
    features = list(card.features if spec.features is None else spec.features)
    if not features:
        raise TrainingError("Choose at least one feature: the columns the model may learn from.")
    unknown = [f for f in features if f not in card.feature_kinds]
    if unknown:
        raise TrainingError(f"{unknown[0]!r} is not a feature of {spec.table}; choose among "
                            f"{', '.join(card.display(f) for f in card.features)}.")
    if not 0.05 <= spec.test_fraction <= 0.5:
        raise TrainingError("The test share must be between 5% and 50%; 20% is a good start.")
    if spec.cv_folds and not 2 <= spec.cv_folds <= MAX_FOLDS:
        raise TrainingError(f"Cross-validation needs between 2 and {MAX_FOLDS} folds.")
    kind = estimator_spec(spec.estimator)
    params = kind.params(spec.params)
    if spec.estimator != "logistic_regression":
        params["seed"] = spec.seed
    return card, features, kind.build(params)


def _cross_validate(pipeline, train, spec: TrainSpec):
    from pyspark.ml.evaluation import BinaryClassificationEvaluator
    from pyspark.ml.tuning import CrossValidator, ParamGridBuilder

    evaluator = BinaryClassificationEvaluator(rawPredictionCol="probability", labelCol=LABEL)
    validator = CrossValidator(estimator=pipeline, estimatorParamMaps=ParamGridBuilder().build(),
                               evaluator=evaluator, numFolds=spec.cv_folds, seed=spec.seed)
    fitted = validator.fit(train)
    summary = {"folds": spec.cv_folds, "roc_auc_mean": float(fitted.avgMetrics[0]),
               "roc_auc_std": float(fitted.stdMetrics[0])}
    return fitted.bestModel, summary


def _weighted(train, rows: int):
    """Each outcome weighs half of the total, however rare: w = rows / (2 × its count)."""
    from pyspark.sql import functions as F

    positives = train.where(F.col(LABEL) == 1.0).count()
    if positives in (0, rows):
        raise TrainingError("Balancing needs both outcomes in the training part; this table "
                            "has only one. Prepare it again with both.")
    up, down = rows / (2 * positives), rows / (2 * (rows - positives))
    return train.withColumn(WEIGHT, F.when(F.col(LABEL) == 1.0, up).otherwise(down)).cache()


def _preprocess(model, frame):
    from pyspark.ml import PipelineModel

    return PipelineModel(stages=model.stages[:-1]).transform(frame).select(FEATURES)
