"""One monitoring run for a deployment, and the status cards a product manager reads first.

``run_monitor`` takes a consistent snapshot of the collected tables (new collects may add files
meanwhile; they show up next time), then computes usage, drift, performance and — on request —
the drift classifier. Each section is computed on its own: one that fails leaves its message in
``problems`` (shown in its own place) and the others still appear. ``cards.status_cards`` turns
the numbers into a few green/amber/red cards in plain words. A deployment with no usage yet
gives ``None``: an empty state, not an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Callable

from opml_core.config import Settings
from opml_core.data.tables import workspace_lock
from opml_core.errors import MonitorError, OpmlError
from opml_core.monitor.cards import StatusCard, status_cards
from opml_core.monitor.methods import OK
from opml_core.monitor.result import RANK

__all__ = ["MonitorReport", "StatusCard", "run_monitor", "status_cards", "with_thresholds"]

SECTIONS = {"drift": "Drift", "performance": "Performance", "classifier": "The drift classifier"}
_LOG = logging.getLogger(__name__)


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
    problems: dict[str, str] = field(default_factory=dict)  # section -> why it is missing

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
    report.drift = _section(report, "drift", lambda: DriftCalculator(
        model.features, thresholds=thresholds).fit(reference).calculate(current, "window", report.window))
    progress("Measuring and estimating performance")
    report.performance = _section(report, "performance", lambda: performance_over_time(
        inputs, labels, model.evaluation, model.training_metrics, report.window,
        model.card.positive_class))
    if classifier:
        progress("Training the drift classifier on each window")
        report.classifier = _section(report, "classifier", lambda: classify_drift(
            reference, current, model.card, model.importances))


def _section(report: MonitorReport, name: str, compute: Callable[[], object]):
    """Compute one section; if it fails, say so in its place and let the others carry on."""
    try:
        return compute()
    except OpmlError as exc:
        report.problems[name] = str(exc)
    except Exception as exc:  # noqa: BLE001 - one section must never take the page with it
        _LOG.exception("The %s section of the monitoring report failed", name)
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        report.problems[name] = (f"{SECTIONS[name]} could not be computed this time ({first}); the "
                                 "rest of the report is unaffected. Try another window, or collect "
                                 "more usage and open the page again.")
    return None


def with_thresholds(report: MonitorReport, thresholds: dict) -> MonitorReport:
    """The report with drift statuses and cards judged by other thresholds (no Spark work)."""
    if report.drift is None or report.drift.thresholds == thresholds:
        return report
    changed = replace(report, drift=report.drift.with_thresholds(thresholds))
    changed.cards = status_cards(changed)
    return changed
