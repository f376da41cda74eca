"""The Predict page's sections: one client's form, a batch, and simulated traffic."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timezone

import plotly.graph_objects as go
import streamlit as st

from opml_core.predict import (IN_ORDER, ROW_ORDERS, SimulationSpec, count_rows, csv_batches,
                               sample_row, score_batches, simulate_traffic, table_batches)
from opml_core.scoring.inputs import NUMERIC
from opml_core.ui.feedback import reporting
from opml_core.ui.widgets import metric_row, plot


def gauge(probability: float, label: str, positive: str | None) -> go.Figure:
    fig = go.Figure(go.Indicator(
        mode="gauge+number", value=probability * 100, number={"suffix": "%"},
        title={"text": f"P({positive or 'positive'}) · predicted: {label}"},
        gauge={"axis": {"range": [0, 100]}, "bar": {"color": "#2a9d8f"},
               "threshold": {"line": {"color": "#e76f51", "width": 3}, "value": 50}}))
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
        row = {}
        grid = st.columns(3)
        for index, column in enumerate(meta.inputs.columns):
            cell = grid[index % 3]
            value = example.get(column.display)
            widget_key = f"{key}.in.{column.name}"
            if column.kind == NUMERIC:
                help_text = (f"Training range {column.minimum:g} – {column.maximum:g}"
                             if column.minimum is not None else None)
                row[column.display] = cell.number_input(
                    column.display, value=float(value if value is not None else column.imputed or 0),
                    help=help_text, key=widget_key, format="%g")
            else:
                options = list(column.levels) or ([value] if value else [""])
                if value is not None and value not in options:
                    options.append(value)
                row[column.display] = cell.selectbox(
                    column.display, options, index=options.index(value) if value in options else 0,
                    key=widget_key)
        submitted = st.form_submit_button("Predict", type="primary")
    if submitted:
        sent = send([row], None, None)
        if sent.status != 200:
            st.error(f"The endpoint answered {sent.status}: {sent.error}", icon=":material/error:")
        else:
            prediction = sent.predictions[0]
            if prediction.get("probability") is not None:
                plot(gauge(prediction["probability"], prediction["label"], meta.positive_class),
                     key=f"{key}.gauge")
            else:
                st.metric("Prediction", prediction["label"])
            for warning in sent.warnings:
                st.warning(warning, icon=":material/warning:")
        with st.expander("Request and response"):
            st.code(json.dumps({"data": [row]}, indent=2, default=str), language="json")
            st.code(json.dumps({"status": sent.status, "request_id": sent.request_id,
                                "predictions": sent.predictions, "warnings": sent.warnings,
                                "error": sent.error}, indent=2), language="json")


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
