"""The Monitor page as one HTML file that opens offline: every card, table and chart on the page.

``monitor_html(report)`` lays out the status cards (each card's findings as grouped lists, every
one a link to its chart, none folded away), notes and sections that could not be computed, usage
(requests, latency, errors), performance (every metric, realized and estimated), drift (a
heatmap per method, the whole-period table of every statistic with its p-values and thresholds,
each card feature's training-vs-production chart) and the drift classifier. plotly.js is
embedded once, so nothing is fetched when it opens.
"""

from __future__ import annotations

import html

from opml_core.monitor import charts
from opml_core.monitor.methods import TOO_LITTLE, blank_reason
from opml_core.monitor.performance import METRICS

_STYLE = ("<style>body{font-family:sans-serif;margin:24px}table{border-collapse:collapse;"
          "font-size:13px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}"
          "th{background:#f4f4f4}h2{margin-top:36px}.card{border-left:6px solid;padding-left:8px}"
          "</style>")


def monitor_html(report) -> str:
    """The whole report as one self-contained HTML page."""
    title = f"Monitoring report — {report.deployment}"
    intro = (f"<p>Deployment {_e(report.deployment)}, windows of {_e(report.window)}, generated "
             f"{_e(report.generated_at)}.</p>")
    blocks = [intro, *map(_card, report.cards)]
    blocks += [f"<p><i>{_e(note)}</i></p>" for note in report.notes]
    blocks += _usage(report) + _performance(report) + _drift(report) + _classifier(report)
    parts, first = [], True
    for block in blocks:
        if isinstance(block, str):
            parts.append(block)
        else:
            parts.append(block.to_html(full_html=False, include_plotlyjs=first))
            first = False
    return (f"<html><head><meta charset='utf-8'><title>{_e(title)}</title>{_STYLE}</head><body>"
            f"<h1>{_e(title)}</h1>\n" + "\n".join(parts) + "</body></html>")


def _card(card) -> str:
    """The card's headline, then its findings as grouped lists, each a link to its chart."""
    colour = charts.LEVEL_COLOURS.get(card.level, "#999")
    lists = "".join(
        f"<p>{_e(group)}:</p><ul>" + "".join(f"<li><a href='#{item.anchor}'>{_e(item.text)}</a></li>"
                                             for item in card.items if item.group == group) + "</ul>"
        for group in dict.fromkeys(item.group for item in card.items))
    return (f"<div class='card' style='border-color:{colour}'><p><b>{_e(card.title)}</b>: "
            f"{_e(card.headline)}</p>{lists}</div>")


def _usage(report) -> list:
    usage = report.usage
    blocks = ["<h2>Usage</h2>", charts.usage_chart(usage), charts.latency_chart(usage)]
    if usage.top_errors:
        blocks.append(_table(["error", "requests"], usage.top_errors))
    return blocks


def _performance(report) -> list:
    blocks = ["<h2>Performance</h2>"]
    if "performance" in report.problems:
        return blocks + [f"<p>{_e(report.problems['performance'])}</p>"]
    result = report.performance
    if result is None or not result.per_window:
        return blocks + ["<p>Performance needs the model's training data; see the notes.</p>"]
    warning = result.unreliable_warning()
    if warning:
        blocks.append(f"<p class='card' style='border-color:{charts.LEVEL_COLOURS['warn']}'>"
                      f"{_e(warning)}</p>")
    blocks += [charts.performance_chart(result, metric) for metric in METRICS]
    blocks += [f"<p><i>{_e(note)}</i></p>" for note in result.notes]
    return blocks


def _drift(report) -> list:
    blocks = ["<h2>Drift</h2>"]
    if "drift" in report.problems:
        return blocks + [f"<p>{_e(report.problems['drift'])}</p>"]
    result = report.drift
    if result is None:
        return blocks + ["<p>Drift needs the model's training data; see the notes.</p>"]
    for method in result.methods:
        blocks += [result.plot("heatmap", method=method.key), f"<p>{_e(method.description)}</p>"]
    whole = result.table()
    names = {m.key: m.name for m in result.methods}
    kinds = result.kinds()
    rows = [[feature, *[_value(whole.at[feature, c], blank_reason(c, kinds.get(feature, "")))
                        for c in whole.columns]] for feature in whole.index]
    blocks += ["<h3>Over the whole period</h3>",
               _table(["feature", *[names.get(c, c) for c in whole.columns]], rows),
               _table(["method", "warn at", "alert at", "worse when"], [
                   [m.name, *result.thresholds.get(m.key, (m.warn, m.alert)),
                    "higher" if m.higher_is_worse else "lower"] for m in result.methods])]
    card = next((c for c in report.cards if c.title == "Drift" and c.items), None)
    shown = [item.feature for item in card.items] if card else []
    shown += [v.feature for v in result.ranking()[:3] if v.feature not in shown]
    for feature in shown:
        blocks += [f"<h3 id='{charts_anchor(feature)}'>{_e(feature)}</h3>",
                   result.plot("overlay", feature=feature)]
    return blocks


def _classifier(report) -> list:
    if "classifier" in report.problems:
        return ["<h2>Drift classifier</h2>", f"<p>{_e(report.problems['classifier'])}</p>"]
    result = report.classifier
    if result is None:
        return []
    blocks = ["<h2>Drift classifier</h2>"]
    if result.windows:
        blocks += [charts.classifier_chart(result), charts.ranking_chart(result),
                   _table(["window", "AUC", "chance up to", "rows"],
                          [[f"{v.window:%Y-%m-%d %H:%M}", v.auc, v.band[1], v.rows] for v in result.windows])]
    if result.too_little:
        blocks.append(f"<p>{len(result.too_little)} window(s) had too little data for the classifier.</p>")
    return blocks


def charts_anchor(feature: str) -> str:
    from opml_core.monitor.cards import chart_anchor

    return chart_anchor(feature)


def _value(value, blank: str = TOO_LITTLE) -> str:
    """A cell's text; ``blank`` says why a missing value is missing."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) or (hasattr(value, "is_integer") and not isinstance(value, float)):
        return f"{int(value):,}"
    if value != value:
        return blank
    return f"{value:.3g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"


def _table(header: list, rows: list) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(_value(c) if not isinstance(c, str) else c)}</td>"
                                    for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _e(text) -> str:
    return html.escape(str(text), quote=True)
