"""The Train page's sections: training choices, results, the versions table, submissions.

Each function draws one section; results are re-read from MLflow by run id, so they survive
reruns and show the same numbers MLflow holds.
"""

from __future__ import annotations

import streamlit as st

from opml_core import charts
from opml_core.data import list_tables, read_card
from opml_core.pipeline import ESTIMATORS
from opml_core.evaluation import verdict
from opml_core.registry import (SUGGESTED_ALIASES, decision_threshold, list_models, list_versions,
                               remove_alias, set_alias, set_decision_threshold, version_summary)
from opml_core.submission import submit_model_zip, trust_warning
from opml_core.train import MAX_FOLDS, TrainSpec
from opml_core.ui import resources
from opml_core.ui.feedback import reporting
from opml_core.ui.widgets import empty_state, metric_row, plot


def training_inputs(settings) -> TrainSpec | None:
    """Table, features, model kind and knobs; None when there is nothing to train on yet."""
    tables = [t.name for t in list_tables(settings.workspace, role="training")]
    if not tables:
        empty_state("No training table yet. Prepare one from the bundled data in a minute.",
                    "app_pages/prepare.py", "Prepare data")
        return None
    table = st.selectbox("Training table", tables, key="train.table")
    card = read_card(settings.workspace, table)
    st.caption(card.summary)
    features = st.multiselect("Features", card.features, default=card.features,
                              format_func=card.display, key=f"train.features.{table}")
    kind = st.radio("Model", list(ESTIMATORS), format_func=lambda k: ESTIMATORS[k].title,
                    horizontal=True, key="train.estimator")
    spec = ESTIMATORS[kind]
    st.caption(spec.description)
    params = {}
    for column, knob in zip(st.columns(len(spec.knobs)), spec.knobs):
        value = column.number_input(knob.label, knob.minimum, knob.maximum, knob.default,
                                    knob.step, help=knob.help, key=f"train.knob.{kind}.{knob.name}",
                                    format=None if knob.integer else "%.3f")
        params[knob.name] = int(value) if knob.integer else float(value)
    with st.expander("Testing and validation"):
        left, mid, right = st.columns(3)
        test = left.slider("Held-out test share", 0.05, 0.5, 0.2, 0.05, key="train.test_share")
        seed = int(mid.number_input("Seed", 0, 2**31 - 1, 42, key="train.seed"))
        folds = int(right.number_input("Cross-validation folds (0 = off)", 0, MAX_FOLDS, 0,
                                       key="train.folds",
                                       help="k-fold CV fits the model k more times and reports "
                                            "the mean and spread of ROC AUC."))
    balance = st.toggle("Balance rare outcomes", key="train.balance",
                        help="Weighs the rarer outcome up so that both count equally: the model "
                             f"can no longer do well by answering '{card.negative_class}' to "
                             "everyone. Try it when one outcome is much rarer than the other.")
    name = st.text_input("Registered model name", settings.model_name, key="train.model_name")
    return TrainSpec(table, kind, params, features, test, seed, folds, name, balance)


def results(settings, run_id: str, name: str, version: str) -> None:
    """Quality of a trained version on its test part, against the majority-class baseline, with
    a suggested threshold that the version's endpoints use."""
    evaluation = resources.evaluation(run_id, settings.tracking_uri)
    card = resources.run_card(run_id, settings.tracking_uri)
    if evaluation is None or card is None:
        st.info(f"{name} v{version} was not trained here, so there is no test evaluation to show.")
        return
    st.subheader(f"{name} · version {version}")
    positive, negative = card.positive_class, card.negative_class
    stored = decision_threshold(settings, run_id)
    slider_key = f"train.threshold.{run_id}"
    with st.expander("Suggest a threshold", icon=":material/tune:"):
        st.caption(f"The threshold is the probability from which the model answers '{positive}'. "
                   "By default opml picks the one with the best F1 (a balance of finding "
                   f"'{positive}' cases and being right when it says so). If a missed "
                   f"'{positive}' costs more than a false alarm, say how much more:")
        cost = st.number_input(f"A missed '{positive}' costs as much as this many false alarms",
                               0.0, 1000.0, 0.0, 1.0, key="train.missed_cost",
                               help="0 = use the best F1. E.g. 5: missing a subscriber costs as "
                                    "much as 5 calls to people who will not subscribe.")
        suggested = evaluation.suggested_threshold(cost or None)
        st.markdown(f"Suggested threshold: **{suggested:.2f}**"
                    + (f" (least cost with a miss = {cost:g} false alarms)" if cost else " (best F1)"))
        if st.button(f"Use {suggested:.2f} for this version's endpoints", key="train.use_threshold",
                     disabled=stored is not None and abs(stored - suggested) < 1e-9):
            set_decision_threshold(settings, run_id, suggested)
            st.session_state[slider_key] = min(max(round(suggested, 2), 0.01), 0.99)
            st.success(f"v{version} now says '{positive}' from {suggested:.2f}; deploy or update a "
                       "deployment to use it.", icon=":material/check_circle:")
            stored = suggested
    if slider_key not in st.session_state:
        st.session_state[slider_key] = min(max(round(stored if stored is not None else 0.5, 2), 0.01), 0.99)
    threshold = st.slider(f"Decision threshold: call it '{positive}' from this probability",
                          0.01, 0.99, step=0.01, key=slider_key,
                          help="Endpoints of this version use the stored threshold"
                               + (f" ({stored:.2f})." if stored is not None else " (0.5)."))
    point, baseline = evaluation.bins.at(threshold), evaluation.baseline()
    always = f"always '{positive if baseline.tp else negative}'"
    st.markdown(f"**{verdict(point, positive, baseline)}**")
    metric_row({"ROC AUC": f"{evaluation.roc_auc:.3f}", "PR AUC": f"{evaluation.pr_auc:.3f}",
                "Accuracy": f"{point.accuracy:.3f}", "Precision": f"{point.precision:.3f}",
                "Recall": f"{point.recall:.3f}", "F1": f"{point.f1:.3f}"},
               {"ROC AUC": "How well the model ranks positives above negatives: 0.5 is a coin "
                           "toss, 1.0 is perfect.",
                "PR AUC": f"Precision averaged over recall; guessing scores "
                          f"{evaluation.positive_rate:.2f} here.",
                "Accuracy": "Share of test rows answered right. With a rare outcome, always "
                            "giving the common answer already scores high: compare with the "
                            "baseline below it.",
                "Precision": f"Of the rows it calls '{positive}', the share that are.",
                "Recall": f"Of the real '{positive}' rows, the share it finds.",
                "F1": "One number balancing precision and recall (0 to 1)."},
               {"ROC AUC": "chance: 0.500", "PR AUC": f"chance: {evaluation.positive_rate:.3f}",
                "Accuracy": f"{always}: {baseline.accuracy:.3f}",
                "Precision": f"{always}: {baseline.precision:.3f}",
                "Recall": f"{always}: {baseline.recall:.3f}",
                "F1": f"{always}: {baseline.f1:.3f}"})
    if stored is not None and abs(stored - threshold) >= 0.005:
        st.caption(f"Endpoints of v{version} use the stored threshold {stored:.2f}; the slider "
                   "only explores.")
    if evaluation.cv:
        st.caption(f"{evaluation.cv['folds']}-fold cross-validation: ROC AUC "
                   f"{evaluation.cv['roc_auc_mean']:.3f} ± {evaluation.cv['roc_auc_std']:.3f}")
    left, right = st.columns(2)
    with left:
        plot(charts.roc_chart(evaluation.bins, evaluation.roc_auc, threshold), key="train.roc")
        plot(charts.confusion(point, card.positive_class, card.negative_class), key="train.cm")
    with right:
        plot(charts.pr_chart(evaluation.bins, evaluation.pr_auc, evaluation.positive_rate),
             key="train.pr")
        plot(charts.importances(evaluation.importances, card.display_names), key="train.imp")


def versions_section(settings) -> None:
    """Every version side by side, and aliases to mark champion and challenger."""
    with reporting():
        models = list_models(settings)
        if not models:
            empty_state("No registered model yet: train one above or submit one below.")
            return
        default = models.index(settings.model_name) if settings.model_name in models else 0
        name = st.selectbox("Registered model", models, index=default, key="train.versions_model")
        versions = list_versions(settings, name)
        rows = [version_summary(v) for v in versions]
        st.dataframe(rows, hide_index=True, key="train.versions_table")
        scored = [r for r in rows if r.get("roc_auc") is not None]
        if len(scored) > 1:
            plot(charts.versions_comparison(scored[:8]), key="train.versions_chart")
        left, mid, right = st.columns([1, 2, 2])
        version = left.selectbox("Version", [v.version for v in versions], key="train.alias_version")
        alias = mid.selectbox("Alias", [*SUGGESTED_ALIASES, "other…"], key="train.alias_choice")
        if alias == "other…":
            alias = mid.text_input("Alias name", key="train.alias_custom")
        right.write("")
        if right.button("Set alias", key="train.alias_set"):
            set_alias(settings, name, version, alias)
            st.success(f"{alias} now points at {name} v{version}.", icon=":material/check_circle:")
            st.rerun()
        held = [(a, v.version) for v in versions for a in v.aliases]
        if held and st.button(f"Remove alias {alias!r}", key="train.alias_remove",
                              disabled=alias not in [a for a, _ in held]):
            remove_alias(settings, name, alias)
            st.rerun()


def submit_section(settings) -> None:
    """Register a zipped MLflow model trained elsewhere, after checking it."""
    st.caption("Zip an MLflow model folder (the one holding the MLmodel file, with a signature) "
               "and upload it: opml checks that it loads and scores its own example, then "
               "registers it as a new version.")
    st.warning(trust_warning(settings), icon=":material/security:")
    upload = st.file_uploader("Zipped MLflow model", type=["zip"], key="train.submit_file")
    name = st.text_input("Register as", settings.model_name, key="train.submit_name")
    if st.button("Check and register", key="train.submit", disabled=upload is None):
        with reporting(), st.spinner("Checking the model…"):
            logged = submit_model_zip(settings, upload.getvalue(), upload.name, name)
            st.success(f"Registered {upload.name} as {logged.name} version {logged.version}.",
                       icon=":material/check_circle:")
