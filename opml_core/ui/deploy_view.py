"""The Deploy page's sections: a new deployment form and one card per deployment.

Nothing here knows a target: each one's title, notice and options (``TargetOption``) are
rendered as declared, so a new target appears on the page without touching it.
"""

from __future__ import annotations

import streamlit as st

from opml_core.deploy import (
    FAILED,
    RUNNING,
    STARTING,
    STOPPED,
    TARGETS,
    UNREACHABLE,
    DeploymentInfo,
    get_target,
)
from opml_core.deploy.cloud import CloudTarget
from opml_core.errors import DeploymentError
from opml_core.deploy.options import INTEGER, TEXT
from opml_core.deploy.snippets import curl_snippet, python_snippet
from opml_core.registry import list_models, list_versions
from opml_core.serve.keys import mask
from opml_core.ui.access_view import page_link
from opml_core.ui.feedback import reporting
from opml_core.ui.progress import resume, run_with_progress
from opml_core.ui.widgets import empty_state

BADGE = {RUNNING: ":green-badge[● running]", STARTING: ":orange-badge[◐ starting or busy]",
         STOPPED: ":gray-badge[○ stopped]", FAILED: ":red-badge[✕ failed]",
         UNREACHABLE: ":gray-badge[? state unknown]"}
SETTINGS_PAGE = "app_pages/settings.py"


def version_choices(settings, model: str) -> dict[str, str]:
    """Label → reference (aliases first, then version numbers)."""
    versions = list_versions(settings, model)
    choices = {f"{alias} (v{v.version})": alias for v in versions for alias in v.aliases}
    choices.update({f"version {v.version}": v.version for v in versions})
    return choices


def new_deployment(settings) -> DeploymentInfo | None:
    """The new-deployment form; returns the deployment it just made or joined, if any."""
    models = list_models(settings)
    if not models:
        empty_state("No registered model yet: train one first.", "app_pages/train.py", "Train a model")
        return
    left, right = st.columns(2)
    model = left.selectbox("Model", models, key="deploy.model")
    choices = version_choices(settings, model)
    if not choices:
        st.info(f"{model} has no versions left; train or submit one on the Train page.",
                icon=":material/info:")
        return
    label = right.selectbox("Version or alias", list(choices), key="deploy.ref")
    ref = choices[label]
    default = f"{model}-{ref if not str(ref).isdigit() else 'v' + str(ref)}".lower().replace("_", "-")
    left, mid, right = st.columns([2, 2, 1])
    name = left.text_input("Deployment name", default[:32].rstrip("-"), key="deploy.name")
    key = mid.selectbox("Where", list(TARGETS), format_func=lambda k: TARGETS[k].title,
                        key="deploy.target")
    target = get_target(key, settings)
    cloud = isinstance(target, CloudTarget)
    auth = right.toggle("Require a key", True, key="deploy.auth", disabled=cloud,
                        help="Callers must send the deployment's key, like Azure ML endpoints."
                        + (" Azure deployments always do." if cloud else ""))
    if target.notice:
        st.caption(target.notice)
    connected = not cloud or _connected(settings)
    options = target_options(target, f"deploy.options.{key}")
    if not auth and not cloud:
        st.warning("Without a key, anyone who can reach this port can use the model.",
                   icon=":material/lock_open:")
    clicked = st.button("Deploy", key="deploy.go", type="primary", disabled=not connected)
    info = None
    with reporting():
        if clicked:
            info = _deploy_once(settings, target, name, model, label, str(ref), auth or cloud, options)
        else:  # a deployment started before a reload, or from another tab
            info = resume("deploy", str(settings.home))
        if info is not None:
            st.success(f"{info.name} is {info.status} at {info.scoring_uri}. Its key and ready-to-run "
                       "calls are in its card below.", icon=":material/check_circle:")
    return info


def _deploy_once(settings, target, name, model, label, ref, auth, options):
    """Deploy, joining the same deployment if it is already being made; one that already runs
    this very version is shown as such, not as an error."""
    try:
        return run_with_progress(f"Deploying {model} {label}", target.deploy, name, model, ref,
                                 auth=auth, options=options,
                                 key=("deploy", str(settings.home), target.key, name))
    except DeploymentError:
        existing = next((d for d in target.list() if d.name == name), None)
        if existing is None or existing.status not in (RUNNING, STARTING) or \
                (existing.model_name, str(existing.version)) != (model, _version(settings, model, ref)):
            raise
        st.info(f"{name} already serves {model} v{existing.version}: it is shown below. Use its "
                "Change tab to move it to another version.", icon=":material/info:")
        return None


def _version(settings, model: str, ref: str) -> str:
    from opml_core.scoring.bundle import resolve_version

    return str(resolve_version(settings, model, ref).version)


def target_options(target, key: str) -> dict:
    """One input per option the target declares; returns their values by option key."""
    if not target.OPTIONS:
        return {}
    values = {}
    columns = st.columns(min(len(target.OPTIONS), 3))
    for index, option in enumerate(target.OPTIONS):
        cell = columns[index % len(columns)]
        widget = f"{key}.{option.key}"
        label = option.label + (" *" if option.required else "")
        if option.kind == TEXT:
            values[option.key] = cell.text_input(label, option.default or "", key=widget,
                                                 help=option.help or None)
        else:
            whole = option.kind == INTEGER
            cast = int if whole else float
            values[option.key] = cell.number_input(
                label, min_value=cast(option.minimum), max_value=cast(option.maximum),
                value=cast(option.default), step=cast(option.step or 1), key=widget,
                help=option.help or None)
    return values


def _connected(settings) -> bool:
    """Whether an Azure workspace is configured; if not, say where to connect one."""
    from opml_core.azure.connection import NOT_CONNECTED, workspace_ref
    from opml_core.errors import ConfigError

    try:
        if workspace_ref(settings) is not None:
            return True
        message = NOT_CONNECTED
    except ConfigError as exc:
        message = str(exc)
    st.info(message, icon=":material/cloud_off:")
    page_link(SETTINGS_PAGE, "Connect to Azure ML")
    return False


def _parity_caption(target, info: DeploymentInfo) -> None:
    """How closely the fast scorer matched Spark on this version's rows, or why it is not used."""
    from opml_core.scoring.parity import DIFF_METRIC, ROWS_METRIC, parity_caption

    try:
        metrics = target.model_info(info.name).metrics
    except Exception:
        return
    caption = parity_caption(metrics.get(DIFF_METRIC), metrics.get(ROWS_METRIC))
    if caption:
        st.caption(caption)


def deployment_card(settings, info: DeploymentInfo) -> None:
    target = get_target(info.target, settings)
    key = f"deploy.{info.name}"
    with st.container(border=True):
        st.markdown(f"### {info.name} {BADGE.get(info.status, info.status)}")
        st.caption(f"{info.model_name} version {info.version}"
                   + (f" (asked for '{info.ref}')" if info.ref != info.version else "")
                   + f" · {info.engine} scorer · {target.title} · updated {info.updated}")
        if info.note:
            st.info(info.note, icon=":material/info:")
        if info.engine == "compiled":
            _parity_caption(target, info)
        st.code(info.scoring_uri or "(no scoring address yet)", language="text")
        if target.can_stop and info.status in (STOPPED, FAILED):
            if st.button("Start", key=f"{key}.start", type="primary"):
                with reporting():
                    run_with_progress(f"Starting {info.name}", lambda progress: target.start(info.name))
                    st.rerun()
        tabs = st.tabs(["Use it", "Keys", "Requests and log", "Change"])
        with tabs[0]:
            _use_it(target, info)
        with tabs[1], reporting():
            _keys(target, info, key)
        with tabs[2], reporting():
            _activity(settings, target, info)
        with tabs[3]:
            _change(settings, target, info, key)


def _use_it(target, info: DeploymentInfo) -> None:
    if not info.scoring_uri:
        st.caption("The snippets appear once Azure gives the deployment its address.")
        return
    model = target.model_info(info.name)
    st.caption("Set OPML_KEY to the deployment's key (Keys tab), then:")
    st.code(curl_snippet(info, model.inputs), language="bash")
    st.code(python_snippet(info, model.inputs), language="python")
    links = {"docs": "OpenAPI docs", "invocations": "MLflow-style scoring",
             "swagger": "Swagger (Azure's inference server)"}
    shown = [f"{label}: {info.details[k]}" for k, label in links.items() if info.details.get(k)]
    if shown:
        st.caption(" · ".join(shown))
    if info.details.get("docs") and target.keys(info.name).required:
        st.caption("The OpenAPI docs need the key as well (curl -H \"Authorization: Bearer "
                   "$OPML_KEY\" …/openapi.json), unless OPML_SERVE_OPEN_DOCS=true.")


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
    elif isinstance(target, CloudTarget):
        st.caption("Azure keeps what this deployment receives; requests show here once a collect "
                   "(Monitor page) has brought them back.")
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
    if target.can_stop and info.status == RUNNING and left.button("Stop", key=f"{key}.stop"):
        with reporting():
            target.stop(info.name)
            st.rerun()
    with right.popover("Delete…"):
        st.write("The endpoint stops and its keys are discarded; its usage history stays for "
                 "monitoring." + (" This deletes it in Azure too." if isinstance(target, CloudTarget)
                                  else ""))
        typed = st.text_input(f"Type {info.name} to confirm", key=f"{key}.confirm")
        if st.button("Delete this deployment", key=f"{key}.delete", disabled=typed != info.name):
            with reporting():
                target.delete(info.name)
                st.rerun()
