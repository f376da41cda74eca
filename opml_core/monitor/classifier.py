"""The drift classifier: can a model tell training rows from production rows?

The deployed model's own preprocessing (built from its dataset card) turns a bounded sample of
each window (up to ``SAMPLE_PER_SIDE`` rows, drawn at random in Spark) and as many training rows
into vectors; only those samples reach the driver, where scikit-learn's random forest
(``TREES`` trees, enough for the AUC to settle within about 0.01 between seeds) learns to
separate training (label 0) from the window (label 1) in ``FOLDS`` shuffled stratified folds.
The cross-validated ROC AUC of the pooled out-of-fold predictions says how different the window
is: 0.5 means indistinguishable. Runs with shuffled labels (a few windows, pooled and scaled to
each window's size) give the band "no difference" falls in. Importances, summed back to readable
columns, say which features give the window away; times the model's own importances they rank
the drift by its impact. A window under ``MIN_ROWS`` rows is "too little data" and skipped.

Why the driver: the samples are small by construction, and many tiny Spark fits (the former
design) spent their time in job scheduling; one scikit-learn forest on a few thousand rows
takes a fraction of a second on two cores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from opml_core.evaluation import importances_by_column
from opml_core.monitor.calculator import col
from opml_core.monitor.windows import as_time
from opml_core.pipeline import FEATURES, build_preprocessing, slot_sources

SAMPLE_PER_SIDE = 2_500  # rows per window, and as many training rows
MIN_ROWS = 50  # production rows a window needs; fewer: "too little data" (5 stratified folds)
FOLDS = 5
TREES, DEPTH, LEAF = 60, 10, 3
SHUFFLED_RUNS = 3  # spread over the windows; pooled, then scaled to each window's size
SHUFFLE_SEED = 1_000_003  # far from the fold seeds, so shuffled labels never mirror the folds


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
    too_little: dict = field(default_factory=dict)  # window -> rows, for windows under MIN_ROWS

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


@dataclass
class WindowSample:
    """One window's classification problem: vectors ``x``, labels ``y`` (1 = production)."""

    window: object
    x: np.ndarray
    y: np.ndarray


def classify_drift(reference, production, card, model_importances: dict[str, float],
                   window_column: str = "window", seed: int = 7) -> ClassifierResult:
    """Per window of ``production``: CV AUC of training-vs-window, importances and impact."""
    samples, sources, too_little = window_samples(reference, production, card, window_column, seed)
    if not samples:
        return ClassifierResult([], too_little=too_little)
    fitted = [_cross_validate(s.x, s.y, seed + n) for n, s in enumerate(samples)]
    chosen = sorted(set(np.linspace(0, len(samples) - 1, SHUFFLED_RUNS).astype(int).tolist()))
    shuffled = [(n, _cross_validate(samples[n].x, _shuffled(samples[n].y, seed + n), seed + n)[0])
                for n in chosen]
    result = _verdicts(samples, fitted, shuffled, sources, card, model_importances)
    result.too_little = too_little
    return result


def window_samples(reference, production, card, window_column: str = "window", seed: int = 7):
    """(samples per window with at least MIN_ROWS rows, slot sources, {small window: rows}).

    Each window's sample is up to SAMPLE_PER_SIDE of its rows at random, beside as many training
    rows (a random subset of one shared training sample), preprocessed by the model's pipeline.
    """
    from pyspark.ml import Pipeline
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    counts = {r[0]: r[1] for r in production.groupBy(window_column).count().collect()}
    too_little = {as_time(w): n for w, n in counts.items() if n < MIN_ROWS}
    windows = sorted(w for w, n in counts.items() if n >= MIN_ROWS)
    if not windows:
        return [], [], too_little
    features = list(card.features)
    renamed = [col(card.display(f)).alias(f) for f in features]
    reference = reference.select(*renamed)
    total = reference.count()
    size = min(SAMPLE_PER_SIDE, max(counts[w] for w in windows), total)
    training = reference.sample(False, min(1.0, size * 1.1 / max(total, 1)), seed).limit(size) \
        .withColumn("__w", F.lit(-1))
    # fitted on the whole training table, as the model's own preprocessing was: a small sample
    # may hold no value at all of a column (e.g. only pdays = 999, read as "not applicable")
    prep = Pipeline(stages=build_preprocessing(card, features)).fit(reference)
    fractions = {i: min(1.0, SAMPLE_PER_SIDE * 1.1 / counts[w]) for i, w in enumerate(windows)}
    number = F.create_map(*[x for i, w in enumerate(windows) for x in (F.lit(w), F.lit(i))])
    current = (production.where(F.col(window_column).isin(windows))
               .select(number[F.col(window_column)].alias("__w"), *renamed)
               .sampleBy("__w", fractions, seed))
    prepared = prep.transform(training.unionByName(current))
    sources = slot_sources(prepared)
    table = prepared.select("__w", vector_to_array(FEATURES).alias("x")).toArrow()
    group = table.column("__w").to_numpy()
    flat = table.column("x").combine_chunks()
    x = flat.flatten().to_numpy(zero_copy_only=False).reshape(len(group), len(sources))
    rng = np.random.default_rng(seed)
    train_x = x[group == -1][rng.permutation(int(np.sum(group == -1)))]
    samples = []
    for number_, window in enumerate(windows):
        rows = x[group == number_][:min(SAMPLE_PER_SIDE, len(train_x))]  # as many on each side
        if len(rows) < MIN_ROWS:
            too_little[as_time(window)] = counts[window]
            continue
        side = train_x[:len(rows)]
        samples.append(WindowSample(as_time(window), np.vstack([side, rows]),
                                    np.concatenate([np.zeros(len(side)), np.ones(len(rows))])))
    return samples, sources, too_little


def forest(seed: int):
    """The classifier itself (scikit-learn's random forest)."""
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=TREES, max_depth=DEPTH, min_samples_leaf=LEAF,
                                  max_features="sqrt", n_jobs=-1, random_state=seed)


def _cross_validate(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[float, np.ndarray]:
    """(ROC AUC of the pooled out-of-fold probabilities, mean slot importances over folds)."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    scores = np.zeros(len(y))
    importances = np.zeros(x.shape[1])
    for train, held_out in folds.split(x, y):
        model = forest(seed).fit(x[train], y[train])
        scores[held_out] = model.predict_proba(x[held_out])[:, list(model.classes_).index(1.0)]
        importances += model.feature_importances_ / FOLDS
    return float(roc_auc_score(y, scores)), importances


def _shuffled(y: np.ndarray, seed: int) -> np.ndarray:
    return np.random.default_rng(SHUFFLE_SEED + seed).permutation(y)


def _verdicts(samples, fitted, shuffled, sources, card, model_importances) -> ClassifierResult:
    verdicts = [WindowVerdict(s.window, auc, int(s.y.sum()), {
        card.display(k): v for k, v in importances_by_column(sources, importances).items()})
        for s, (auc, importances) in zip(samples, fitted)]
    z_scores = [(auc - 0.5) / _null_sigma(verdicts[n].rows) for n, auc in shuffled]
    spread = max(float(np.sqrt(np.mean(np.square(z_scores)))) if z_scores else 1.0, 1.0)
    for verdict in verdicts:
        half = 3 * spread * _null_sigma(verdict.rows)
        verdict.band = (max(0.5 - half, 0.0), min(0.5 + half, 1.0))
    result = ClassifierResult(verdicts, [auc for _, auc in shuffled])
    result.impact = _impact(result.importances, model_importances)
    return result


def _null_sigma(rows_per_side: int) -> float:
    """Std of the pooled AUC of n vs n rows when the labels carry no signal (Mann–Whitney)."""
    n = max(rows_per_side, 1.0)
    return float(np.sqrt((2 * n + 1) / (12 * n * n)))


def _impact(drift: dict[str, float], model: dict[str, float]) -> dict[str, float]:
    """Drift importance × the model's importance, normalised to sum to 1, largest first."""
    raw = {name: value * model.get(name, 0.0) for name, value in drift.items()}
    total = sum(raw.values()) or 1.0
    return dict(sorted(((k, v / total) for k, v in raw.items()), key=lambda kv: -kv[1]))
