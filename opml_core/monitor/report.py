"""One monitoring run for a deployment, and the status cards a product manager reads first.

``run_monitor`` takes a consistent snapshot of the collected tables (new collects may add files
meanwhile; they show up next time), then computes usage, drift, performance and — on request —
the drift classifier. ``status_cards`` turns the numbers into a few green/amber/red cards, each
one plain sentence. A deployment with no usage yet gives ``None``: an empty state, not an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Callable

from opml_core.config import Settings
from opml_core.data.tables import workspace_lock
from opml_core.errors import MonitorError
from opml_core.monitor.methods import ALERT, OK, WARN
from opml_core.monitor.result import RANK

INFO = "info"


@dataclass(frozen=True)
class StatusCard:
    title: str
    level: str  # ok | warn | alert | info
    sentence: str


@dataclass
class MonitorReport:
    deployment: str
    window: str
    generated_at: str
    usage: object
    model: object | None = None  # ModelContext
    drift: object | None = None  # DriftResult
    performance: object | None = None
    classifier: object | None = None
    cards: list[StatusCard] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def worst(self) -> str:
        levels = [c.level for c in self.cards if c.level in RANK]
        return max(levels, key=RANK.get) if levels else OK


def run_monitor(spark, settings: Settings, deployment: str, window: str = "auto",
                thresholds: dict | None = None, classifier: bool = False,
                progress: Callable[[str], None] = lambda m: None) -> MonitorReport | None:
    from pyspark.sql import functions as F

    from opml_core.monitor import context as ctx
    from opml_core.monitor.activity import summarise_usage
    from opml_core.monitor.labels import labels_frame
    from opml_core.monitor.windows import check_size, choose_size, window_start
    from opml_core.usage import collect_running

    check_size(window)
    notes = []
    if collect_running(settings) is not None:
        notes.append("A collect is running: these figures use the rows collected before it; "
                     "the new ones appear next time.")
    with workspace_lock(settings.workspace):  # list the tables' files once, between commits
        frames = ctx.usage_frames(spark, settings, deployment)
        labels = labels_frame(spark, settings)
        if labels is not None:  # small: held in memory, so a labels update cannot pull it away
            labels = labels.cache()
            labels.count()
    if frames is None:
        return None
    requests, inputs = frames
    progress("Summarising requests")
    span = requests.agg(F.min("event_time"), F.max("event_time")).first()
    size = window if window != "auto" else choose_size(span[0].timestamp(), span[1].timestamp())
    report = MonitorReport(deployment, size, datetime.now(timezone.utc).isoformat(timespec="seconds"),
                           summarise_usage(requests, size), notes=notes)
    if inputs is None:
        report.notes.append("No request was scored successfully yet, so there is nothing to compare.")
    else:
        _model_sections(spark, settings, report, inputs, labels, thresholds, classifier, progress,
                        window_start(F.col("event_time"), size))
    report.cards = status_cards(report)
    return report


def _model_sections(spark, settings, report, inputs, labels, thresholds, classifier, progress, window):
    from opml_core.monitor import context as ctx
    from opml_core.monitor.calculator import DriftCalculator
    from opml_core.monitor.classifier import classify_drift
    from opml_core.monitor.performance import performance_over_time

    try:
        model = ctx.model_context(settings, *ctx.latest_version(inputs))
    except MonitorError as exc:
        report.notes.append(str(exc))
        return
    report.model = model
    current = inputs.withColumn("window", window)
    reference = ctx.reference_frame(spark, settings, model)
    progress("Comparing every feature with training, window by window")
    report.drift = DriftCalculator(model.features, thresholds=thresholds).fit(reference) \
        .calculate(current, "window", report.window)
    progress("Measuring and estimating performance")
    report.performance = performance_over_time(inputs, labels, model.evaluation, model.training_metrics,
                                               report.window, model.card.positive_class)
    if classifier:
        progress("Training the drift classifier on each window")
        report.classifier = classify_drift(reference, current, model.card, model.importances)


def with_thresholds(report: MonitorReport, thresholds: dict) -> MonitorReport:
    """The report with drift statuses and cards judged by other thresholds (no Spark work)."""
    if report.drift is None or report.drift.thresholds == thresholds:
        return report
    changed = replace(report, drift=report.drift.with_thresholds(thresholds))
    changed.cards = status_cards(changed)
    return changed


def status_cards(report: MonitorReport) -> list[StatusCard]:
    cards = [_usage_card(report.usage)]
    if report.drift is not None:
        cards.append(_drift_card(report.drift))
    if report.performance is not None and report.performance.per_window:
        cards.append(_performance_card(report.performance))
    if report.classifier is not None and report.classifier.windows:
        cards.append(_classifier_card(report.classifier))
    return cards


def _usage_card(usage) -> StatusCard:
    rate = usage.error_rate
    level = OK if rate < 0.01 else WARN if rate < 0.05 else ALERT
    sentence = (f"{usage.requests:,} requests ({usage.rows:,} rows scored) from "
                f"{usage.first:%d %b %Y} to {usage.last:%d %b %Y}; {rate:.1%} failed.")
    if usage.top_errors:
        sentence += f" Most often: {usage.top_errors[0][0][:120]}"
    return StatusCard("Usage", level, sentence)


def _drift_card(drift) -> StatusCard:
    status = drift.feature_status()
    level = drift.worst()
    unseen = [v for v in drift.values if v.window is None and v.method == "unseen" and v.status != OK]
    if unseen:
        worst = max(unseen, key=lambda v: v.value)
        return StatusCard("Drift", worst.status, f"{worst.value:.1%} of {worst.feature!r} values "
                          "never appeared in training; the model treats them all alike.")
    psi = {v.feature: v.value for v in drift.ranking("psi")}
    ranked = sorted(psi, key=lambda f: (-RANK[status.get(f, OK)], -psi[f]))
    if not ranked or level == OK:
        return StatusCard("Drift", OK, "Inputs look like training: no segment is twice as common "
                          "as in training and no feature's PSI reaches 0.1 over the period.")
    top = ranked[0]
    sentence = f"{top} drifted most (PSI {psi[top]:.2f})"
    shift = drift.segments.get((top, None))
    if shift is not None and shift.ratio > 1:
        sentence += (f": {top} {shift.segment} is {shift.ratio:.1f}× as common as in training "
                     f"({shift.current_share:.0%} vs {shift.reference_share:.0%})")
    others = [f for f in ranked[1:] if status.get(f) != OK][:3]
    if others:
        sentence += f"; also {', '.join(others)}"
    return StatusCard("Drift", level, sentence + ".")


def _performance_card(performance) -> StatusCard:
    reference = performance.reference.get("accuracy")
    auc_reference = performance.reference.get("roc_auc")
    labelled = [w for w in performance.per_window if w["realized"]]
    if labelled:
        last = labelled[-1]["realized"]
        drop = (auc_reference if auc_reference is not None else last["roc_auc"]) - last["roc_auc"]
        level = ALERT if drop > 0.05 else WARN if drop > 0.02 else OK
        return StatusCard("Performance", level, (
            f"On labelled requests of the latest window, ROC AUC is {last['roc_auc']:.2f} (training "
            f"{_fmt(auc_reference)}) and accuracy {last['accuracy']:.2f} (training {_fmt(reference)})."))
    estimated = [w for w in performance.per_window if w["estimated"]]
    if not estimated:
        return StatusCard("Performance", INFO, "No outcomes yet, and no way to estimate them.")
    last = estimated[-1]["estimated"]
    drop = (auc_reference if auc_reference is not None else last["roc_auc"]) - last["roc_auc"]
    level = WARN if drop > 0.05 else OK
    return StatusCard("Performance", level, (
        f"No outcomes yet; from the model's confidence, ROC AUC is estimated at "
        f"{last['roc_auc']:.2f} in the latest window (training {_fmt(auc_reference)})."))


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _classifier_card(result) -> StatusCard:
    latest = result.windows[-1]
    top = [name for name in list(result.importances)[:2]]
    if not result.significant(latest):
        return StatusCard("Drift classifier", OK, (
            f"Production rows are indistinguishable from training rows (AUC {latest.auc:.2f}, "
            f"chance range {latest.band[0]:.2f}–{latest.band[1]:.2f})."))
    level = WARN if latest.auc < 0.7 else ALERT
    impact = list(result.impact)[:1]
    sentence = (f"A classifier tells production rows from training rows with AUC {latest.auc:.2f} "
                f"(chance: up to {latest.band[1]:.2f}); the giveaways are {' and '.join(top)}")
    if impact and impact[0] not in top:
        sentence += f"; weighted by what the model relies on, {impact[0]} matters most"
    return StatusCard("Drift classifier", level, sentence + ".")
