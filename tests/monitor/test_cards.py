"""Status cards: the Drift card names every feature in alert, grouped, most important first."""

from opml_core.monitor.cards import (
    MOVED,
    NEW_CATEGORIES,
    SHIFTED_SEGMENTS,
    StatusCard,
    drift_card,
    split_findings,
)
from opml_core.monitor.methods import METHODS, SCORE
from opml_core.monitor.result import DriftResult, DriftValue
from opml_core.monitor.segments import SegmentShift

# whole-period values per feature: kind, {method: value}; the status follows each method's thresholds
FEATURES = {
    "euribor3m": ("numeric", {"psi": 0.9, "segment": 1.5, SCORE: 0.4}),
    "pdays": ("numeric", {"psi": 0.4, "segment": 1.8, SCORE: 0.25}),
    "age": ("numeric", {"psi": 0.3, "segment": 55.0, SCORE: 0.2}),
    "month": ("categorical", {"psi": 0.5, "segment": 1.2, SCORE: 0.3, "unseen": 0.12}),
    "job": ("categorical", {"psi": 0.2, "segment": 1.1, SCORE: 0.1, "unseen": 0.08}),
    "marital": ("categorical", {"psi": 0.15, "segment": 1.1, SCORE: 0.12, "unseen": 0.0}),  # warn
    "contact": ("categorical", {"psi": 0.01, "segment": 1.0, SCORE: 0.02, "unseen": 0.0}),  # ok
}
IMPORTANCES = {"euribor3m": 0.40, "age": 0.20, "pdays": 0.10, "marital": 0.08, "month": 0.05,
               "job": 0.02, "contact": 0.01}


def drift_result(features=FEATURES) -> DriftResult:
    values = [DriftValue(name, kind, None, key, value, METHODS[key].status(value))
              for name, (kind, by_method) in features.items() for key, value in by_method.items()]
    segments = {(name, None): None for name in features}
    segments[("age", None)] = SegmentShift("above 60", 0.004, 0.22, 55.0)
    shares = {("month", None): (["may", "dec"], [1.0, 0.0], [0.88, 0.12]),
              ("job", None): (["admin.", "pilot"], [1.0, 0.0], [0.92, 0.08])}
    return DriftResult([], "1d", values, segments, shares, list(METHODS.values()))


def test_every_feature_in_alert_is_named_and_grouped_by_what_happened_to_it():
    card = drift_card(drift_result(), IMPORTANCES)
    assert card.level == "alert"
    groups = {item.feature: item.group for item in card.items}
    assert groups == {"euribor3m": MOVED, "pdays": MOVED, "age": SHIFTED_SEGMENTS,
                      "month": NEW_CATEGORIES, "job": NEW_CATEGORIES}  # marital only warns
    assert card.sentence.startswith("5 features in alert, the ones the model relies on most first.")
    assert "New categories: 12.0% of month values never appeared in training (such as 'dec')" in card.sentence
    assert "8.0% of job values never appeared in training (such as 'pilot')" in card.sentence
    assert "Shifted segments: age above 60: 22% vs 0.4% in training (55.0× as common)." in card.sentence
    assert "Moved distributions: euribor3m (PSI 0.90, drift score 0.40); pdays (PSI 0.40" in card.sentence


def test_the_group_holding_the_most_important_feature_comes_first_and_so_on_within_each():
    card = drift_card(drift_result(), IMPORTANCES)
    assert [item.feature for item in card.items] == ["euribor3m", "pdays", "age", "month", "job"]
    said = [card.sentence.index(group) for group in (MOVED, SHIFTED_SEGMENTS, NEW_CATEGORIES)]
    assert said == sorted(said)


def test_a_minor_feature_with_new_categories_does_not_come_before_the_model_s_main_one():
    card = drift_card(drift_result(), {**IMPORTANCES, "job": 0.5})  # now job matters most
    assert [item.feature for item in card.items] == ["job", "month", "euribor3m", "pdays", "age"]
    assert card.sentence.index(NEW_CATEGORIES) < card.sentence.index(MOVED) < card.sentence.index(
        SHIFTED_SEGMENTS)


def test_without_the_model_s_importances_the_drift_score_orders_the_features():
    card = drift_card(drift_result(), {})
    assert [item.feature for item in card.items] == ["euribor3m", "pdays", "month", "job", "age"]
    assert "relies on most" not in card.sentence


def test_features_only_in_warning_are_named_when_none_is_in_alert():
    calm = {name: spec for name, spec in FEATURES.items() if name in ("marital", "contact")}
    card = drift_card(drift_result(calm), IMPORTANCES)
    assert card.level == "warn" and [item.feature for item in card.items] == ["marital"]
    assert card.sentence.startswith("1 feature in warning. Moved distributions: marital (PSI 0.15")


def test_the_drift_card_s_headline_only_counts_the_features_and_its_sentence_names_them_all():
    card = drift_card(drift_result(), IMPORTANCES)
    assert card.headline == "5 features in alert, the ones the model relies on most first."
    assert card.sentence.startswith(card.headline + " Moved distributions: euribor3m")
    assert all(item.text in card.sentence for item in card.items)


def test_a_card_without_findings_has_its_sentence_as_headline():
    assert StatusCard("Usage", "ok", "120 requests; 0.0% failed.").headline == "120 requests; 0.0% failed."


def test_the_findings_shown_first_are_those_the_model_relies_on_most_still_grouped():
    findings = split_findings(drift_card(drift_result(), IMPORTANCES), first=3)  # euribor3m, age, pdays
    shown = [(group, [item.feature for item in items]) for group, items in findings.first]
    assert shown == [(MOVED, ["euribor3m", "pdays"]), (SHIFTED_SEGMENTS, ["age"])]
    rest = [(group, [item.feature for item in items]) for group, items in findings.rest]
    assert rest == [(NEW_CATEGORIES, ["month", "job"])] and findings.hidden == 2


def test_five_findings_are_shown_first_and_none_is_left_for_later():
    findings = split_findings(drift_card(drift_result(), IMPORTANCES))
    assert sum(len(items) for _, items in findings.first) == 5
    assert findings.rest == () and findings.hidden == 0
