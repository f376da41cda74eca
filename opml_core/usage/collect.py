"""Collect what deployments received into Spark SQL tables, incrementally and exactly once.

``collect_usage`` reads the new, complete records of every usage log (``UsageSource`` readers,
registered by key in ``sources``: this workspace's logs, azureml-local's printed lines,
Application Insights traces and Azure ML's data collector), and appends them to two workspace
tables:

- ``model_requests``: one row per request (id, times, deployment, model, version, route,
  status, latency, rows, error, warnings);
- ``model_inputs``: one row per scored record (request id, row index, times, deployment, model,
  version, every input column under its readable name, other fields sent in ``extra``, label,
  probability).

Exactly once: each run copies the byte ranges it takes into a staging folder (a sealed log
taken whole is hard-linked there instead: it will never change), notes them in
``pending.json``, lets Spark turn them into Parquet under the warehouse URI
(``<warehouse>/_collect/<batch>/``), then moves the files into the tables and records the ranges
as consumed, under a lock. Local Spark reads the staging folder where it lies; a cluster or Spark
Connect, which cannot see the app's disk, reads a copy streamed to ``<batch>/logs`` under the
warehouse, removed with the batch's folder. A run that stops half-way is rolled forward by the
next one; lines written during a run are left for the next. Only one collect runs at a time.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from opml_core.config import Settings
from opml_core.data.tables import MONITORING_TABLES, workspace_lock
from opml_core.errors import MonitorError
from opml_core.files import write_atomic
from opml_core.spark import beside_app
from opml_core.usage.sources import SOURCES, Chunk, UsageSource, known_models
from opml_core.warehouse import delete, list_dir, location, move, upload

REQUESTS, INPUTS, LABELS = MONITORING_TABLES
STATE_DIR = "_collect"


@dataclass(frozen=True)
class CollectResult:
    """What one collect added."""

    requests: int
    rows: int
    files: int
    seconds: float
    message: str
    problems: tuple[str, ...] = ()  # sources that could not be read this time (collect went on)


def collect_usage(spark, settings: Settings, progress: Callable[[str], None] = lambda m: None,
                  sources: list[str] | None = None) -> CollectResult:
    """Append new usage records to model_requests and model_inputs; see the module docstring."""
    from opml_core.usage.tables import build_tables

    started = time.perf_counter()
    folder = settings.workspace.usage / STATE_DIR
    with _exclusive(folder):
        _roll_forward(settings, folder)
        unknown = [key for key in (sources or []) if key not in SOURCES]
        if unknown:
            raise MonitorError(f"Unknown usage source {unknown[0]!r}; choose among {', '.join(SOURCES)}.")
        readers = [SOURCES[key](settings) for key in (sources or list(SOURCES))]
        problems = tuple(p for reader in readers for p in reader.sync(progress))
        state = _load_state(folder)
        chunks = _new_chunks(readers, state)
        if not chunks:
            return CollectResult(0, 0, 0, time.perf_counter() - started,
                                 _summary("Nothing new to collect.", problems), problems)
        batch = f"c{datetime.now(timezone.utc):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
        staging = folder / "staging" / batch
        progress(f"Copying new records from {len(chunks)} file(s)")
        _copy(readers, chunks, staging / "logs")
        (staging / "pending.json").write_text(json.dumps([vars(c) for c in chunks]))
        written = _written(settings, batch)
        logs = _logs_for_spark(spark, staging / "logs", written)
        progress("Turning records into table rows with Spark")
        requests, rows, types = build_tables(spark, logs, written, known_models(settings),
                                             state.get("types", {}))
        progress("Adding them to model_requests and model_inputs")
        (staging / "types.json").write_text(json.dumps(types))
        (staging / "complete").touch()
        _commit(settings, folder, staging)
    message = f"Collected {requests:,} requests ({rows:,} scored rows)."
    return CollectResult(requests, rows, len({c.path for c in chunks}), time.perf_counter() - started,
                         _summary(message, problems), problems)


def _summary(message: str, problems: tuple[str, ...]) -> str:
    return message if not problems else f"{message} Not reached this time: {' '.join(problems)}"


def collect_running(settings: Settings) -> dict | None:
    """Who is collecting right now ({"pid", "since"}, either may be None), or None."""
    path = settings.workspace.usage / STATE_DIR / "lock"
    if not path.is_file():
        return None
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            try:
                holder = json.loads(handle.read() or "{}")
            except ValueError:
                holder = {}
            return {"pid": holder.get("pid"), "since": holder.get("since")}
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


@contextmanager
def _exclusive(folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "a+") as handle:
        if not _try_lock(handle):
            handle.seek(0)
            holder = handle.read().strip() or "{}"
            raise MonitorError(f"A collect is already running ({holder}); wait for it to finish, "
                               "then collect again.") from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(),
                                 "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def _try_lock(handle, attempts: int = 40) -> bool:
    """Take the collect lock, waiting out brief holders (a status check holds it for an instant)."""
    for _ in range(attempts):
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            time.sleep(0.05)
    return False


def _load_state(folder: Path) -> dict:
    path = folder / "state.json"
    if not path.is_file():
        return {"consumed": {}, "batches": []}
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise MonitorError(f"{path} is damaged ({exc}). Restore it from a backup; deleting it "
                           "would collect every log again and duplicate the tables.") from exc


def _save_state(folder: Path, state: dict) -> None:
    write_atomic(folder / "state.json", json.dumps(state))


def _new_chunks(readers: list[UsageSource], state: dict) -> list[Chunk]:
    chunks = []
    for reader in readers:
        for path, size in reader.files():
            key = f"{reader.key}:{reader.key_of(path)}"
            start = state["consumed"].get(key, 0)
            if size > start:
                end = reader.end_of_records(path, start, size)
                if end > start:
                    chunks.append(Chunk(key, path, start, end))
    return chunks


def _copy(readers: list[UsageSource], chunks: list[Chunk], target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    by_key = {r.key: r for r in readers}
    for number, chunk in enumerate(chunks):
        reader, staged = by_key[chunk.key.split(":", 1)[0]], target / f"part-{number:05d}.jsonl"
        if reader.link(chunk.path, chunk.start, chunk.end, staged):
            continue  # a sealed file taken whole: linked, not copied
        with open(staged, "wb") as out:
            reader.read(chunk.path, chunk.start, chunk.end, out)


def _logs_for_spark(spark, staged: Path, written: str) -> str:
    """Where Spark reads the staged logs: where they lie when it runs beside the app, else a copy
    streamed to ``<written>/logs`` under the warehouse (deleted with ``written``)."""
    if beside_app(spark):
        return str(staged)
    for path in sorted(staged.glob("*.jsonl")):
        upload(path, f"{written}/logs/{path.name}")
    return f"{written}/logs"


def _commit(settings: Settings, folder: Path, staging: Path) -> None:
    """Move the staged Parquet files into the tables and record the ranges, atomically enough:
    a crash part-way is finished by the next run (_roll_forward)."""
    written = _written(settings, staging.name)
    with workspace_lock(settings.workspace):
        for table in (REQUESTS, INPUTS):
            for name, is_folder in list_dir(f"{written}/{table}"):
                if not is_folder and name.endswith(".parquet"):
                    move(f"{written}/{table}/{name}",
                         location(settings.workspace, table, f"{staging.name}-{name}"))
        state = _load_state(folder)
        if staging.name not in state["batches"]:
            for chunk in json.loads((staging / "pending.json").read_text()):
                state["consumed"][chunk["key"]] = max(state["consumed"].get(chunk["key"], 0),
                                                      chunk["end"])
            types = staging / "types.json"
            if types.is_file():  # the first type a column was written with stays its type
                state["types"] = {**json.loads(types.read_text()), **state.get("types", {})}
            state["batches"] = (state["batches"] + [staging.name])[-1000:]
            _save_state(folder, state)
    delete(written)
    shutil.rmtree(staging, ignore_errors=True)


def _written(settings: Settings, batch: str) -> str:
    """Where Spark writes one batch's Parquet before it joins the tables."""
    return location(settings.workspace, STATE_DIR, batch)


def _roll_forward(settings: Settings, folder: Path) -> None:
    """Finish a run that stopped after its tables were written; drop one that stopped before."""
    for staging in sorted((folder / "staging").glob("c*")):
        if (staging / "complete").is_file():
            _commit(settings, folder, staging)
        else:
            delete(_written(settings, staging.name))
            shutil.rmtree(staging, ignore_errors=True)
