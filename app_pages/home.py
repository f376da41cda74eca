"""Home: what opml does and where things stand, without starting Spark."""

import streamlit as st

from opml_core.data import list_tables
from opml_core.datasets import BANK_MARKETING
from opml_core.tracking import mlflow_ui_command
from opml_core.ui import resources
from opml_core.ui.access_view import page_link
from opml_core.ui.widgets import citation, metric_row

st.title("opml: from data to a monitored endpoint")
st.markdown(
    "opml takes a model from a dataset to a REST endpoint you can watch, in the browser and "
    "without code:\n\n"
    "1. **Prepare**: load a file, look at it, choose what to predict, split it into training "
    "rows and *operations* rows that stand in for tomorrow's production inputs.\n"
    "2. **Train**: fit a Spark ML pipeline (preprocessing included), see how good it is, and "
    "register it in MLflow as a new version.\n"
    "3. **Deploy** a version as a keyed REST endpoint (local by default).\n"
    "4. **Predict**: one client at a time, a batch, or simulated traffic over weeks.\n"
    "5. **Monitor** its usage, performance over time and drift, in plain words."
)
settings = resources.settings()
tables = list_tables(settings.workspace)
metric_row({"Tables in the workspace": str(len(tables)),
            "Workspace": str(settings.workspace.root), "Spark": settings.spark_master})
page_link("app_pages/prepare.py", "Start with Prepare data")
st.caption(f"MLflow UI on the same store: `{mlflow_ui_command(settings)}`")
citation(BANK_MARKETING)
