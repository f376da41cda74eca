"""Plotly figures for profiles and model quality, shared by the app and MLflow reports.

Each function takes one of opml's small records and returns a ``plotly.graph_objects.Figure``
with readable titles; ``report_html`` bundles figures into one self-contained HTML page.
"""

from __future__ import annotations

import plotly.graph_objects as go

from opml_core.data.profile import ColumnProfile
from opml_core.evaluation import ScoreBins, ThresholdMetrics

POSITIVE_COLOUR, NEGATIVE_COLOUR, NEUTRAL_COLOUR = "#2a9d8f", "#e76f51", "#457b9d"
_LAYOUT = dict(margin=dict(l=40, r=20, t=50, b=40), height=320, template="plotly_white")


def distribution(column: ColumnProfile) -> go.Figure:
    """Histogram of a numeric column or bar chart of a categorical column's top values."""
    if column.histogram and not column.levels:
        mids = [(lo + hi) / 2 for lo, hi, _ in column.histogram]
        widths = [hi - lo for lo, hi, _ in column.histogram]
        counts = [c for _, _, c in column.histogram]
        fig = go.Figure(go.Bar(x=mids, y=counts, width=widths, marker_color=NEUTRAL_COLOUR,
                               hovertemplate="%{x:.3g}: %{y:,} rows<extra></extra>"))
    else:
        values = [v for v, _ in column.levels]
        counts = [c for _, c in column.levels]
        colours = [NEGATIVE_COLOUR if v.lower() == "unknown" else NEUTRAL_COLOUR for v in values]
        fig = go.Figure(go.Bar(x=values, y=counts, marker_color=colours,
                               hovertemplate="%{x}: %{y:,} rows<extra></extra>"))
    fig.update_layout(title=column.display, yaxis_title="rows", **_LAYOUT)
    return fig


def target_balance(levels: list[tuple[str, int]], positive: str | None, name: str) -> go.Figure:
    """How often each outcome occurs; the positive class highlighted."""
    total = sum(c for _, c in levels) or 1
    fig = go.Figure(go.Bar(
        x=[v for v, _ in levels], y=[c for _, c in levels],
        text=[f"{c / total:.1%}" for _, c in levels], textposition="auto",
        marker_color=[POSITIVE_COLOUR if v == positive else NEGATIVE_COLOUR for v, _ in levels]))
    fig.update_layout(title=f"Outcome balance: {name}", yaxis_title="rows", **_LAYOUT)
    return fig


def roc_chart(bins: ScoreBins, auc: float, threshold: float | None = None) -> go.Figure:
    fpr, tpr = bins.roc_curve()
    fig = go.Figure(go.Scatter(x=fpr, y=tpr, mode="lines", name=f"model (AUC {auc:.3f})",
                               line=dict(color=POSITIVE_COLOUR)))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="coin toss",
                             line=dict(dash="dot", color="grey")))
    if threshold is not None:
        point = bins.at(threshold)
        negatives = point.fp + point.tn or 1
        fig.add_trace(go.Scatter(x=[point.fp / negatives], y=[point.recall], mode="markers",
                                 name=f"threshold {threshold:.2f}", marker=dict(size=11)))
    fig.update_layout(title="ROC curve", xaxis_title="false positive rate",
                      yaxis_title="true positive rate (recall)", **_LAYOUT)
    return fig


def pr_chart(bins: ScoreBins, auc: float, base_rate: float) -> go.Figure:
    recall, precision = bins.pr_curve()
    fig = go.Figure(go.Scatter(x=recall, y=precision, mode="lines", name=f"model (AUC {auc:.3f})",
                               line=dict(color=POSITIVE_COLOUR)))
    fig.add_trace(go.Scatter(x=[0, 1], y=[base_rate, base_rate], mode="lines",
                             name="guessing", line=dict(dash="dot", color="grey")))
    fig.update_layout(title="Precision–recall curve", xaxis_title="recall",
                      yaxis_title="precision", **_LAYOUT)
    return fig


def confusion(metrics: ThresholdMetrics, positive: str, negative: str) -> go.Figure:
    z = [[metrics.tn, metrics.fp], [metrics.fn, metrics.tp]]
    labels = [f"predicted {negative}", f"predicted {positive}"]
    fig = go.Figure(go.Heatmap(z=z, x=labels, y=[f"actually {negative}", f"actually {positive}"],
                               colorscale="Blues", showscale=False,
                               text=[[f"{v:,}" for v in row] for row in z],
                               texttemplate="%{text}"))
    fig.update_layout(title=f"Confusion matrix at threshold {metrics.threshold:.2f}", **_LAYOUT)
    return fig


def importances(values: dict[str, float], display: dict[str, str], top: int = 15) -> go.Figure:
    items = list(values.items())[:top][::-1]
    fig = go.Figure(go.Bar(x=[v for _, v in items], y=[display.get(k, k) for k, _ in items],
                           orientation="h", marker_color=NEUTRAL_COLOUR,
                           hovertemplate="%{y}: %{x:.1%}<extra></extra>"))
    fig.update_layout(title="What the model relies on (share of importance)",
                      xaxis_tickformat=".0%", **{**_LAYOUT, "height": 60 + 24 * len(items)})
    return fig


def versions_comparison(rows: list[dict], metrics: tuple[str, ...] = ("roc_auc", "pr_auc", "f1")) -> go.Figure:
    """Grouped bars: one group per metric, one bar per model version."""
    fig = go.Figure()
    for row in rows:
        fig.add_trace(go.Bar(name=f"v{row['version']}", x=list(metrics),
                             y=[row.get(m) for m in metrics]))
    fig.update_layout(title="Versions side by side", barmode="group", yaxis_range=[0, 1], **_LAYOUT)
    return fig


def explanation_waterfall(explanation: dict, positive: str | None, top: int = 10) -> go.Figure:
    """From the model's average answer, each input's push up or down to this row's answer."""
    ranked = list(explanation["contributions"].items())
    shown, rest = ranked[:top], ranked[top:]
    probability = explanation["scale"] == "probability"
    scale = 100.0 if probability else 1.0
    names = [name for name, _ in shown] + ([f"{len(rest)} other inputs"] if rest else [])
    values = [v * scale for _, v in shown] + ([sum(v for _, v in rest) * scale] if rest else [])
    start = explanation["baseline"] * scale
    unit = "%" if probability else ""
    fig = go.Figure(go.Waterfall(
        orientation="h", measure=["absolute", *["relative"] * len(values), "total"],
        y=["average answer", *names, "this answer"], x=[start, *values, 0],
        text=[f"{start:.1f}{unit}", *[f"{v:+.2f}{unit}" for v in values], ""],
        textposition="outside", connector={"line": {"color": "#ccc"}},
        increasing={"marker": {"color": "#e76f51"}}, decreasing={"marker": {"color": "#2a9d8f"}},
        totals={"marker": {"color": "#264653"}}))
    axis = f"P({positive or 'positive'}) in %" if probability else f"log-odds of '{positive or 'positive'}'"
    fig.update_layout(height=120 + 28 * (len(values) + 2), margin=dict(l=10, r=40, t=30, b=40),
                      xaxis_title=axis, yaxis={"autorange": "reversed"}, showlegend=False,
                      title="How each input moved the answer")
    return fig


def report_html(title: str, figures: list[go.Figure], intro: str = "") -> str:
    """One self-contained HTML page holding every figure (plotly.js embedded once)."""
    parts = [f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>",
             f"<h1 style='font-family:sans-serif'>{title}</h1>",
             f"<p style='font-family:sans-serif'>{intro}</p>"]
    for index, fig in enumerate(figures):
        parts.append(fig.to_html(full_html=False, include_plotlyjs=index == 0))
    parts.append("</body></html>")
    return "\n".join(parts)


def training_report(card, estimator: str, evaluation, threshold: float = 0.5) -> str:
    """The HTML report logged with a training run: curves, confusion matrix, importances."""
    figures = [
        roc_chart(evaluation.bins, evaluation.roc_auc, threshold),
        pr_chart(evaluation.bins, evaluation.pr_auc, evaluation.positive_rate),
        confusion(evaluation.bins.at(threshold), card.positive_class, card.negative_class),
        importances(evaluation.importances, card.display_names),
    ]
    intro = (f"{estimator} trained on {card.table} ({evaluation.train_rows:,} rows) to predict "
             f"{card.display(card.target)} = {card.positive_class}; tested on "
             f"{evaluation.test_rows:,} held-out rows: ROC AUC {evaluation.roc_auc:.3f}, "
             f"PR AUC {evaluation.pr_auc:.3f}.")
    return report_html(f"Training report — {card.table}", figures, intro)
