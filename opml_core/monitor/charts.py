"""Plotly figures for the Monitor page and its HTML report (``export.monitor_html``)."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from opml_core.charts import NEGATIVE_COLOUR, NEUTRAL_COLOUR, POSITIVE_COLOUR
from opml_core.monitor.methods import TOO_LITTLE

LEVEL_COLOURS = {"ok": "#2a9d8f", "warn": "#e9c46a", "alert": "#e76f51", "info": "#8d99ae"}
TEXT_WINDOWS = 40  # more windows than this: heatmap cells too narrow for their numbers
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
    """Feature × window; a window with too little data for the method is a blank, labelled cell.

    Cells carry their value as text only while they are wide enough to read (up to
    ``TEXT_WINDOWS`` windows); the value is always in the hover.
    """
    values = [v for v in result.values if v.method == method and v.window is not None]
    features = sorted({v.feature for v in values},
                      key=lambda f: -max((v.value for v in values if v.feature == f and v.value == v.value),
                                         default=0))
    windows = sorted({v.window for v in values})
    lookup = {(v.feature, v.window): v for v in values}
    z = [[_cell(lookup.get((f, w))) for w in windows] for f in features]
    hover = [[_cell_text(lookup.get((f, w))) for w in windows] for f in features]
    text = [[h if h != TOO_LITTLE else "—" for h in row] for row in hover]
    chosen = next(m for m in result.methods if m.key == method)
    warn, alert = result.thresholds.get(method, (chosen.warn, chosen.alert))
    scale = [[0, LEVEL_COLOURS["ok"]], [0.5, LEVEL_COLOURS["warn"]], [1, LEVEL_COLOURS["alert"]]]
    if not chosen.higher_is_worse:
        scale = [[0, LEVEL_COLOURS["alert"]], [0.5, LEVEL_COLOURS["warn"]], [1, LEVEL_COLOURS["ok"]]]
    z, text, hover = z[::-1], text[::-1], hover[::-1]  # plotly draws the first row at the bottom
    fig = go.Figure(go.Heatmap(z=z, x=[_window_label(w, result.window_size) for w in windows],
                               y=features[::-1], text=text, customdata=hover, colorscale=scale,
                               xgap=1, ygap=1,
                               texttemplate="%{text}" if len(windows) <= TEXT_WINDOWS else None,
                               hovertemplate="%{y}, %{x}: %{customdata}<extra></extra>",
                               zmin=min(warn, alert) / 2, zmax=max(warn, alert) * 1.5,
                               colorbar=dict(title=chosen.name[:18])))
    fig.update_layout(title=f"Drift by feature and window: {chosen.name} (— too little data)",
                      **{**_LAYOUT, "height": 140 + 26 * len(features)})
    fig.update_xaxes(type="category", nticks=min(len(windows), 20), tickangle=-45)
    return fig


def _cell(value):
    return None if value is None or value.value != value.value else value.value


def _cell_text(value) -> str:
    if value is None:
        return ""
    return TOO_LITTLE if value.value != value.value else f"{value.value:.3g}"


def _window_label(window, size: str) -> str:
    return f"{window:%Y-%m-%d}" if size and not size.endswith("h") else f"{window:%Y-%m-%d %H:%M}"


def distribution_overlay(result, feature: str, window=None) -> go.Figure:
    """Training vs production shares of a feature's PSI bins or categories."""
    labels, reference, current = result.shares[(feature, window)]
    when = "the whole period" if window is None else f"the window from {window:%Y-%m-%d %H:%M}"
    fig = go.Figure([go.Bar(x=labels, y=reference, name="training", marker_color=NEUTRAL_COLOUR),
                     go.Bar(x=labels, y=current, name=when, marker_color=NEGATIVE_COLOUR)])
    fig.update_layout(title=f"{feature}: training vs {when}", barmode="group",
                      yaxis_tickformat=".0%", **_LAYOUT)
    return fig


def performance_chart(performance, metric: str = "roc_auc") -> go.Figure:
    """Realized and estimated values per window, each with its 95% band; estimates that failed
    their assumption check are drawn as crosses and say why in the hover."""
    rows = performance.per_window
    windows = [w["window"] for w in rows]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=windows, y=[w["labelled"] for w in rows],
                         name="labelled rows", marker_color="#dee2e6"), secondary_y=True)
    for key, name, dash, colour in (("estimated", "estimated", "dash", NEUTRAL_COLOUR),
                                    ("realized", "realized", None, POSITIVE_COLOUR)):
        band = [w.get(f"{key}_band") for w in rows]
        low = [b[metric][0] if b else None for b in band]
        high = [b[metric][1] if b else None for b in band]
        fig.add_trace(go.Scatter(x=windows + windows[::-1], y=high + low[::-1], fill="toself",
                                 line=dict(width=0), fillcolor=_faint(colour), hoverinfo="skip",
                                 name=f"{name}: 95% band"))
        symbols = ["x" if key == "estimated" and w.get("unreliable") else "circle" for w in rows]
        notes = [f"unreliable: {w['unreliable']}" if key == "estimated" and w.get("unreliable")
                 else "too little data" if w.get("too_little") else "" for w in rows]
        fig.add_trace(go.Scatter(x=windows, y=[w[key][metric] if w[key] else None for w in rows],
                                 name=name, mode="lines+markers", line=dict(dash=dash, color=colour),
                                 marker=dict(symbol=symbols, size=8), text=notes,
                                 hovertemplate="%{x}: %{y:.3f} %{text}<extra>" + name + "</extra>"))
    reference = performance.reference.get(metric)
    if reference is not None:
        fig.add_hline(y=reference, line_dash="dot", line_color="grey",
                      annotation_text=f"training {reference:.3f}")
    fig.update_yaxes(rangemode="tozero", secondary_y=True, title_text="labelled rows")
    label = "ROC AUC" if metric == "roc_auc" else metric.title()
    fig.update_layout(title=f"{label} over time (× an estimate that failed its check)", **_LAYOUT)
    return fig


def _faint(colour: str) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},0.15)"


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
