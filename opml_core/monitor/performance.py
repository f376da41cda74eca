"""Performance over time: realized where outcomes are known, estimated where they are not.

Per window, Spark bins the positive-class probabilities (and the outcome, when labelled); the
rest is arithmetic on those bins. The estimate follows NannyML's confidence-based performance
estimation: calibrate the model's probabilities on its held-out test part (isotonic, by bins),
then each row contributes its calibrated probability to the expected confusion matrix. With
labels, the realized value is shown beside the estimate. Each figure carries a 95% band, and
each estimate a check of its assumption (``estimates``): a window where it fails is marked
``unreliable`` with the reason, instead of being trusted. Realized figures cover the labelled
rows only, so the check compares them with the estimate for those same rows (the estimate shown
covers every row of the window).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from opml_core.evaluation import BINS, ScoreBins, probability_bin
from opml_core.monitor.estimates import assumption_problem, bands
from opml_core.monitor.windows import as_time, window_start

METRICS = ("roc_auc", "accuracy", "precision", "recall", "f1")
CALIBRATION_GROUPS = 50
MIN_ROWS = 30  # rows (for the estimate) or labelled rows (for the measure) a window needs


@dataclass
class PerformanceResult:
    per_window: list[dict]  # window, rows, labelled, realized {metric: value}, estimated {...},
    # realized_band / estimated_band {metric: (low, high)}, unreliable (why, or None), too_little
    reference: dict  # the training-time (test part) value of each metric
    threshold: float = 0.5
    labelled: int = 0
    notes: list[str] = field(default_factory=list)

    def unreliable_warning(self) -> str | None:
        """The sentence the page and the export show when some estimates failed their check."""
        unsure = [w for w in self.per_window if w["unreliable"]]
        if not unsure:
            return None
        return (f"The estimate is unreliable in {len(unsure)} of {len(self.per_window)} windows "
                f"(crosses), e.g. {unsure[-1]['window']:%Y-%m-%d %H:%M}: {unsure[-1]['unreliable']}.")


def calibration(bins: ScoreBins, groups: int = CALIBRATION_GROUPS) -> np.ndarray:
    """Calibrated P(positive) for each of the BINS probability bins (isotonic over groups)."""
    positives = np.add.reduceat(np.array(bins.positives, dtype=float), np.arange(0, BINS, BINS // groups))
    totals = positives + np.add.reduceat(np.array(bins.negatives, dtype=float),
                                         np.arange(0, BINS, BINS // groups))
    centres = (np.arange(groups) + 0.5) / groups
    present = totals > 0
    fitted = _isotonic(positives[present] / totals[present], totals[present])
    per_group = np.interp(centres, centres[present], fitted) if present.any() else centres
    return np.repeat(per_group, BINS // groups)


def performance_over_time(inputs, labels, evaluation, training_metrics: dict, window_size: str,
                          positive_class: str, threshold: float = 0.5) -> PerformanceResult:
    """Realized and estimated metrics per window for a deployment's scored rows."""
    from pyspark.sql import functions as F

    rows = inputs.withColumn("window", window_start(F.col("event_time"), window_size))
    if labels is not None:
        rows = rows.join(labels.select("request_id", "row_index", "actual"),
                         ["request_id", "row_index"], "left")
    else:
        rows = rows.withColumn("actual", F.lit(None).cast("string"))
    outcome = F.when(F.col("actual").isNull(), F.lit(-1)) \
        .otherwise((F.col("actual") == positive_class).cast("int"))
    binned = (rows.where(F.col("probability").isNotNull())
              .select("window", probability_bin(F.col("probability")).alias("bin"),
                      outcome.alias("outcome"))
              .groupBy("window", "bin", "outcome").count().collect())
    calibrated = calibration(evaluation.bins) if evaluation is not None else None
    result = PerformanceResult([], {m: training_metrics.get(m) for m in METRICS}, threshold)
    by_window: dict = {}
    for row in binned:
        counts = by_window.setdefault(row["window"], np.zeros((3, BINS)))
        counts[row["outcome"] + 1, row["bin"]] += row["count"]  # rows: unlabelled, negative, positive
    for window in sorted(by_window):
        counts = by_window[window]
        all_rows = counts.sum(axis=0)
        labelled = counts[1] + counts[2]
        entry = {"window": as_time(window), "rows": int(all_rows.sum()), "labelled": int(labelled.sum()),
                 "realized": None, "estimated": None, "too_little": all_rows.sum() < MIN_ROWS,
                 "realized_band": None, "estimated_band": None, "unreliable": None}
        if labelled.sum() >= MIN_ROWS and counts[2].sum() and counts[1].sum():
            observed = ScoreBins(counts[2].tolist(), counts[1].tolist())
            entry["realized"] = _metrics(observed, threshold)
            entry["realized_band"] = bands(observed, threshold)
        if calibrated is not None and not entry["too_little"]:
            expected = _expected(all_rows, calibrated)
            entry["estimated"] = _metrics(expected, threshold)
            entry["estimated_band"] = bands(expected, threshold)
            same_rows, same_band = None, None  # the estimate for the rows realized figures cover
            if entry["realized"]:
                on_labelled = _expected(labelled, calibrated)
                same_rows, same_band = _metrics(on_labelled, threshold), bands(on_labelled, threshold)
            entry["unreliable"] = assumption_problem(all_rows, evaluation.bins, same_rows,
                                                     entry["realized"], same_band, entry["realized_band"])
        result.per_window.append(entry)
        result.labelled += entry["labelled"]
    if calibrated is None:
        result.notes.append("This model has no test-part evaluation, so performance cannot be "
                            "estimated before outcomes arrive.")
    return result


def _expected(rows: np.ndarray, calibrated: np.ndarray) -> ScoreBins:
    """Expected positives and negatives per score bin, from the calibrated probabilities."""
    return ScoreBins((rows * calibrated).tolist(), (rows * (1 - calibrated)).tolist())


def _metrics(bins: ScoreBins, threshold: float) -> dict:
    point = bins.at(threshold)
    return {"roc_auc": bins.auc(), "accuracy": point.accuracy, "precision": point.precision,
            "recall": point.recall, "f1": point.f1}


def _isotonic(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Pool-adjacent-violators: the non-decreasing fit closest to ``values`` (weighted)."""
    blocks = [[float(v), float(w), 1] for v, w in zip(values, weights)]
    merged: list[list[float]] = []
    for block in blocks:
        merged.append(block)
        while len(merged) > 1 and merged[-2][0] > merged[-1][0]:
            v2, w2, n2 = merged.pop()
            v1, w1, n1 = merged.pop()
            merged.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    return np.concatenate([[v] * int(n) for v, _, n in merged])
