"""Run long work with visible progress: stage messages and Spark's task counts, live.

The work runs in a helper thread and reports stage messages through a callback; the page's
thread draws them in an ``st.status`` box with a progress bar fed by Spark's status tracker, so
the page never freezes silently. The work's exception, if any, is re-raised in the page.

A widget touched while the work runs makes Streamlit rerun the page, abandoning the watcher but
not the thread. Work given a ``key`` is therefore shared: a rerun (or another session) asking for
the same key while it runs watches the running work instead of starting it a second time, and
says so. Keys start with the kind of work and the workspace (``("train", home, …)``), so a page
opened after a reload or in another tab finds its kind of work still running (``running``) and
shows its progress (``watch``) instead of an empty form.
"""

from __future__ import annotations

import contextvars
import threading
import time
from typing import Callable, Hashable

import streamlit as st

from opml_core.spark import spark_progress

POLL_SECONDS = 0.25

_RUNNING: dict[Hashable, "Job"] = {}
_RUNNING_LOCK = threading.Lock()


class Job:
    """Work in a helper thread: its stage messages so far and, once done, its outcome."""

    def __init__(self, label: str, work: Callable, args: tuple, kwargs: dict):
        self.label = label
        self.messages: list[str] = []
        self.outcome: dict = {}
        self.started = time.perf_counter()
        context = contextvars.copy_context()  # the signed-in actor goes along (opml_core.access)
        self.thread = threading.Thread(target=context.run, args=(self._run, work, args, kwargs),
                                       name=f"opml: {label}", daemon=True)
        self.thread.start()

    def _run(self, work: Callable, args: tuple, kwargs: dict) -> None:
        try:
            self.outcome["value"] = work(*args, progress=self.messages.append, **kwargs)
        except BaseException as exc:  # re-raised in the page thread
            self.outcome["error"] = exc


def job_for(key: Hashable | None, label: str, work: Callable, *args, **kwargs) -> tuple[Job, bool]:
    """The running job with this key (joined: True), or a new one started (always new without a
    key)."""
    if key is None:
        return Job(label, work, args, kwargs), False
    with _RUNNING_LOCK:
        for done in [k for k, job in _RUNNING.items() if not job.thread.is_alive()]:
            del _RUNNING[done]  # finished: its watcher has or had the outcome
        if key in _RUNNING:
            return _RUNNING[key], True
        _RUNNING[key] = Job(label, work, args, kwargs)
        return _RUNNING[key], False


def running(kind: str, scope: str) -> Job | None:
    """Work of this kind still running in this workspace (started by any tab), or None."""
    with _RUNNING_LOCK:
        return next((job for key, job in _RUNNING.items()
                     if isinstance(key, tuple) and key[:2] == (kind, scope) and job.thread.is_alive()),
                    None)


def run_with_progress(label: str, work: Callable, *args, spark=None, key: Hashable | None = None,
                      **kwargs):
    """Call ``work(*args, progress=callback, **kwargs)`` showing its progress; return its result.
    With a ``key``, join the same work if it is already running, and say so."""
    job, joined = job_for(key, label, work, *args, **kwargs)
    if joined:
        st.info(f"{job.label} was already running (started {time.perf_counter() - job.started:.0f} s "
                "ago, here or in another tab): this shows that run instead of starting a second.",
                icon=":material/sync:")
    return watch(job, spark)


def resume(kind: str, scope: str, spark=None):
    """If work of this kind runs in this workspace (a reload, another tab), show it and return
    its result; else None."""
    job = running(kind, scope)
    if job is None:
        return None
    st.info(f"{job.label} started {time.perf_counter() - job.started:.0f} s ago and is still "
            "running (from before a reload or in another tab); here is its progress.",
            icon=":material/sync:")
    return watch(job, spark)


def watch(job: Job, spark=None):
    """Show a job's progress until it ends; return its result or raise its error."""
    label = job.label
    with st.status(label, expanded=True) as status:
        bar = st.progress(0.0, text="Starting…")
        shown = 0
        while job.thread.is_alive():
            job.thread.join(POLL_SECONDS)
            shown = _show(job.messages, shown)
            _draw(bar, _current(job), spark, time.perf_counter() - job.started)
        _show(job.messages, shown)
        elapsed = time.perf_counter() - job.started
        if "error" in job.outcome:
            status.update(label=f"{label}: stopped after {elapsed:.0f} s", state="error")
            raise job.outcome["error"]
        bar.progress(1.0, text=f"Done in {elapsed:.1f} s")
        status.update(label=f"{label}: done in {elapsed:.1f} s", state="complete", expanded=False)
    return job.outcome["value"]


def _current(job: Job) -> str:
    return job.messages[-1] if job.messages else "Starting…"


def _show(messages: list[str], shown: int) -> int:
    """Write the messages not shown yet; return how many are shown now."""
    fresh = messages[shown:]
    for message in fresh:
        st.write(f"• {message}")
    return shown + len(fresh)


def _draw(bar, current: str, spark, elapsed: float) -> None:
    tasks = spark_progress(spark) if spark is not None else None
    if tasks and tasks.total:
        bar.progress(min(tasks.fraction, 1.0),
                     text=f"{current} — Spark tasks {tasks.done}/{tasks.total} · {elapsed:.0f} s")
    else:
        bar.progress(0.0, text=f"{current} · {elapsed:.0f} s")
