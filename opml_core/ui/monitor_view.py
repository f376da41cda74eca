"""The Monitor page's sections: controls, status cards, usage, performance, drift, classifier."""

from __future__ import annotations

import streamlit as st

from opml_core.access import BUILDER, OPERATOR
from opml_core.monitor import charts
from opml_core.monitor.cards import split_findings
from opml_core.monitor.classifier import MIN_ROWS as MIN_CLASSIFIER_ROWS
from opml_core.monitor.export import monitor_html
from opml_core.monitor.labels import add_labels_file, reveal_outcomes
from opml_core.monitor.methods import METHODS, blank_reason
from opml_core.ui import resources
from opml_core.ui.access_view import role_help
from opml_core.ui.feedback import reporting
from opml_core.ui.progress import run_with_progress
from opml_core.ui.widgets import metric_row, plot

SHOW = {"ok": st.success, "warn": st.warning, "alert": st.error, "info": st.info}
ICONS = {"ok": ":material/check_circle:", "warn": ":material/warning:",
         "alert": ":material/error:", "info": ":material/info:"}


def thresholds_editor() -> dict[str, tuple[float, float]]:
    with st.expander("Thresholds"):
        rows = [{"method": m.name, "key": m.key, "warn at": m.warn, "alert at": m.alert,
                 "worse when": "higher" if m.higher_is_worse else "lower"} for m in METHODS.values()]
        edited = st.data_editor(rows, hide_index=True, key="monitor.thresholds",
                                disabled=["method", "key", "worse when"])
    return {row["key"]: (float(row["warn at"]), float(row["alert at"])) for row in edited}


def cards(report) -> None:
    """The cards' headlines in a row; under it, full-width, the findings the cards name."""
    columns = st.columns(len(report.cards))
    for column, card in zip(columns, report.cards):
        with column:
            SHOW.get(card.level, st.info)(f"**{card.title}** — {card.headline}", icon=ICONS.get(card.level))
    for card in report.cards:
        if card.items:
            findings(card)
    for note in report.notes:
        st.caption(note)


def findings(card) -> None:
    """The first few findings (those the model relies on most), grouped, each a link to its chart
    on the Drift tab; the rest in an expander."""
    split = split_findings(card)
    with st.container(border=True, key=f"monitor.findings.{card.title.lower().replace(' ', '_')}"):
        st.markdown(f"{ICONS.get(card.level, '')} **{card.title}: what changed** "
                    "(each links to its chart on the Drift tab)")
        _grouped_links(split.first)
        if split.rest:
            with st.expander(f"{split.hidden} more"):
                _grouped_links(split.rest)


def _grouped_links(groups) -> None:
    for group, items in groups:
        st.markdown(f"**{group}**\n\n" + "\n".join(f"- [{_md(item.text)}](#{item.anchor})" for item in items))


def _md(text: str) -> str:
    """Text shown as is inside a markdown link (no LaTeX, no nested brackets)."""
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("[", "\\[").replace("]", "\\]")


def usage(report) -> None:
    summary = report.usage
    metric_row({"Requests": f"{summary.requests:,}", "Rows scored": f"{summary.rows:,}",
                "Failed": f"{summary.error_rate:.1%}", "Versions": ", ".join(summary.versions)})
    plot(charts.usage_chart(summary), key="monitor.usage_chart")
    plot(charts.latency_chart(summary), key="monitor.latency_chart")
    if summary.top_errors:
        st.dataframe([{"error": e, "requests": n} for e, n in summary.top_errors], hide_index=True)


def problem(report, section: str) -> bool:
    """Show why a section is missing, in its own place; True when it is."""
    if section in report.problems:
        st.warning(report.problems[section], icon=":material/warning:")
        return True
    return False


def performance(settings, report, deployment: str) -> None:
    result = report.performance
    if problem(report, "performance"):
        return
    if result is None:
        st.info("Performance needs the model's training data; see the notes above.")
        return
    metric = st.selectbox("Metric", ["roc_auc", "accuracy", "precision", "recall", "f1"],
                          format_func=lambda m: "ROC AUC" if m == "roc_auc" else m.title(),
                          key="monitor.metric")
    plot(charts.performance_chart(result, metric), key="monitor.performance_chart")
    st.caption(f"{result.labelled:,} rows have known outcomes. Dashed: estimated from the model's "
               "confidence (calibrated on its test part); solid: measured on labelled rows; "
               "shaded: 95% bands.")
    warning = result.unreliable_warning()
    if warning:
        st.warning(warning, icon=":material/warning:")
    for note in result.notes:
        st.caption(note)
    _labels(settings, report, deployment)


def _labels(settings, report, deployment: str) -> None:
    st.markdown("**Add outcomes**")
    left, right = st.columns(2)
    refused = role_help(BUILDER)
    if left.button("Reveal the actual outcomes (simulated traffic)", key="monitor.reveal",
                   disabled=refused is not None, help=refused):
        with reporting():
            done = run_with_progress("Revealing outcomes", lambda progress: reveal_outcomes(
                resources.spark(), settings, deployment), spark=resources.spark())
            st.success(done.message, icon=":material/check_circle:")
    with right:
        upload = st.file_uploader("Labels file (CSV)", type=["csv"], key="monitor.labels_file",
                                  disabled=refused is not None, help=refused)
        if upload is not None:
            header = upload.getvalue().split(b"\n", 1)[0].decode("utf-8", "replace")
            delimiter = ";" if header.count(";") > header.count(",") else ","
            names = [h.strip().strip('"') for h in header.split(delimiter)]
            key = st.selectbox("Key column (request_id or a field the requests carried)", names,
                               key="monitor.labels_key")
            outcome = st.selectbox("Outcome column", names, index=len(names) - 1,
                                   key="monitor.labels_outcome")
            if st.button("Add these outcomes", key="monitor.labels_go"):
                card = report.model.card
                with reporting():
                    done = add_labels_file(resources.spark(), settings, deployment, upload.getvalue(),
                                           upload.name, key, outcome,
                                           (card.positive_class, card.negative_class))
                    st.success(done.message, icon=":material/check_circle:")


def drift(report) -> None:
    result = report.drift
    if problem(report, "drift"):
        return
    if result is None:
        st.info("Drift needs the model's training data; see the notes above.")
        return
    method = st.selectbox("Heatmap of", [m.key for m in result.methods],
                          format_func=lambda k: METHODS[k].name, key="monitor.method")
    plot(result.plot("heatmap", method=method), key="monitor.heatmap")
    st.caption(METHODS[method].description)
    whole = result.table()
    st.markdown("**Over the whole period** (p-values: tiny means a real change)")
    shown = whole.rename(columns={k: METHODS[k].name for k in whole.columns if k in METHODS})
    shown.index = shown.index.rename("feature")
    st.dataframe(_with_blanks(shown.style.format(precision=3), whole, result.kinds()),
                 key="monitor.drift_table",
                 column_config={METHODS[k].name: st.column_config.NumberColumn(
                     METHODS[k].name, help=METHODS[k].description)
                     for k in whole.columns if k in METHODS})
    st.caption("Thresholds (warn / alert): " + "; ".join(
        f"{m.name} {result.thresholds.get(m.key, (m.warn, m.alert))[0]:g} / "
        f"{result.thresholds.get(m.key, (m.warn, m.alert))[1]:g}" for m in result.methods))
    left, right = st.columns(2)
    feature = left.selectbox("Compare training with production for", list(whole.index),
                             key="monitor.overlay_feature")
    windows = [None, *result.windows]
    window = right.selectbox("Window", windows, key="monitor.overlay_window",
                             format_func=lambda w: "whole period" if w is None else f"{w:%Y-%m-%d %H:%M}")
    plot(result.plot("overlay", feature=feature, window=window), key="monitor.overlay")
    drift_card = next((c for c in report.cards if c.title == "Drift" and c.items), None)
    if drift_card is not None:
        st.markdown("**The features on the Drift card**, training vs the whole period")
        for item in drift_card.items:
            st.subheader(item.feature, anchor=item.anchor, divider=False)
            st.caption(item.text)
            plot(result.plot("overlay", feature=item.feature), key=f"monitor.card_overlay.{item.anchor}")


def _with_blanks(styled, whole, kinds: dict[str, str]):
    """Empty cells say why: the statistic is not for the feature's kind, or too little data."""
    for key in [k for k in whole.columns if k in METHODS]:
        reasons: dict[str, list] = {}
        for feature in whole.index:
            reasons.setdefault(blank_reason(key, kinds.get(feature, "")), []).append(feature)
        for reason, features in reasons.items():
            styled = styled.format(precision=3, na_rep=reason, subset=(features, [METHODS[key].name]))
    return styled


def classifier(report) -> None:
    result = report.classifier
    if problem(report, "classifier"):
        return
    if result is None:
        st.info("Switch on 'Run the drift classifier' above: it trains a small model per window to "
                "tell production rows from training rows (about a minute for a few windows).")
        return
    if result.too_little:
        st.caption(f"{len(result.too_little)} window(s) had too little data for the classifier "
                   f"(fewer than {MIN_CLASSIFIER_ROWS} rows) and are left out.")
    if not result.windows:
        return
    plot(charts.classifier_chart(result), key="monitor.classifier_chart")
    plot(charts.ranking_chart(result), key="monitor.ranking_chart")


def export(report) -> None:
    """The whole report as one HTML file, built only when the button is pressed (it is large)."""
    st.download_button("Download the report (HTML, opens offline)", lambda: monitor_html(report),
                       f"monitor-{report.deployment}.html", "text/html", key="monitor.download")


def alerts(settings, report) -> None:
    """Where alerts go: a Teams or Slack incoming webhook, kept in the workspace."""
    from opml_core.monitor.alerts import DEFAULT, save_webhook, saved_webhook, send_cards_now

    with st.expander("Alerts to Teams or Slack"):
        saved = saved_webhook(settings.workspace, report.deployment)
        st.caption("`monitor` (CLI, e.g. from cron) posts the cards to this incoming webhook when "
                   "a threshold is crossed. " + ("A hook is saved." if saved else "No hook saved yet."))
        url = st.text_input("Incoming webhook URL", type="password", key="monitor.webhook_url",
                            placeholder="https://hooks.slack.com/services/… or https://….webhook.office.com/…")
        scope = st.radio("For", ["this deployment", "every deployment"], horizontal=True,
                         key="monitor.webhook_scope")
        left, middle, right = st.columns(3)
        target = report.deployment if scope == "this deployment" else DEFAULT
        refused = role_help(OPERATOR)
        if left.button("Save the hook", key="monitor.webhook_save", disabled=not url or refused is not None,
                       help=refused):
            with reporting():
                save_webhook(settings.workspace, url, target)
                st.success("Saved: alerts will be posted there.", icon=":material/check_circle:")
        typed_but_refused = bool(url) and refused is not None  # only operators post to a new URL
        if middle.button("Send these cards now", key="monitor.webhook_send",
                         disabled=not (url or saved) or (typed_but_refused and not saved),
                         help=refused if typed_but_refused else None):
            with reporting():
                done = send_cards_now(settings.workspace, report, None if typed_but_refused else url)
                st.success(done.reason, icon=":material/check_circle:")
        if right.button("Forget the hook", key="monitor.webhook_forget",
                        disabled=not saved or refused is not None, help=refused):
            with reporting():
                save_webhook(settings.workspace, None, target)
                st.success("Forgotten.", icon=":material/check_circle:")
