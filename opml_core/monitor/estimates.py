"""How sure the performance figures are: confidence bands, and when the estimate cannot be trusted.

``bands`` gives a 95% band per metric from the counts behind it: a normal approximation of the
binomial for accuracy, precision, recall and F1 (on the rows each is a share of), and Hanley and
McNeil's standard error for ROC AUC. Expected counts (the estimate) get the same treatment, which
is the estimate's sampling error (as NannyML's CBPE reports it), not its bias.

``assumption_problem`` checks what the estimate relies on: calibration on the model's test part
still describing production. It says why not (or None) when many of the window's rows have
scores where calibration saw almost no test rows (so the calibrated confidence there is a
guess: scores moving *within* what calibration saw are fine, that is what the estimate
handles), or realized outcomes disagree with the estimate beyond both bands (the caller passes
the estimate and band for the labelled rows the realized figures cover).
"""

from __future__ import annotations

import math

import numpy as np

from opml_core.evaluation import BINS, ScoreBins

Z = 1.96  # 95% bands
SCORE_GROUPS = 20  # score distribution compared in groups of BINS / SCORE_GROUPS bins
THIN = 30  # a score group where calibration saw fewer test rows than this is "thin"
MAX_THIN_SHARE = 0.3  # more of a window's rows than this in thin groups: unreliable ...
THIN_RATIO = 3.0  # ... when that is also this many times the test part's own share there


def bands(bins: ScoreBins, threshold: float) -> dict[str, tuple[float, float]]:
    """A 95% band per metric for the counts in ``bins`` (expected or observed)."""
    point = bins.at(threshold)
    positives, negatives = sum(bins.positives), sum(bins.negatives)
    shares = {"accuracy": (point.accuracy, positives + negatives),
              "precision": (point.precision, point.tp + point.fp),
              "recall": (point.recall, positives),
              "f1": (point.f1, min(point.tp + point.fp, positives))}
    out = {name: _band(value, _binomial_se(value, rows)) for name, (value, rows) in shares.items()}
    auc = bins.auc()
    out["roc_auc"] = _band(auc, _auc_se(auc, positives, negatives))
    return out


def assumption_problem(window_rows: np.ndarray, calibration_bins: ScoreBins, estimated: dict | None,
                       realized: dict | None, estimated_band: dict | None,
                       realized_band: dict | None) -> str | None:
    """Why the estimate is unreliable for this window, in words; None when nothing says so."""
    reference = np.array(calibration_bins.positives, float) + np.array(calibration_bins.negatives, float)
    window_share, calibration_share = thin_shares(window_rows, reference)
    if window_share > max(MAX_THIN_SHARE, THIN_RATIO * calibration_share):
        return (f"{window_share:.0%} of its rows have scores where the model's calibration saw "
                f"almost no test rows (fewer than {THIN} per score band; {calibration_share:.0%} of "
                "the test part), so the calibrated confidence there is a guess")
    if estimated and realized and estimated_band and realized_band:
        for metric in ("accuracy", "roc_auc"):
            gap = abs(estimated[metric] - realized[metric])
            spread = math.hypot(*(_half(b[metric]) for b in (estimated_band, realized_band)))
            if gap > max(spread, 0.02):
                return (f"realized outcomes disagree with it: {_name(metric)} measured "
                        f"{realized[metric]:.2f} on the labelled rows, estimated "
                        f"{estimated[metric]:.2f} for them")
    return None


def thin_shares(window_rows: np.ndarray, reference_rows: np.ndarray) -> tuple[float, float]:
    """Shares of the window's and of the test part's rows in score groups where the test part
    (calibration) has fewer than THIN rows."""
    step = BINS // SCORE_GROUPS
    reference = np.add.reduceat(np.asarray(reference_rows, float), np.arange(0, BINS, step))
    window = np.add.reduceat(np.asarray(window_rows, float), np.arange(0, BINS, step))
    if reference.sum() == 0 or window.sum() == 0:
        return 0.0, 0.0
    thin = reference < THIN
    return float(window[thin].sum() / window.sum()), float(reference[thin].sum() / reference.sum())


def _binomial_se(share: float, rows: float) -> float:
    return math.sqrt(share * (1 - share) / rows) if rows > 0 else math.inf


def _auc_se(auc: float, positives: float, negatives: float) -> float:
    """Hanley & McNeil (1982)."""
    if positives <= 0 or negatives <= 0:
        return math.inf
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc)
                + (negatives - 1) * (q2 - auc * auc)) / (positives * negatives)
    return math.sqrt(max(variance, 0.0))


def _band(value: float, se: float) -> tuple[float, float]:
    if not math.isfinite(se):
        return (0.0, 1.0)
    return (max(value - Z * se, 0.0), min(value + Z * se, 1.0))


def _half(band: tuple[float, float]) -> float:
    return (band[1] - band[0]) / 2


def _name(metric: str) -> str:
    return "ROC AUC" if metric == "roc_auc" else metric
