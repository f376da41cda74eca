"""Status cards: what a product manager reads first, in plain words, green, amber or red.

``status_cards(report)`` gives one card per section (usage, drift, performance, drift
classifier) and one per section that could not be computed. The Drift card names every feature
in alert, grouped by what happened to it — new categories, a shifted segment ("age above 60:
22% vs 0.4% in training"), a moved distribution — the features the model relies on most
first: the group holding the most important feature comes first, and within a group the more
important feature comes first (the drift score breaks ties). Each is a ``CardItem`` whose
``anchor`` is the id of that feature's chart. A card's ``headline`` is short enough for a row of
cards; ``sentence`` says everything (exports, alerts). ``split_findings`` picks the few findings
the model relies on most for the page to show first, each part grouped, the rest to fold away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from opml_core.monitor.methods import ALERT, OK, SCORE, WARN

INFO = "info"
NEW_CATEGORIES, SHIFTED_SEGMENTS, MOVED = "New categories", "Shifted segments", "Moved distributions"
GROUPS = (NEW_CATEGORIES, SHIFTED_SEGMENTS, MOVED)
FIRST_FINDINGS = 5


@dataclass(frozen=True)
class CardItem:
    """One finding on a card: a feature, what happened to it, and the id of its chart."""

    group: str
    feature: str
    text: str
    rank: int = 0  # 0 for the feature the model relies on most among the card's

    @property
    def anchor(self) -> str:
        return chart_anchor(self.feature)


@dataclass(frozen=True)
class StatusCard:
    """A card: ``sentence`` says everything, ``headline`` (the sentence when not given) fits a row
    of cards, and ``items`` are the findings the sentence names."""

    title: str
    level: str  # ok | warn | alert | info
    sentence: str
    items: tuple[CardItem, ...] = ()
    headline: str = ""

    def __post_init__(self):
        if not self.headline:
            object.__setattr__(self, "headline", self.sentence)


Groups = tuple[tuple[str, tuple[CardItem, ...]], ...]


@dataclass(frozen=True)
class Findings:
    """A card's findings as the page shows them: the first few, and the rest; each grouped."""

    first: Groups
    rest: Groups

    @property
    def hidden(self) -> int:
        return sum(len(items) for _, items in self.rest)


def chart_anchor(feature: str) -> str:
    """The HTML id of a feature's training-vs-production chart."""
    return "drift-" + re.sub(r"[^a-z0-9]+", "-", feature.lower()).strip("-")


def split_findings(card: StatusCard, first: int = FIRST_FINDINGS) -> Findings:
    """The ``first`` findings the model relies on most, then the rest, each in the card's groups
    and order."""
    by_rank = sorted(card.items, key=lambda item: item.rank)
    return Findings(_grouped(card, by_rank[:first]), _grouped(card, by_rank[first:]))


def _grouped(card: StatusCard, chosen: list[CardItem]) -> Groups:
    groups = dict.fromkeys(item.group for item in card.items)
    return tuple((group, items) for group in groups
                 if (items := tuple(i for i in card.items if i.group == group and i in chosen)))


def status_cards(report) -> list[StatusCard]:
    cards = [_usage_card(report.usage)]
    if report.drift is not None:
        cards.append(drift_card(report.drift, report.model.importances if report.model else {}))
    if report.performance is not None and report.performance.per_window:
        cards.append(performance_card(report.performance))
    if report.classifier is not None:
        cards.append(_classifier_card(report.classifier))
    titles = {"drift": "Drift", "performance": "Performance", "classifier": "Drift classifier"}
    cards += [StatusCard(titles[name], INFO, message) for name, message in report.problems.items()]
    return cards


def _usage_card(usage) -> StatusCard:
    rate = usage.error_rate
    level = OK if rate < 0.01 else WARN if rate < 0.05 else ALERT
    sentence = (f"{usage.requests:,} requests ({usage.rows:,} rows scored) from "
                f"{usage.first:%d %b %Y} to {usage.last:%d %b %Y}; {rate:.1%} failed.")
    if usage.top_errors:
        sentence += f" Most often: {usage.top_errors[0][0][:120]}"
    return StatusCard("Usage", level, sentence)


def drift_card(drift, importances: dict[str, float]) -> StatusCard:
    """Every feature in alert (or, when none is, in warning), grouped, most important first."""
    level = drift.worst()
    status = drift.feature_status()
    if level == OK:
        return StatusCard("Drift", OK, "Inputs look like training over the period: no new "
                          "categories, no segment twice as common as in training, no PSI of 0.1.")
    chosen = [f for f, s in status.items() if s == level]
    score = {v.feature: v.value for v in drift.ranking(SCORE)}
    chosen.sort(key=lambda f: (-importances.get(f, 0.0), -score.get(f, 0.0)))
    items = [_finding(drift, feature, rank) for rank, feature in enumerate(chosen)]
    groups = list(dict.fromkeys(item.group for item in items))  # by their most important feature
    items.sort(key=lambda item: groups.index(item.group))  # stable: importance order kept within
    word = "alert" if level == ALERT else "warning"
    count = (f"{len(items)} feature{'s' if len(items) != 1 else ''} in {word}"
             f"{', the ones the model relies on most first' if importances and len(items) > 1 else ''}.")
    parts = [f"{group}: {'; '.join(item.text for item in items if item.group == group)}."
             for group in groups]
    too_little = drift.too_little()
    note = (f" {len(too_little)} window(s) had too little data for some statistics; a longer "
            "window gathers more." if too_little else "")
    sentence = f"{count} {' '.join(parts)}{note}"
    return StatusCard("Drift", level, sentence, tuple(items), count + note)


def _finding(drift, feature: str, rank: int) -> CardItem:
    unseen = drift.value(feature, "unseen")
    if unseen is not None and unseen.status not in (OK,) and unseen.value == unseen.value and unseen.value > 0:
        labels, reference, current = drift.shares[(feature, None)]
        new = [label for label, r, c in zip(labels, reference, current) if r == 0 and c > 0]
        example = f" (such as {new[0]!r})" if new else ""
        return CardItem(NEW_CATEGORIES, feature, f"{unseen.value:.1%} of {feature} values never "
                        f"appeared in training{example}; the model treats them all alike", rank)
    segment = drift.value(feature, "segment")
    shift = drift.segments.get((feature, None))
    if segment is not None and segment.status not in (OK,) and shift is not None and shift.ratio > 1:
        return CardItem(SHIFTED_SEGMENTS, feature, (
            f"{feature} {shift.segment}: {_share(shift.current_share)} vs "
            f"{_share(shift.reference_share)} in training ({shift.ratio:.1f}× as common)"), rank)
    psi = drift.value(feature, "psi")
    score = drift.value(feature, SCORE)
    figures = ", ".join(f"{name} {v.value:.2f}" for name, v in (("PSI", psi), ("drift score", score))
                        if v is not None and v.value == v.value)
    return CardItem(MOVED, feature, f"{feature} ({figures})" if figures else feature, rank)


def _share(value: float) -> str:
    return f"{value:.1%}" if value < 0.1 else f"{value:.0%}"


def performance_card(performance) -> StatusCard:
    """Realized figures where outcomes exist; otherwise the estimate, or why it is unreliable."""
    reference = performance.reference.get("accuracy")
    auc_reference = performance.reference.get("roc_auc")
    labelled = [w for w in performance.per_window if w["realized"]]
    if labelled:
        latest = labelled[-1]
        last, band = latest["realized"], latest["realized_band"]["roc_auc"]
        drop = (auc_reference if auc_reference is not None else last["roc_auc"]) - last["roc_auc"]
        level = ALERT if drop > 0.05 else WARN if drop > 0.02 else OK
        sentence = (f"On labelled requests of the latest window with enough of them, ROC AUC is "
                    f"{last['roc_auc']:.2f} (95% band {band[0]:.2f}–{band[1]:.2f}; training "
                    f"{_fmt(auc_reference)}) and accuracy {last['accuracy']:.2f} (training {_fmt(reference)}).")
        if latest["unreliable"]:
            sentence += f" The estimate for it is unreliable because {latest['unreliable']}."
        return StatusCard("Performance", level, sentence)
    estimated = [w for w in performance.per_window if w["estimated"]]
    if not estimated:
        return StatusCard("Performance", INFO, "No outcomes yet, and no window with enough rows "
                          "to estimate them." if performance.per_window else "No outcomes yet.")
    latest = estimated[-1]
    if latest["unreliable"]:
        unsure = sum(1 for w in estimated if w["unreliable"])
        return StatusCard("Performance", WARN, (
            f"No outcomes yet, and the estimate is unreliable because {latest['unreliable']} "
            f"(in {unsure} of {len(estimated)} windows). Add outcomes to measure it."))
    last, band = latest["estimated"], latest["estimated_band"]["roc_auc"]
    drop = (auc_reference if auc_reference is not None else last["roc_auc"]) - last["roc_auc"]
    level = WARN if drop > 0.05 else OK
    return StatusCard("Performance", level, (
        f"No outcomes yet; from the model's confidence, ROC AUC is estimated at "
        f"{last['roc_auc']:.2f} (95% band {band[0]:.2f}–{band[1]:.2f}) in the latest window "
        f"(training {_fmt(auc_reference)})."))


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _classifier_card(result) -> StatusCard:
    if not result.windows:
        from opml_core.monitor.classifier import MIN_ROWS

        return StatusCard("Drift classifier", INFO, (
            f"Too little data: every window holds fewer than {MIN_ROWS} rows, the least the "
            "classifier needs. Choose a longer window or send more requests."))
    latest = result.windows[-1]
    top = list(result.importances)[:2]
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
