"""Settings: what opml is connected to, and the Azure ML workspace for the Azure targets."""

import streamlit as st

from opml_core.ui import resources, settings_view

st.title("Settings")
settings = resources.settings()
st.subheader("This workspace")
settings_view.workspace(settings)
st.subheader("Spark and MLflow")
settings_view.engines(settings)
st.subheader("Azure ML")
st.caption("Needed only for the Azure targets (online endpoints, ACI, AKS). The azureml-local "
           "target runs the same Azure package on this machine without an account.")
settings_view.azure(settings)
