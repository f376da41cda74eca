"""The preprocessing pipeline, built from a dataset card, and the estimators it can feed.

Categorical columns are indexed (values unseen in training go to their own bucket) and one-hot
encoded; numeric columns are cast to double and missing values imputed with the training
median; a numeric code the dataset card marks as "not applicable" (e.g. ``pdays = 999``) becomes
a 0/1 flag plus a missing number; everything is assembled into one ``features`` vector. The
same fitted stages transform training rows and, later, production inputs, so both get identical
treatment. Drift monitoring reuses ``build_preprocessing`` for its domain classifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from opml_core.data.card import DatasetCard
from opml_core.errors import TrainingError

FEATURES = "features"
LABEL = "label"
PROBABILITY = "probability"
PREDICTION = "prediction"
SEPARATOR = "__"  # safe column names never contain it, so a slot name maps back to its column


@dataclass(frozen=True)
class Knob:
    """One estimator setting, described in plain words."""

    name: str  # the Spark param
    label: str
    help: str
    default: float
    minimum: float
    maximum: float
    step: float
    integer: bool = True


@dataclass(frozen=True)
class EstimatorSpec:
    """A trainable model kind: its display name, knobs and Spark builder."""

    key: str
    title: str
    description: str
    knobs: tuple[Knob, ...]
    build: Callable[[dict], object] = field(repr=False)

    def params(self, given: dict | None = None) -> dict:
        """Knob values: the defaults overridden by ``given``, checked against their ranges."""
        values = {k.name: k.default for k in self.knobs}
        for name, value in (given or {}).items():
            knob = next((k for k in self.knobs if k.name == name), None)
            if knob is None:
                raise TrainingError(f"{self.title} has no setting {name!r}; "
                                    f"use {', '.join(k.name for k in self.knobs)}.")
            if not knob.minimum <= float(value) <= knob.maximum:
                raise TrainingError(f"{knob.label} must be between {knob.minimum:g} and "
                                    f"{knob.maximum:g} (got {value}).")
            values[name] = int(value) if knob.integer else float(value)
        return values


def _random_forest(params: dict):
    from pyspark.ml.classification import RandomForestClassifier

    return RandomForestClassifier(featuresCol=FEATURES, labelCol=LABEL, seed=params.pop("seed", 42),
                                  **params)


def _gbt(params: dict):
    from pyspark.ml.classification import GBTClassifier

    return GBTClassifier(featuresCol=FEATURES, labelCol=LABEL, seed=params.pop("seed", 42), **params)


def _logistic_regression(params: dict):
    from pyspark.ml.classification import LogisticRegression

    params.pop("seed", None)
    return LogisticRegression(featuresCol=FEATURES, labelCol=LABEL, **params)


ESTIMATORS: dict[str, EstimatorSpec] = {
    spec.key: spec for spec in (
        EstimatorSpec(
            "random_forest", "Random Forest",
            "Many decision trees vote; robust, handles mixed data well. A good default.",
            (Knob("numTrees", "Number of trees", "More trees give steadier predictions but take "
                  "longer to train.", 100, 5, 500, 5),
             Knob("maxDepth", "Tree depth", "How many questions each tree may ask in a row; "
                  "deeper trees catch finer patterns but may memorise noise.", 8, 2, 15, 1),
             Knob("minInstancesPerNode", "Smallest group", "The fewest clients a rule may single "
                  "out; larger values make simpler, steadier trees.", 5, 1, 200, 1)),
            _random_forest),
        EstimatorSpec(
            "gbt", "Gradient-Boosted Trees",
            "Trees built one after another, each fixing the last one's mistakes; often the most "
            "accurate, slower to train.",
            (Knob("maxIter", "Number of trees", "Each round adds a tree that corrects the ones "
                  "before.", 60, 5, 300, 5),
             Knob("maxDepth", "Tree depth", "How many questions each tree may ask in a row.",
                  5, 2, 10, 1),
             Knob("stepSize", "Learning rate", "How much each new tree may change the "
                  "prediction; smaller is more careful and needs more trees.",
                  0.1, 0.01, 1.0, 0.01, integer=False)),
            _gbt),
        EstimatorSpec(
            "logistic_regression", "Logistic Regression",
            "One weighted sum of the inputs; fast, simple to explain, a solid baseline.",
            (Knob("regParam", "Simplicity", "How strongly weights are pulled towards zero; "
                  "higher values give a simpler model.", 0.01, 0.0, 1.0, 0.005, integer=False),
             Knob("elasticNetParam", "Feature selection", "0 keeps every feature with small "
                  "weights; 1 drops weak features entirely.", 0.0, 0.0, 1.0, 0.1, integer=False),
             Knob("maxIter", "Iterations", "How long the optimiser may search.", 100, 10, 1000, 10)),
            _logistic_regression),
    )
}


def estimator_spec(key: str) -> EstimatorSpec:
    if key not in ESTIMATORS:
        raise TrainingError(f"Unknown model kind {key!r}; choose one of {', '.join(ESTIMATORS)}.")
    return ESTIMATORS[key]


def build_preprocessing(card: DatasetCard, features: list[str] | None = None) -> list:
    """The unfitted preprocessing stages for the card's (or the given) features."""
    from pyspark.ml.feature import Imputer, OneHotEncoder, SQLTransformer, StringIndexer, VectorAssembler

    features = list(features if features is not None else card.features)
    if not features:
        raise TrainingError("Choose at least one feature: the columns the model may learn from.")
    categorical = [f for f in features if card.feature_kinds.get(f) == "categorical"]
    numeric = [f for f in features if card.feature_kinds.get(f) == "numeric"]
    stages = []
    coded = {c: float(v) for c, v in card.sentinels.items() if c in numeric}
    if numeric:
        casts = ", ".join(_numeric_casts(c, coded.get(c)) for c in numeric)
        stages.append(SQLTransformer(statement=f"SELECT *, {casts} FROM __THIS__"))
        stages.append(Imputer(inputCols=[f"{c}{SEPARATOR}num" for c in numeric],
                              outputCols=[f"{c}{SEPARATOR}imp" for c in numeric], strategy="median"))
    if categorical:
        stages.append(StringIndexer(inputCols=categorical,
                                    outputCols=[f"{c}{SEPARATOR}idx" for c in categorical],
                                    handleInvalid="keep", stringOrderType="frequencyDesc"))
        stages.append(OneHotEncoder(inputCols=[f"{c}{SEPARATOR}idx" for c in categorical],
                                    outputCols=[f"{c}{SEPARATOR}ohe" for c in categorical],
                                    handleInvalid="keep", dropLast=True))
    assembled = []
    for c in features:
        assembled += [f"{c}{SEPARATOR}ohe"] if c in categorical else [f"{c}{SEPARATOR}imp"]
        if c in coded:
            assembled.append(f"{c}{SEPARATOR}na")
    stages.append(VectorAssembler(inputCols=assembled, outputCol=FEATURES, handleInvalid="keep"))
    return stages


def _numeric_casts(column: str, code: float | None) -> str:
    """SQL for one numeric input: a double, and for a sentinel code a 0/1 "not applicable" flag.

    The code itself becomes a missing number (imputed like any other), so the flag carries what
    the code meant and the number keeps its scale.
    """
    if code is None:
        return f"CAST(`{column}` AS DOUBLE) AS `{column}{SEPARATOR}num`"
    return (f"CAST(NULLIF(`{column}`, {code!r}) AS DOUBLE) AS `{column}{SEPARATOR}num`, "
            f"CAST(COALESCE(`{column}` = {code!r}, false) AS DOUBLE) AS `{column}{SEPARATOR}na`")


def label_column(card: DatasetCard):
    """1.0 for the positive class, 0.0 otherwise (the target compared as text)."""
    from pyspark.sql import functions as F

    return (F.col(card.target).cast("string") == F.lit(card.positive_class)).cast("double")


def slot_sources(df) -> list[str]:
    """For each slot of the assembled ``features`` vector, the source column it came from."""
    attrs = df.schema[FEATURES].metadata.get("ml_attr", {}).get("attrs", {})
    slots = sorted((a["idx"], a["name"]) for group in attrs.values() for a in group)
    return [name.split(SEPARATOR)[0] for _, name in slots]
