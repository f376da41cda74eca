"""Deploy: put a registered model version behind a keyed REST endpoint and manage it."""

import streamlit as st

from opml_core.deploy import all_deployments
from opml_core.ui import deploy_view, resources

st.title("Deploy")
st.caption("Each deployment is a REST endpoint serving one registered version. The local target "
           "scores without Spark, in well under a millisecond per row, and logs every request.")
settings = resources.settings()

deployments = all_deployments(settings)
with st.expander("New deployment", expanded=not deployments):
    made = deploy_view.new_deployment(settings)
if made is not None:  # show the new deployment's card at once, not on the next rerun
    deployments = all_deployments(settings)
for info in deployments:
    deploy_view.deployment_card(settings, info)
