"""Run long work with visible progress: stage messages and Spark's task counts, live.

The work runs in a helper thread and reports stage messages through a callback; the page's
thread draws them in an ``st.status`` box with a progress bar fed by Spark's status tracker, so
the page never freezes silently. The work's exception, if any, is re-raised in the page.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Callable

import streamlit as st

from opml_core.spark import spark_progress

POLL_SECONDS = 0.25


def run_with_progress(label: str, work: Callable, *args, spark=None, **kwargs):
    """Call ``work(*args, progress=callback, **kwargs)`` showing its progress; return its result."""
    messages: queue.Queue[str] = queue.Queue()
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = work(*args, progress=messages.put, **kwargs)
        except BaseException as exc:  # re-raised in the page thread below
            outcome["error"] = exc

    started = time.perf_counter()
    thread = threading.Thread(target=target, name=f"opml: {label}", daemon=True)
    with st.status(label, expanded=True) as status:
        bar = st.progress(0.0, text="Starting…")
        thread.start()
        current = "Starting…"
        while thread.is_alive():
            thread.join(POLL_SECONDS)
            current = _drain(messages, current)
            _draw(bar, current, spark, time.perf_counter() - started)
        _drain(messages, current)
        elapsed = time.perf_counter() - started
        if "error" in outcome:
            status.update(label=f"{label}: stopped after {elapsed:.0f} s", state="error")
            raise outcome["error"]
        bar.progress(1.0, text=f"Done in {elapsed:.1f} s")
        status.update(label=f"{label}: done in {elapsed:.1f} s", state="complete", expanded=False)
    return outcome["value"]


def _drain(messages: queue.Queue, current: str) -> str:
    while True:
        try:
            current = messages.get_nowait()
        except queue.Empty:
            return current
        st.write(f"• {current}")


def _draw(bar, current: str, spark, elapsed: float) -> None:
    tasks = spark_progress(spark) if spark is not None else None
    if tasks and tasks.total:
        bar.progress(min(tasks.fraction, 1.0),
                     text=f"{current} — Spark tasks {tasks.done}/{tasks.total} · {elapsed:.0f} s")
    else:
        bar.progress(0.0, text=f"{current} · {elapsed:.0f} s")
