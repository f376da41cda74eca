"""The drift classifier: can a model tell training rows from production rows?

The deployed model's own preprocessing (built from its dataset card) feeds a small Random
Forest trained to separate the training table (label 0) from one window of production rows
(label 1). Its cross-validated ROC AUC (out-of-fold predictions pooled) says how different the window is: 0.5 means
indistinguishable. A band from runs with shuffled labels (a few, spread over the windows, pooled
and scaled to each window's size) shows what "no difference" looks like; importances, summed back to readable columns, say which features give the
window away; multiplied by the model's own importances they rank the drift by its impact.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from opml_core.evaluation import importances_by_column
from opml_core.monitor.calculator import col
from opml_core.monitor.windows import as_time
from opml_core.pipeline import FEATURES, LABEL, build_preprocessing, slot_sources

SAMPLE_PER_SIDE = 5_000
FOLDS = 2
SHUFFLED_RUNS = 3  # spread over the windows; pooled, then scaled to each window's size
TREES, DEPTH = 12, 5
PARALLEL_FITS = 6  # fits overlap: their many small Spark jobs are latency-bound
SHUFFLE_SEEDS = 1_000_003  # far from the fold seeds, so shuffled labels never mirror the folds


@dataclass
class WindowVerdict:
    window: object
    auc: float
    rows: int  # production rows compared (as many training rows were drawn)
    importances: dict[str, float]
    band: tuple[float, float] = (0.0, 1.0)  # AUC range expected when nothing differs


@dataclass
class ClassifierResult:
    windows: list[WindowVerdict]
    shuffled: list[float] = field(default_factory=list)
    impact: dict[str, float] = field(default_factory=dict)  # feature -> drift × model importance

    def significant(self, verdict: WindowVerdict) -> bool:
        return verdict.auc > verdict.band[1]

    @property
    def band(self) -> tuple[float, float]:
        """The latest window's chance band."""
        return self.windows[-1].band if self.windows else (0.0, 1.0)

    @property
    def importances(self) -> dict[str, float]:
        """Importances averaged over windows, largest first."""
        total: dict[str, float] = {}
        for verdict in self.windows:
            for name, value in verdict.importances.items():
                total[name] = total.get(name, 0.0) + value / len(self.windows)
        return dict(sorted(total.items(), key=lambda kv: -kv[1]))


def classify_drift(reference, production, card, model_importances: dict[str, float],
                   window_column: str = "window", seed: int = 7) -> ClassifierResult:
    """Per window of ``production``: CV AUC of training-vs-window, importances and impact.

    Folds are drawn at random within each class, as in adversarial validation. (Folds cut in
    time order, as NannyML's unshuffled ones are, also fold the training data's own drift over
    time into the AUC: a held-out stretch of training looks "new" too, which lowers the AUC
    however different production is.)
    """
    prepared, windows, rows, sources = _prepare(reference, production, card, window_column, seed)
    fits = [(n, fold, False) for n in range(len(windows)) for fold in range(FOLDS)]
    shuffled_windows = sorted(set(np.linspace(0, len(windows) - 1, SHUFFLED_RUNS).astype(int).tolist()))
    fits += [(n, 0, True) for n in shuffled_windows]
    with ThreadPoolExecutor(PARALLEL_FITS) as pool:  # every fit at once: they are latency-bound
        done = list(pool.map(lambda job: _fit(_window_rows(prepared, job[0]), job[1], job[2],
                                              seed + 100 * job[0] + job[1]), fits))
    prepared.unpersist()
    outcomes = {n: {False: [], True: []} for n in range(len(windows))}
    for (number, _, shuffled), outcome in zip(fits, done):
        outcomes[number][shuffled].append(outcome)
    return _verdicts(windows, rows, outcomes, sources, card, model_importances)


def _prepare(reference, production, card, window_column: str, seed: int):
    """One cached frame: a training sample (window -1) and each window's sample, preprocessed by
    the model's own pipeline, with random fold numbers."""
    from pyspark.ml import Pipeline
    from pyspark.sql import functions as F

    features = list(card.features)
    renamed = [col(card.display(f)).alias(f) for f in features]
    counts = {r[0]: r[1] for r in production.groupBy(window_column).count().collect()}
    windows = sorted(counts)
    reference = reference.select(*renamed).withColumn(LABEL, F.lit(0.0))
    size = min(SAMPLE_PER_SIDE, max(counts.values(), default=0))
    training = _sample(reference, size, seed, reference.count()).withColumn("__w", F.lit(-1))
    prep = Pipeline(stages=build_preprocessing(card, features)).fit(training)
    fractions = {i: min(1.0, SAMPLE_PER_SIDE * 1.05 / counts[w]) for i, w in enumerate(windows)}
    number = F.create_map(*[x for i, w in enumerate(windows) for x in (F.lit(w), F.lit(i))])
    current = (production.select(number[F.col(window_column)].alias("__w"), *renamed)
               .sampleBy("__w", fractions, seed).withColumn(LABEL, F.lit(1.0)))
    prepared = (prep.transform(training.unionByName(current))
                .select("__w", FEATURES, LABEL, (F.rand(seed) * FOLDS).cast("int").alias("fold"))
                .repartition(2).cache())
    rows = {r["__w"]: r["count"] for r in prepared.groupBy("__w").count().collect()}
    return prepared, windows, rows, slot_sources(prepared)


def _window_rows(prepared, number: int):
    """A window's rows together with the shared training sample."""
    from pyspark.sql import functions as F

    return prepared.where((F.col("__w") == number) | (F.col("__w") == -1))


def _verdicts(windows, rows, outcomes, sources, card, model_importances) -> ClassifierResult:
    verdicts = []
    for number, window in enumerate(windows):
        folds = outcomes[number][False]
        importances = np.mean([imp for _, imp in folds], axis=0)
        verdicts.append(WindowVerdict(as_time(window), _pooled_auc([bins for bins, _ in folds]),
                                      rows.get(number, 0), {
            card.display(k): v for k, v in importances_by_column(sources, importances).items()}))
    shuffled = [(number, _pooled_auc([bins])) for number in outcomes
                for bins, _ in outcomes[number][True]]
    z_scores = [(auc - 0.5) / _null_sigma(rows.get(number, 1)) for number, auc in shuffled]
    spread = max(float(np.sqrt(np.mean(np.square(z_scores)))) if z_scores else 1.0, 1.0)
    for verdict in verdicts:
        half = 3 * spread * _null_sigma(verdict.rows)
        verdict.band = (max(0.5 - half, 0.0), min(0.5 + half, 1.0))
    result = ClassifierResult(verdicts, [auc for _, auc in shuffled])
    result.impact = _impact(result.importances, model_importances)
    return result


def _null_sigma(rows_per_side: int) -> float:
    """Std of a held-out AUC on one fold when the labels carry no signal (Mann–Whitney)."""
    n = max(rows_per_side / FOLDS, 1.0)
    return float(np.sqrt((2 * n + 1) / (12 * n * n)))


def _sample(frame, size: int, seed: int, count: int | None = None):
    count = frame.count() if count is None else count
    return frame if count <= size else frame.sample(False, min(1.0, size * 1.05 / count), seed).limit(size)


def _forest(seed: int):
    from pyspark.ml.classification import RandomForestClassifier

    return RandomForestClassifier(featuresCol=FEATURES, labelCol=LABEL, numTrees=TREES,
                                  maxDepth=DEPTH, seed=seed, subsamplingRate=0.8)


def _fit(data, fold: int, shuffled: bool, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Fit on the other folds and bin this fold's predictions; with ``shuffled``, on random labels.

    Returns (probability bins by outcome, shape 2 × BINS; slot importances).
    """
    from pyspark.sql import functions as F

    if shuffled:
        data = data.withColumn(LABEL, (F.rand(SHUFFLE_SEEDS + seed) < 0.5).cast("double"))
    model = _forest(seed).fit(data.where(F.col("fold") != fold))
    return _held_out_bins(model.transform(data.where(F.col("fold") == fold))), \
        model.featureImportances.toArray()


def _held_out_bins(predictions) -> np.ndarray:
    """Out-of-fold predictions counted in 1,000 probability bins per outcome, in one Spark job."""

    from opml_core.evaluation import BINS, probability_bin

    counts = predictions.select(probability_bin().alias("bin"), LABEL).groupBy("bin", LABEL).count().collect()
    bins = np.zeros((2, BINS))
    for row in counts:
        bins[int(row[LABEL]), row["bin"]] += row["count"]
    return bins


def _pooled_auc(bins: list[np.ndarray]) -> float:
    """ROC AUC of every fold's out-of-fold predictions taken together (as NannyML reports it)."""
    from opml_core.evaluation import ScoreBins

    total = np.sum(bins, axis=0)
    return ScoreBins(total[1].tolist(), total[0].tolist()).auc()


def _impact(drift: dict[str, float], model: dict[str, float]) -> dict[str, float]:
    """Drift importance × the model's importance, normalised to sum to 1, largest first."""
    raw = {name: value * model.get(name, 0.0) for name, value in drift.items()}
    total = sum(raw.values()) or 1.0
    return dict(sorted(((k, v / total) for k, v in raw.items()), key=lambda kv: -kv[1]))
