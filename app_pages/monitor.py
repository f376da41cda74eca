"""Monitor: is the deployed model used properly, still accurate, and fed data like training?"""

import streamlit as st

from opml_core.monitor.windows import LABELS
from opml_core.ui import monitor_view, resources
from opml_core.ui.feedback import reporting, section
from opml_core.ui.progress import run_with_progress
from opml_core.ui.widgets import empty_state
from opml_core.usage import collect_usage

st.title("Monitor")
settings = resources.settings()

names = resources.deployment_names()
if not names:
    empty_state("Nothing to monitor yet: deploy a model and send it some requests.",
                "app_pages/deploy.py", "Deploy a model")
    st.stop()
with st.container(horizontal=True, vertical_alignment="center"):  # wraps in a narrow window
    deployment = st.selectbox("Deployment", names, key="monitor.deployment", width=320)
    window = st.selectbox("Window", list(LABELS), format_func=LABELS.get, key="monitor.window", width=150,
                          help="Automatic picks the size that gives 10 to 40 windows over the period "
                               "(about 30 day windows for 30 days of traffic).")
    run_classifier = st.toggle("Run the drift classifier", key="monitor.classifier")
    auto_collect = st.toggle("Collect on open", key="monitor.auto_collect")
thresholds = monitor_view.thresholds_editor()

if st.button("Collect new usage", key="monitor.collect", icon=":material/sync:") or (
        auto_collect and not st.session_state.get("monitor.collected_once")):
    st.session_state["monitor.collected_once"] = True
    with reporting():
        spark = resources.spark()
        done = run_with_progress("Collecting usage", collect_usage, spark, settings, spark=spark,
                                 key=("collect", str(settings.home)))
        st.toast(done.message)
        for problem in done.problems:
            st.warning(f"Not collected this time: {problem}", icon=":material/cloud_off:")

computed = False
with reporting():
    report = resources.monitor_report(deployment, window, thresholds, run_classifier)
    computed = True
if not computed:
    st.stop()
if report is None:
    empty_state(f"No usage collected for {deployment} yet. Send requests from Predict (or "
                "simulate traffic there), then press Collect new usage.", "app_pages/predict.py",
                "Send requests")
    st.stop()
with section("The status cards"):
    monitor_view.cards(report)
usage, performance, drift, classifier = st.tabs(["Usage", "Performance", "Drift", "Drift classifier"])
with usage, section("Usage"):  # each section fails alone
    monitor_view.usage(report)
with performance, section("Performance"):
    monitor_view.performance(settings, report, deployment)
with drift, section("Drift"):
    monitor_view.drift(report)
with classifier, section("The drift classifier"):
    monitor_view.classifier(report)
with section("The report download"):
    monitor_view.export(report)
with section("Alerts"):
    monitor_view.alerts(settings, report)
