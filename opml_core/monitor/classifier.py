"""The drift classifier: can a model tell training rows from production rows?

A bounded sample of each window (up to ``SAMPLE_PER_SIDE`` rows, drawn at random in Spark) and
as many training rows reach the driver, typed in Spark (numbers sent as text are parsed there, and
what is no number becomes missing), one number per column (``encode``: numbers as they are,
categories as their rank in training, new ones past the last). There scikit-learn's random forest
(``TREES`` trees, each on half the rows: the AUC settles within about 0.005 between seeds) learns
to separate training (label 0) from the window (label 1) in ``FOLDS`` shuffled stratified folds.
The cross-validated ROC AUC of the pooled out-of-fold predictions says how different the window
is: 0.5 means indistinguishable. Runs with shuffled labels (a few windows, pooled and scaled to
each window's size) give the band "no difference" falls in. Importances, one per readable column,
say which features give the window away; times the model's own importances they rank the drift
by its impact. A window under ``MIN_ROWS`` rows is "too little data" and skipped.

Why the driver, and why raw columns: the samples are small by construction, and many tiny Spark
fits (a former design) spent their time in job scheduling; fitting the model's own preprocessing
on the training table cost more Spark jobs than the whole forest, and trees need no one-hot
vectors. Every fold of every window (and of the shuffled runs) is one task on a thread pool, so
five windows take about two seconds on two cores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from opml_core.evaluation import importances_by_column
from opml_core.monitor.calculator import col
from opml_core.monitor.windows import as_time

SAMPLE_PER_SIDE = 2_500  # rows per window, and as many training rows
MIN_ROWS = 50  # production rows a window needs; fewer: "too little data" (5 stratified folds)
FOLDS = 5
TREES, DEPTH, LEAF, HALF = 30, 10, 3, 0.5
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
    chosen = sorted(set(np.linspace(0, len(samples) - 1, SHUFFLED_RUNS).astype(int).tolist()))
    problems = [(s.x, s.y, seed + n) for n, s in enumerate(samples)]
    problems += [(samples[n].x, _shuffled(samples[n].y, seed + n), seed + n) for n in chosen]
    answers = cross_validate(problems)
    fitted = answers[:len(samples)]
    shuffled = [(n, auc) for n, (auc, _) in zip(chosen, answers[len(samples):])]
    result = _verdicts(samples, fitted, shuffled, sources, card, model_importances)
    result.too_little = too_little
    return result


def window_samples(reference, production, card, window_column: str = "window", seed: int = 7):
    """(samples per window with at least MIN_ROWS rows, their columns, {small window: rows}).

    Each window's sample is up to SAMPLE_PER_SIDE of its rows at random, beside as many training
    rows (a random subset of one shared training sample), encoded by ``encode`` in the driver.
    """
    from pyspark.sql import functions as F

    counts, total = _counts(reference, production, window_column)
    too_little = {as_time(w): n for w, n in counts.items() if n < MIN_ROWS}
    windows = sorted(w for w, n in counts.items() if n >= MIN_ROWS)
    if not windows:
        return [], [], too_little
    features = list(card.features)
    renamed = [_typed(card, f) for f in features]
    size = min(SAMPLE_PER_SIDE, max(counts[w] for w in windows), total)
    training = (reference.select(*renamed)
                .sample(False, min(1.0, size * 1.1 / max(total, 1)), seed).limit(size)
                .select(F.lit(-1).alias("__w"), *[col(f) for f in features]))
    fractions = {i: min(1.0, SAMPLE_PER_SIDE * 1.1 / counts[w]) for i, w in enumerate(windows)}
    number = F.create_map(*[x for i, w in enumerate(windows) for x in (F.lit(w), F.lit(i))])
    current = (production.where(F.col(window_column).isin(windows))
               .select(number[F.col(window_column)].alias("__w"), *renamed)
               .sampleBy("__w", fractions, seed))
    table = training.unionByName(current).toArrow()
    group = table.column("__w").to_numpy()
    x = encode(table, card, features, group == -1)
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
    return samples, features, too_little


def _counts(reference, production, window_column: str) -> tuple[dict, int]:
    """({window: production rows}, training rows), in one Spark job."""
    from pyspark.sql import functions as F

    kind = production.schema[window_column].dataType
    rows = (production.select(F.lit(False).alias("__ref"), F.col(window_column).alias("__w"))
            .unionByName(reference.select(F.lit(True).alias("__ref"), F.lit(None).cast(kind).alias("__w")))
            .groupBy("__ref", "__w").count().collect())
    counts = {r["__w"]: r["count"] for r in rows if not r["__ref"]}
    return counts, sum(r["count"] for r in rows if r["__ref"])


def _typed(card, feature: str):
    """The feature under its internal name, typed in Spark: numbers as doubles (text that is no
    number, as production may send, becomes missing), categories as text."""
    value = col(card.display(feature))
    if card.feature_kinds.get(feature) == "categorical":
        return value.cast("string").alias(feature)
    return value.try_cast("double").alias(feature)


def encode(table, card, features: list[str], reference: np.ndarray | None = None) -> np.ndarray:
    """One number per column for the forest: numbers as they are, categories as their rank.

    A category's code is its rank by frequency in training (the card's levels), so a split sets
    the common values apart from the rare; a category training never held gets the one code past
    the last (a single split isolates every new category); a missing value (or an infinite
    number) is NaN, which scikit-learn's trees route on their own. A category with too many
    values for the card to keep its levels (over a thousand) is ranked by frequency in the
    training rows of ``table`` (``reference`` marks them) instead.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for name in features:
        values = table.column(name)
        if card.feature_kinds.get(name) == "categorical":
            text = pc.cast(values, pa.string())
            levels = _levels(card.levels.get(name), text, reference)
            codes = pc.fill_null(pc.index_in(text, value_set=levels), len(levels))
            codes = codes.to_numpy(zero_copy_only=False).astype(float)
            codes[pc.is_null(text).to_numpy(zero_copy_only=False)] = np.nan
            columns.append(codes)
        else:
            number = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
            columns.append(np.where(np.isfinite(number), number, np.nan))
    return np.column_stack(columns) if columns else np.zeros((table.num_rows, 0))


def _levels(known, text, reference: np.ndarray | None):
    """The card's levels, or (when it kept none) the training sample's values, most frequent first."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if known:
        return pa.array([str(v) for v in known], pa.string())
    sample = text.filter(pa.array(reference)) if reference is not None else text
    counted = pc.value_counts(pc.drop_null(sample))
    pairs = zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist())
    return pa.array([v for v, _ in sorted(pairs, key=lambda vc: (-vc[1], vc[0]))], pa.string())


def forest(seed: int):
    """The classifier itself (scikit-learn's random forest, each tree on half the rows)."""
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=TREES, max_depth=DEPTH, min_samples_leaf=LEAF,
                                  max_features="sqrt", max_samples=HALF, n_jobs=1, random_state=seed)


Problem = tuple[np.ndarray, np.ndarray, int]  # vectors, labels (1 = production), fold seed


def cross_validate(problems: list[Problem]) -> list[tuple[float, np.ndarray]]:
    """Per (x, y, seed): (ROC AUC of the pooled out-of-fold probabilities, mean slot importances).

    Every fold of every problem is one task on a pool of threads as wide as the machine (the
    trees are grown outside Python's lock), so small windows never leave a core idle.
    """
    from joblib import Parallel, delayed
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    tasks = [(p, train, held_out) for p, (x, y, seed) in enumerate(problems)
             for train, held_out in StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(x, y)]

    def fold(p: int, train: np.ndarray, held_out: np.ndarray):
        x, y, seed = problems[p]
        model = forest(seed).fit(x[train], y[train])
        return p, held_out, model.predict_proba(x[held_out])[:, list(model.classes_).index(1.0)], \
            model.feature_importances_

    scores = [np.zeros(len(y)) for _, y, _ in problems]
    importances = [np.zeros(x.shape[1]) for x, _, _ in problems]
    for p, held_out, probabilities, slots in Parallel(n_jobs=-1, prefer="threads")(
            delayed(fold)(*task) for task in tasks):
        scores[p][held_out] = probabilities
        importances[p] += slots / FOLDS
    return [(float(roc_auc_score(y, score)), imp)
            for (_, y, _), score, imp in zip(problems, scores, importances)]


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
