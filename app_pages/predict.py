"""Predict: use a deployed model — one client, a batch, or simulated traffic."""

import streamlit as st

from opml_core.client import EndpointClient
from opml_core.deploy import RUNNING, all_deployments, get_target
from opml_core.errors import ForeignCodeError
from opml_core.predict import endpoint_sender, local_sender
from opml_core.registry import list_models
from opml_core.ui import predict_view, resources
from opml_core.ui.deploy_view import version_choices
from opml_core.ui.widgets import empty_state

st.title("Use the model")
settings = resources.settings()

in_process = st.toggle("Score in this app instead of an endpoint (models opml compiles only)",
                       key="predict.local")
deployment = None
if in_process:
    models = list_models(settings)
    if not models:
        empty_state("No registered model yet.", "app_pages/train.py", "Train a model")
        st.stop()
    left, right = st.columns(2)
    model = left.selectbox("Model", models, key="predict.model")
    choices = version_choices(settings, model)
    if not choices:
        empty_state(f"{model} has no versions left; train or submit one.", "app_pages/train.py",
                    "Train a model")
        st.stop()
    ref = choices[right.selectbox("Version or alias", list(choices), key="predict.ref")]
    try:
        scorer = resources.local_scorer(model, str(ref))
    except ForeignCodeError as exc:  # a submitted model's code runs only in its endpoint
        empty_state(str(exc), "app_pages/deploy.py", "Deploy it")
        st.stop()
    meta, send = scorer.meta, local_sender(scorer)
else:
    running = sorted((d for d in all_deployments(settings) if d.status == RUNNING),
                     key=lambda d: d.created, reverse=True)  # the newest is preselected
    if not running:
        empty_state("No running deployment. Deploy a model, or switch on in-app scoring above.",
                    "app_pages/deploy.py", "Deploy a model")
        st.stop()
    deployment = st.selectbox("Deployment", [d.name for d in running], key="predict.deployment")
    info = next(d for d in running if d.name == deployment)
    target = get_target(info.target, settings)
    meta, keys = target.model_info(deployment), target.keys(deployment)
    send = endpoint_sender(EndpointClient(info.scoring_uri, keys.primary if keys.required else None))
    st.caption(f"{info.scoring_uri} · {meta.name} version {meta.version}")

one, many, traffic = st.tabs(["One client", "A batch", "Simulate traffic"])
with one:
    predict_view.one_client(settings, meta, send, "predict.one")
with many:
    predict_view.batch(settings, meta, send, "predict.batch")
with traffic:
    predict_view.simulation(settings, meta, send, deployment, "predict.sim")
