"""The Deploy page's sections: a new deployment form and one card per deployment."""

from __future__ import annotations

import streamlit as st

from opml_core.deploy import FAILED, RUNNING, STARTING, STOPPED, TARGETS, DeploymentInfo, get_target
from opml_core.deploy.snippets import curl_snippet, python_snippet
from opml_core.registry import list_models, list_versions
from opml_core.serve.keys import mask
from opml_core.ui.feedback import reporting
from opml_core.ui.progress import run_with_progress
from opml_core.ui.widgets import empty_state

BADGE = {RUNNING: ":green-badge[● running]", STARTING: ":orange-badge[◐ starting or busy]",
         STOPPED: ":gray-badge[○ stopped]", FAILED: ":red-badge[✕ failed]"}


def version_choices(settings, model: str) -> dict[str, str]:
    """Label → reference (aliases first, then version numbers)."""
    versions = list_versions(settings, model)
    choices = {f"{alias} (v{v.version})": alias for v in versions for alias in v.aliases}
    choices.update({f"version {v.version}": v.version for v in versions})
    return choices


def new_deployment(settings) -> None:
    models = list_models(settings)
    if not models:
        empty_state("No registered model yet: train one first.", "app_pages/train.py", "Train a model")
        return
    left, right = st.columns(2)
    model = left.selectbox("Model", models, key="deploy.model")
    choices = version_choices(settings, model)
    label = right.selectbox("Version or alias", list(choices), key="deploy.ref")
    ref = choices[label]
    default = f"{model}-{ref if not str(ref).isdigit() else 'v' + str(ref)}".lower().replace("_", "-")
    left, mid, right = st.columns([2, 1, 1])
    name = left.text_input("Deployment name", default[:32], key="deploy.name")
    target = mid.selectbox("Where", list(TARGETS), format_func=lambda k: TARGETS[k].title,
                           key="deploy.target")
    auth = right.toggle("Require a key", True, key="deploy.auth",
                        help="Callers must send the deployment's key, like Azure ML endpoints.")
    if not auth:
        st.warning("Without a key, anyone who can reach this port can use the model.",
                   icon=":material/lock_open:")
    if st.button("Deploy", key="deploy.go", type="primary"):
        with reporting():
            info = run_with_progress(f"Deploying {model} {label}", get_target(target, settings).deploy,
                                     name, model, str(ref), auth=auth)
            st.success(f"{info.name} is {info.status} at {info.scoring_uri}",
                       icon=":material/check_circle:")


def deployment_card(settings, info: DeploymentInfo) -> None:
    target = get_target(info.target, settings)
    key = f"deploy.{info.name}"
    with st.container(border=True):
        st.markdown(f"### {info.name} {BADGE.get(info.status, info.status)}")
        st.caption(f"{info.model_name} version {info.version}"
                   + (f" (asked for '{info.ref}')" if info.ref != info.version else "")
                   + f" · {info.engine} scorer · updated {info.updated}")
        if info.note:
            st.info(info.note, icon=":material/info:")
        st.code(info.scoring_uri, language="text")
        if info.status in (STOPPED, FAILED):
            if st.button("Start", key=f"{key}.start", type="primary"):
                with reporting():
                    run_with_progress(f"Starting {info.name}", lambda progress: target.start(info.name))
                    st.rerun()
        tabs = st.tabs(["Use it", "Keys", "Requests and log", "Change"])
        with tabs[0]:
            model = target.model_info(info.name)
            st.caption("Set OPML_KEY to the deployment's key (Keys tab), then:")
            st.code(curl_snippet(info, model.inputs), language="bash")
            st.code(python_snippet(info, model.inputs), language="python")
            st.caption(f"OpenAPI docs: {info.details.get('docs')} · MLflow-style scoring: "
                       f"{info.details.get('invocations')}")
        with tabs[1]:
            _keys(target, info, key)
        with tabs[2]:
            _activity(settings, target, info)
        with tabs[3]:
            _change(settings, target, info, key)


def _keys(target, info: DeploymentInfo, key: str) -> None:
    keys = target.keys(info.name)
    if not keys.required:
        st.warning("This deployment accepts requests without a key.", icon=":material/lock_open:")
        return
    show = st.toggle("Show keys", key=f"{key}.show")
    for slot in ("primary", "secondary"):
        value = getattr(keys, slot)
        left, right = st.columns([4, 1])
        left.code(value if show else mask(value), language="text")
        with right.popover(f"Regenerate {slot}"):
            st.write(f"Clients using the {slot} key will get 401 until they switch.")
            if st.button(f"Yes, regenerate the {slot} key", key=f"{key}.regen.{slot}"):
                target.regenerate_key(info.name, slot)
                st.rerun()


def _activity(settings, target, info: DeploymentInfo) -> None:
    records = target.recent_requests(info.name, 20)
    if records:
        st.dataframe([{"time": r["time"], "status": r["status"], "rows": r["rows"],
                       "latency ms": r["latency_ms"], "error": r.get("error") or ""}
                      for r in records], hide_index=True)
    else:
        st.caption("No requests yet. Send some from the Predict page.")
    st.code("\n".join(target.logs(info.name, 20)) or "(empty log)", language="text")


def _change(settings, target, info: DeploymentInfo, key: str) -> None:
    choices = version_choices(settings, info.model_name)
    label = st.selectbox("Switch to", list(choices), key=f"{key}.to")
    if st.button("Update", key=f"{key}.update"):
        with reporting():
            run_with_progress(f"Updating {info.name}", target.update, info.name, str(choices[label]))
            st.rerun()
    left, right = st.columns(2)
    if info.status == RUNNING and left.button("Stop", key=f"{key}.stop"):
        with reporting():
            target.stop(info.name)
            st.rerun()
    with right.popover("Delete…"):
        st.write("The endpoint stops and its keys are discarded; its usage history stays for "
                 "monitoring.")
        typed = st.text_input(f"Type {info.name} to confirm", key=f"{key}.confirm")
        if st.button("Delete this deployment", key=f"{key}.delete", disabled=typed != info.name):
            with reporting():
                target.delete(info.name)
                st.rerun()
