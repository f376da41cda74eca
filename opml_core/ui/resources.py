"""Cached resources for the pages: settings, the Spark session, loaded datasets, profiles.

Spark starts only when a page first asks for it, inside a status box that says so. Loaded
datasets are cached per source (a ``SourceRef``), so reruns of a page never reload or reprofile.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import streamlit as st

from opml_core.config import Settings, load_settings
from opml_core.errors import ConfigError
from opml_core.spark import get_spark, spark_is_running
from opml_core.ui.feedback import show_error
from opml_core.ui.state import SourceRef

SPARK_START_LABEL = "Starting Spark ({wait}; once per app start)…"


def settings() -> Settings:
    """The settings; a bad value stops the page with a message naming the variable."""
    try:
        return load_settings()
    except ConfigError as exc:
        show_error(exc)
        st.stop()


def spark():
    """The SparkSession, started on first use with a visible status and an honest estimate."""
    import time

    from opml_core import timings

    current = settings()
    if spark_is_running():
        return get_spark(current)
    wait = timings.wait_phrase(timings.expected(current.workspace, "spark_start"),
                               "up to a minute the first time")
    with st.status(SPARK_START_LABEL.format(wait=wait), expanded=False) as status:
        started = time.perf_counter()
        try:
            session = get_spark(current)
        except ConfigError as exc:
            status.update(label="Spark did not start", state="error")
            show_error(exc)
            st.stop()
        took = time.perf_counter() - started
        timings.remember(current.workspace, "spark_start", took)
        status.update(label=f"Spark is ready (started in {took:.0f} s)", state="complete")
    return session


@st.cache_resource(show_spinner=False, max_entries=4)
def _loaded(source: SourceRef, home: str):
    from opml_core import data
    from opml_core.config import Workspace

    settings = load_settings()
    session = get_spark(settings)
    workspace = Workspace(home, settings.warehouse_uri)
    if source.kind == "bundled":
        return data.load_bundled(session, source.ref, workspace)
    if source.kind == "table":
        return data.load_table(session, workspace, source.ref)
    return data.load_staged(session, _restage(source), workspace)


def loaded(source: SourceRef):
    """The LoadedData for a source (Spark started first, visibly)."""
    spark()
    with st.spinner(f"Loading {source.label}…"):
        return _loaded(source, str(settings().home))


@st.cache_data(show_spinner=False, max_entries=8)
def _profile(source: SourceRef, home: str):
    from opml_core.data import profile_frame

    loaded_data = _loaded(source, home)
    return profile_frame(loaded_data.df, loaded_data.display_names)


def profile(source: SourceRef):
    loaded(source)
    with st.spinner("Profiling every column…"):
        return _profile(source, str(settings().home))


@st.cache_data(show_spinner=False, max_entries=16)
def _review(source: SourceRef, home: str, target: str, positive: str):
    from opml_core.data.guards import review_columns

    loaded_data = _loaded(source, home)
    known = loaded_data.bundled.excluded_by_default if loaded_data.bundled else {}
    known = {**known, **(loaded_data.card.left_out if loaded_data.card else {})}
    return review_columns(loaded_data.df, _profile(source, home), target, positive, known)


def column_review(source: SourceRef, target: str, positive: str):
    """Columns to leave out by default, with reasons, and sentinel codes, for this target."""
    profile(source)
    with st.spinner("Checking every column for leakage, IDs and codes…"):
        return _review(source, str(settings().home), target, positive)


@st.cache_data(show_spinner=False, max_entries=32)
def evaluation(run_id: str, tracking_uri: str):
    from opml_core.registry import load_evaluation

    return load_evaluation(settings(), run_id)


@st.cache_data(show_spinner=False, max_entries=32)
def run_card(run_id: str, tracking_uri: str):
    from opml_core.registry import load_run_card

    return load_run_card(settings(), run_id)


@st.cache_resource(show_spinner="Loading the model…", max_entries=4)
def _local_scorer(name: str, version: str, home: str):
    from opml_core.scoring.bundle import cached_bundle
    from opml_core.scoring.engines import load_in_app_scorer

    return load_in_app_scorer(cached_bundle(settings(), name, version))


def local_scorer(name: str, ref: str):
    """The model scored in this process (built once per version, cached): only opml's compiled
    scorer; ForeignCodeError for a version that would run its own code."""
    from opml_core.scoring.bundle import resolve_version

    current = settings()
    version = resolve_version(current, name, ref).version  # an alias may have moved
    return _local_scorer(name, str(version), str(current.home))


def deployment_names() -> list[str]:
    """Deployments that exist (newest first), then deleted ones that left usage behind."""
    from opml_core.deploy import all_deployments

    current = settings()
    live = sorted(all_deployments(current), key=lambda d: d.created, reverse=True)  # newest first
    names = [d.name for d in live]
    usage = current.workspace.usage
    if usage.is_dir():
        gone = [p for p in usage.iterdir() if p.is_dir() and not p.name.startswith("_")
                and p.name not in names]
        names += [p.name for p in sorted(gone, key=lambda p: p.stat().st_mtime, reverse=True)]
    return names


_REPORTS: OrderedDict = OrderedDict()  # a few recent monitoring reports, shared by sessions
_REPORTS_KEPT = 8
_REPORTS_LOCK = threading.Lock()
_MISSING = object()


def monitor_report(deployment: str, window: str, thresholds: dict, classifier: bool):
    """The monitoring report, recomputed (with progress) only when new usage or labels arrive
    or the choices change; other thresholds only re-judge the cached values."""
    from opml_core.data.tables import table_exists
    from opml_core.monitor.report import run_monitor, with_thresholds
    from opml_core.ui.progress import run_with_progress
    from opml_core.usage import REQUESTS

    current = settings()
    if not table_exists(current.workspace, REQUESTS):
        return None  # nothing collected yet: the empty state needs no Spark
    key = (deployment, window, classifier, str(current.home), _usage_stamp(current))
    with _REPORTS_LOCK:
        cached = _REPORTS.get(key, _MISSING)
    if cached is _MISSING:
        session = spark()
        cached = run_with_progress("Computing usage, performance and drift", run_monitor,
                                   session, current, deployment, window, thresholds,
                                   classifier, spark=session, key=("monitor", *key))
    with _REPORTS_LOCK:
        _REPORTS[key] = cached
        _REPORTS.move_to_end(key)
        while len(_REPORTS) > _REPORTS_KEPT:
            _REPORTS.popitem(last=False)
    return cached if cached is None else with_thresholds(cached, thresholds)


def _usage_stamp(current) -> tuple:
    """Changes whenever a collect or a labels update lands (the labels table's files, listed:
    object stores give its folder no modification time)."""
    from opml_core.data.tables import table_uri
    from opml_core.usage import LABELS, STATE_DIR
    from opml_core.warehouse import folder_stamp

    state = current.workspace.usage / STATE_DIR / "state.json"
    return (state.stat().st_mtime_ns if state.exists() else 0,
            folder_stamp(table_uri(current.workspace, LABELS)))


def _restage(source: SourceRef):
    from pathlib import Path

    from opml_core.data.inspect import FileLayout
    from opml_core.data.load import StagedFile

    path = Path(source.ref)
    layout = FileLayout("parquet" if path.suffix == ".parquet" else "csv", list(source.columns),
                        source.delimiter)
    return StagedFile(path, source.label, layout)
