"""The Predict page's sections: one client's form, a batch, and simulated traffic."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timezone

import plotly.graph_objects as go
import streamlit as st

from opml_core import charts
from opml_core.predict import (IN_ORDER, ROW_ORDERS, SimulationSpec, count_rows, csv_batches,
                               sample_row, score_batches, simulate_traffic, table_batches)
from opml_core.scoring.inputs import NUMERIC
from opml_core.ui.feedback import reporting
from opml_core.ui.widgets import metric_row, plot


def gauge(probability: float, label: str, positive: str | None,
          threshold: float | None = None) -> go.Figure:
    cut = 50 if threshold is None else threshold * 100
    fig = go.Figure(go.Indicator(
        mode="gauge+number", value=probability * 100, number={"suffix": "%"},
        title={"text": f"P({positive or 'positive'}) · predicted: {label} (from {cut:.0f}%)"},
        gauge={"axis": {"range": [0, 100]}, "bar": {"color": "#2a9d8f"},
               "threshold": {"line": {"color": "#e76f51", "width": 3}, "value": cut}}))
    fig.update_layout(height=260, margin=dict(l=20, r=20, t=60, b=10))
    return fig


def one_client(settings, meta, send, key: str) -> None:
    """A form built from the model's inputs, prefilled from a random operations row."""
    if st.button("Another client", key=f"{key}.reroll", icon=":material/casino:"):
        st.session_state[f"{key}.seed"] = random.randrange(1 << 30)
        for column in meta.inputs.columns:
            st.session_state.pop(f"{key}.in.{column.name}", None)
    example = {}
    if meta.operations_table:
        with reporting():
            example = sample_row(settings.workspace, meta.operations_table, meta.inputs,
                                 st.session_state.setdefault(f"{key}.seed", 1))
            st.caption(f"Prefilled from a random row of {meta.operations_table}.")
    with st.form(f"{key}.form"):
        row, problems, cautions = {}, [], []
        grid = st.columns(3)
        for index, column in enumerate(meta.inputs.columns):
            cell = grid[index % 3]
            value = example.get(column.display)
            widget_key = f"{key}.in.{column.name}"
            if column.kind == NUMERIC:
                ranged = column.minimum is not None and column.maximum is not None
                help_text = f"Training range {column.minimum:g} to {column.maximum:g}" if ranged else None
                start = value if value is not None else column.imputed or 0
                typed = cell.text_input(column.display, f"{float(start):.12g}", help=help_text,
                                        key=widget_key, placeholder="empty = missing")
                number, problem, caution = check_number(typed, column)
                row[column.display] = number
                problems += [problem] if problem else []
                cautions += [caution] if caution else []
            else:
                options = list(column.levels) or ([value] if value else [""])
                if value is not None and value not in options:
                    options.append(value)
                row[column.display] = cell.selectbox(
                    column.display, options, index=options.index(value) if value in options else 0,
                    key=widget_key)
        explain = st.toggle("Explain the prediction", value=True, key=f"{key}.explain",
                            help="Ask the endpoint how much each input pushed the answer.")
        submitted = st.form_submit_button("Predict", type="primary")
    if submitted and problems:
        st.error("Fix these before sending: " + " ".join(problems), icon=":material/error:")
        return
    if submitted:
        for caution in cautions:
            st.warning(caution, icon=":material/warning:")
        sent = send([row], None, None, explain=explain)
        if sent.status != 200:
            st.error(f"The endpoint answered {sent.status}: {sent.error}", icon=":material/error:")
        else:
            prediction = sent.predictions[0]
            if prediction.get("probability") is not None:
                plot(gauge(prediction["probability"], prediction["label"], meta.positive_class,
                           meta.threshold), key=f"{key}.gauge")
            else:
                st.metric("Prediction", prediction["label"])
            if prediction.get("explanation"):
                st.markdown("**Why did the model say that?**")
                plot(charts.explanation_waterfall(prediction["explanation"], meta.positive_class),
                     key=f"{key}.why")
                st.caption(explanation_caption(prediction["explanation"], meta.positive_class))
            for warning in sent.warnings:  # the form already said which numbers are outside
                if not (cautions and "outside the training range" in warning):
                    st.warning(warning, icon=":material/warning:")
        with st.expander("Request and response"):
            body = {"data": [row], **({"explain": True} if explain else {})}
            st.code(json.dumps(body, indent=2, default=str), language="json")
            st.code(json.dumps({"status": sent.status, "request_id": sent.request_id,
                                "predictions": sent.predictions, "warnings": sent.warnings,
                                "error": sent.error}, indent=2), language="json")


def check_number(typed: str, column) -> tuple[float | None, str | None, str | None]:
    """A form entry as a number: (value or None when empty, a problem, a caution)."""
    text = typed.strip().replace(",", "") if typed else ""
    if not text:
        return None, None, None
    try:
        number = float(text)
    except ValueError:
        return None, f"**{column.display}**: {typed!r} is not a number.", None
    if number != number or number in (float("inf"), float("-inf")):
        return None, f"**{column.display}**: {typed!r} is not a finite number.", None
    low, high = column.minimum, column.maximum
    if low is not None and high is not None and not low <= number <= high:
        return number, None, (f"{column.display} = {number:g} is outside the training range "
                              f"{low:g} to {high:g}: the model has not seen such values, so "
                              "treat the prediction with care.")
    return number, None, None


def explanation_caption(explanation: dict, positive: str | None) -> str:
    """One sentence naming the inputs that pushed hardest each way."""
    ranked = list(explanation["contributions"].items())
    up = [name for name, value in ranked if value > 0][:2]
    down = [name for name, value in ranked if value < 0][:2]
    unit = "percentage points" if explanation["scale"] == "probability" else "log-odds"
    parts = []
    if up:
        parts.append(f"{' and '.join(up)} pushed towards '{positive or 'positive'}'")
    if down:
        parts.append(f"{' and '.join(down)} pushed away from it")
    start = explanation["baseline"]
    start_text = f"{start:.1%}" if explanation["scale"] == "probability" else f"{start:.2f} log-odds"
    sentence = "; ".join(parts)
    return (sentence[:1].upper() + sentence[1:] + ". " if parts else "") + \
        f"Bars start from the model's average answer ({start_text}) and are in {unit}."


def batch(settings, meta, send, key: str) -> None:
    sources = ["table"] + ["upload"]
    labels = {"table": f"The operations table ({meta.operations_table})" if meta.operations_table
              else "A workspace table", "upload": "An uploaded CSV"}
    source = st.radio("Rows", sources, format_func=labels.get, horizontal=True, key=f"{key}.source")
    size = st.select_slider("Rows per request", [1, 10, 50, 100, 500, 1000, 5000], 500,
                            key=f"{key}.size")
    upload = None
    if source == "upload":
        upload = st.file_uploader("CSV with the model's inputs", type=["csv"], key=f"{key}.csv")
    elif not meta.operations_table:
        st.info("This model was not trained on a prepared table; upload a CSV instead.")
        return
    if not st.button("Score the batch", key=f"{key}.go", type="primary",
                     disabled=source == "upload" and upload is None):
        return
    with reporting():
        if source == "upload":
            batches, total = csv_batches(upload.getvalue(), size), None
        else:
            batches = table_batches(settings.workspace, meta.operations_table, meta.inputs, size)
            total = count_rows(settings.workspace, meta.operations_table)
        bar = st.progress(0.0, text="Sending…")
        result = score_batches(send, batches, total, lambda f, m: bar.progress(f, text=m))
        bar.progress(1.0, text=f"Done in {result.seconds:.1f} s")
        metric_row({"Rows sent": f"{result.rows:,}", "Scored": f"{result.scored:,}",
                    "Failed rows": f"{result.rows - result.scored:,}",
                    "Rows per second": f"{result.rows_per_second:,.0f}"})
        for warning, count in result.warnings.items():
            st.warning(f"{warning} (in {count} request(s))", icon=":material/warning:")
        if result.failures:
            st.error("Some requests failed; the reasons are below.", icon=":material/error:")
            st.dataframe(result.failures, hide_index=True, key=f"{key}.failures")
        if result.results:
            import pandas as pd

            frame = pd.DataFrame(result.results)
            st.dataframe(frame.head(200), hide_index=True, key=f"{key}.results")
            st.download_button("Download all results (CSV)", frame.to_csv(index=False),
                               "predictions.csv", "text/csv", key=f"{key}.download")


def simulation(settings, meta, send, deployment: str | None, key: str) -> None:
    if deployment is None:
        st.info("Traffic simulation sends requests to an endpoint, so choose a deployment above.")
        return
    if not meta.operations_table:
        st.info("This model has no operations table to replay.")
        return
    st.caption(f"Replays rows of {meta.operations_table} spread over a period, each request "
               "stamped with the time it stands for — so Monitor has a time axis.")
    order = st.radio("Which rows", list(ROW_ORDERS), horizontal=True, key=f"{key}.order",
                     format_func=lambda o: "In stored order" if o == IN_ORDER else
                     "Sampled across the whole table")
    st.caption(f"Sends {ROW_ORDERS[order]}.")
    a, b, c = st.columns(3)
    days = a.number_input("Days", 1, 365, 30, key=f"{key}.days")
    per_day = b.number_input("Requests per day", 1, 5000, 40, key=f"{key}.per_day")
    rows = c.slider("Rows per request", 1, 50, (1, 5), key=f"{key}.rows")
    start = st.date_input("First day", date.today().replace(day=1) if days <= 28 else
                          date.fromordinal(date.today().toordinal() - int(days)), key=f"{key}.start")
    spec = SimulationSpec(int(days), int(per_day), rows[0], rows[1],
                          datetime.combine(start, time(), tzinfo=timezone.utc), order=order)
    st.caption(f"{spec.days * spec.requests_per_day:,} requests, about "
               f"{spec.days * spec.requests_per_day * (rows[0] + rows[1]) / 2:,.0f} rows.")
    if st.button("Simulate", key=f"{key}.go", type="primary"):
        with reporting():
            bar = st.progress(0.0, text="Sending…")
            result = simulate_traffic(send, settings.workspace, deployment, meta.operations_table,
                                      meta.inputs, spec, lambda f, m: bar.progress(f, text=m))
            bar.progress(1.0, text=f"Done in {result.seconds:.1f} s")
            st.success(f"Sent {result.requests:,} requests ({result.rows:,} rows) standing for "
                       f"{result.first[:10]} → {result.last[:10]}; {result.failed} failed. "
                       f"{result.replayed}",
                       icon=":material/check_circle:")
