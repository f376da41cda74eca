"""Plotly figures for the Monitor page and its HTML report."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from opml_core.charts import NEGATIVE_COLOUR, NEUTRAL_COLOUR, POSITIVE_COLOUR, report_html

LEVEL_COLOURS = {"ok": "#2a9d8f", "warn": "#e9c46a", "alert": "#e76f51", "info": "#8d99ae"}
_LAYOUT = dict(margin=dict(l=40, r=20, t=50, b=40), height=340, template="plotly_white")


def usage_chart(usage) -> go.Figure:
    by_window: dict = {}
    for row in usage.per_window:
        entry = by_window.setdefault(row["window"], [0, 0, 0])
        entry[0] += row["requests"]
        entry[1] += row["rows"]
        entry[2] += row["errors"]
    windows = sorted(by_window)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=windows, y=[by_window[w][0] for w in windows], name="requests",
                         marker_color=NEUTRAL_COLOUR))
    fig.add_trace(go.Bar(x=windows, y=[by_window[w][1] for w in windows], name="rows scored",
                         marker_color="#a8dadc"))
    fig.add_trace(go.Scatter(x=windows, y=[by_window[w][2] / max(by_window[w][0], 1) for w in windows],
                             name="error rate", mode="lines+markers",
                             line=dict(color=NEGATIVE_COLOUR)), secondary_y=True)
    fig.update_yaxes(tickformat=".0%", secondary_y=True, rangemode="tozero")
    fig.update_layout(title="Requests over time", barmode="group", **_LAYOUT)
    return fig


def latency_chart(usage) -> go.Figure:
    fig = go.Figure()
    for version in usage.versions:
        rows = [r for r in usage.per_window if r["version"] == version]
        for key, dash in (("p50_ms", None), ("p95_ms", "dot")):
            fig.add_trace(go.Scatter(x=[r["window"] for r in rows], y=[r[key] for r in rows],
                                     name=f"v{version} {key[:3]}", mode="lines+markers",
                                     line=dict(dash=dash)))
    fig.update_layout(title="Server latency (ms)", yaxis_rangemode="tozero", **_LAYOUT)
    return fig


def drift_heatmap(result, method: str = "psi") -> go.Figure:
    values = [v for v in result.values if v.method == method and v.window is not None]
    features = sorted({v.feature for v in values},
                      key=lambda f: -max((v.value for v in values if v.feature == f), default=0))
    windows = sorted({v.window for v in values})
    lookup = {(v.feature, v.window): v for v in values}
    z = [[lookup[(f, w)].value if (f, w) in lookup else None for w in windows] for f in features]
    text = [[f"{lookup[(f, w)].value:.3g}" if (f, w) in lookup else "" for w in windows] for f in features]
    chosen = next(m for m in result.methods if m.key == method)
    warn, alert = result.thresholds.get(method, (chosen.warn, chosen.alert))
    scale = [[0, LEVEL_COLOURS["ok"]], [0.5, LEVEL_COLOURS["warn"]], [1, LEVEL_COLOURS["alert"]]]
    if not chosen.higher_is_worse:
        scale = [[0, LEVEL_COLOURS["alert"]], [0.5, LEVEL_COLOURS["warn"]], [1, LEVEL_COLOURS["ok"]]]
    fig = go.Figure(go.Heatmap(z=z, x=[w.strftime("%Y-%m-%d %H:%M") for w in windows], y=features,
                               text=text, texttemplate="%{text}", colorscale=scale,
                               zmin=min(warn, alert) / 2, zmax=max(warn, alert) * 1.5,
                               colorbar=dict(title=chosen.name[:18])))
    fig.update_layout(title=f"Drift by feature and window: {chosen.name}",
                      **{**_LAYOUT, "height": 120 + 26 * len(features)})
    return fig


def distribution_overlay(result, feature: str, window=None) -> go.Figure:
    labels, reference, current = result.shares[(feature, window)]
    when = "the whole period" if window is None else f"the window from {window:%Y-%m-%d %H:%M}"
    fig = go.Figure([go.Bar(x=labels, y=reference, name="training", marker_color=NEUTRAL_COLOUR),
                     go.Bar(x=labels, y=current, name=when, marker_color=NEGATIVE_COLOUR)])
    fig.update_layout(title=f"{feature}: training vs {when}", barmode="group",
                      yaxis_tickformat=".0%", **_LAYOUT)
    return fig


def performance_chart(performance, metric: str = "roc_auc") -> go.Figure:
    windows = [w["window"] for w in performance.per_window]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=windows, y=[w["labelled"] for w in performance.per_window],
                         name="labelled rows", marker_color="#dee2e6"), secondary_y=True)
    for key, name, dash in (("estimated", "estimated", "dash"), ("realized", "realized", None)):
        fig.add_trace(go.Scatter(x=windows, y=[w[key][metric] if w[key] else None
                                               for w in performance.per_window],
                                 name=name, mode="lines+markers", line=dict(dash=dash)))
    reference = performance.reference.get(metric)
    if reference is not None:
        fig.add_hline(y=reference, line_dash="dot", line_color="grey",
                      annotation_text=f"training {reference:.3f}")
    fig.update_layout(title=f"{metric.replace('_', ' ').upper() if metric == 'roc_auc' else metric.title()} "
                            "over time", **_LAYOUT)
    return fig


def classifier_chart(result) -> go.Figure:
    windows = [v.window for v in result.windows]
    fig = go.Figure(go.Scatter(x=windows, y=[v.auc for v in result.windows], mode="lines+markers",
                               name="drift classifier AUC", line=dict(color=NEGATIVE_COLOUR)))
    fig.add_trace(go.Scatter(x=windows + windows[::-1],
                             y=[v.band[1] for v in result.windows] + [v.band[0] for v in result.windows][::-1],
                             fill="toself", fillcolor="rgba(128,128,128,0.2)", line=dict(width=0),
                             name="chance (shuffled labels)", hoverinfo="skip"))
    fig.update_layout(title="How easily production rows are told from training rows",
                      yaxis_range=[0.4, 1.0], **_LAYOUT)
    return fig


def ranking_chart(result, top: int = 12) -> go.Figure:
    names = list(result.importances)[:top][::-1]
    fig = go.Figure([go.Bar(y=names, x=[result.importances[n] for n in names], orientation="h",
                            name="gives the window away", marker_color=NEUTRAL_COLOUR),
                     go.Bar(y=names, x=[result.impact.get(n, 0) for n in names], orientation="h",
                            name="impact (× model importance)", marker_color=POSITIVE_COLOUR)])
    fig.update_layout(title="Which features drift, and which drift matters", barmode="group",
                      xaxis_tickformat=".0%", **{**_LAYOUT, "height": 120 + 34 * len(names)})
    return fig


def monitor_html(report) -> str:
    """The whole report as one self-contained HTML page."""
    figures = [usage_chart(report.usage), latency_chart(report.usage)]
    if report.drift is not None:
        figures.append(drift_heatmap(report.drift))
        for ranked in report.drift.ranking()[:3]:
            figures.append(distribution_overlay(report.drift, ranked.feature))
    if report.performance is not None and report.performance.per_window:
        figures.append(performance_chart(report.performance))
    if report.classifier is not None:
        figures += [classifier_chart(report.classifier), ranking_chart(report.classifier)]
    cards = "".join(f"<p style='font-family:sans-serif;border-left:6px solid "
                    f"{LEVEL_COLOURS.get(c.level, '#999')};padding-left:8px'><b>{c.title}</b>: "
                    f"{c.sentence}</p>" for c in report.cards)
    notes = "".join(f"<p style='font-family:sans-serif'><i>{n}</i></p>" for n in report.notes)
    intro = (f"Deployment {report.deployment}, windows of {report.window}, generated "
             f"{report.generated_at}.</p>{cards}{notes}<p>")
    return report_html(f"Monitoring report — {report.deployment}", figures, intro)
