"""The Settings page's sections: where opml keeps things, and the Azure ML connection."""

from __future__ import annotations

import streamlit as st

from opml_core.errors import ConfigError
from opml_core.ui.feedback import reporting, show_error


def workspace(settings) -> None:
    st.dataframe([{"Setting": "Workspace (OPML_HOME)", "Value": str(settings.workspace.root)},
                  {"Setting": "Spark (OPML_SPARK_MASTER)", "Value": settings.spark_master},
                  {"Setting": "MLflow tracking", "Value": settings.tracking_uri}],
                 hide_index=True, key="settings.workspace")


def engines(settings) -> None:
    """Which Spark and MLflow the app uses, their versions, and a Test connection for each."""
    from opml_core.connections import check_mlflow, check_spark, describe

    st.dataframe(describe(settings), hide_index=True, key="settings.engines")
    left, right = st.columns(2)
    if left.button("Test Spark", key="settings.spark.test", icon=":material/bolt:"):
        with st.spinner("Reaching Spark…"):
            _show(left, check_spark(settings))
    if right.button("Test MLflow", key="settings.mlflow.test", icon=":material/science:"):
        with st.spinner("Reaching MLflow…"):
            _show(right, check_mlflow(settings))
    st.caption("Point the app elsewhere with OPML_SPARK_MASTER (spark://host:7077 for a "
               "cluster, sc://host:15002 for Spark Connect, e.g. Databricks) and "
               "OPML_MLFLOW_TRACKING_URI (http://host:5000 for a team's MLflow server, "
               "databricks for Databricks); the README says how.")


def _show(cell, check) -> None:
    if check.ok:
        cell.success(check.message, icon=":material/check_circle:")
    else:
        cell.error(check.message, icon=":material/error:")


def azure(settings) -> None:
    """The Azure ML workspace, how opml signs in, a config.json upload and Test connection."""
    from opml_core.azure.connection import check_connection, describe, save_config

    try:
        shown = describe(settings)
    except ConfigError as exc:
        show_error(exc)
        return
    st.dataframe([{"": k, "Value": v} for k, v in shown.items() if v], hide_index=True,
                 key="settings.azure")
    st.caption("A service principal is set with OPML_AZURE_TENANT_ID, OPML_AZURE_CLIENT_ID and "
               "OPML_AZURE_CLIENT_SECRET (environment, or [opml] in .streamlit/secrets.toml); "
               "without one opml signs in as DefaultAzureCredential does (`az login`, a managed "
               "identity). opml never shows, logs or stores the secret.")
    upload = st.file_uploader("Workspace config.json (Azure ML studio → your workspace → "
                              "Download config.json)", type=["json"], key="settings.azure.config")
    if upload is not None and st.button("Use this workspace", key="settings.azure.save"):
        with reporting():
            ref = save_config(settings, upload.getvalue())
            st.success(f"Connected to workspace {ref.workspace} in {ref.resource_group}; press "
                       "Test connection to check the sign-in.", icon=":material/check_circle:")
    if st.button("Test connection", key="settings.azure.test", disabled=shown["Workspace"] == "(not set)"):
        with reporting(), st.spinner("Signing in and reaching the workspace…"):
            info = check_connection(settings)
            st.success(f"Reached {info.name} ({info.location}) as {info.credential}.",
                       icon=":material/check_circle:")
