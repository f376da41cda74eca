"""Collect: usage logs become table rows exactly once, whatever happens around it."""

import json
import os

import pytest

from opml_core import usage
from opml_core.errors import MonitorError
from opml_core.monitor.context import read_usage_table
from opml_core.usage import collect as collecting
from opml_core.usage import collect_usage
from opml_core.usage import tables
from tests.monitor.conftest import copy_workspace, table_rows, write_usage


@pytest.fixture
def logged(trained_settings, tmp_path):
    """A fresh copy of the trained workspace with 60 rows of usage logged for 'collector'."""
    settings = copy_workspace(trained_settings, tmp_path / "ws")
    rows = table_rows(settings, "bank_ops")[:60]
    write_usage(settings, "collector", [rows[:30], rows[30:]])
    return settings


def spark_away_from_the_app(monkeypatch) -> list[str]:
    """Make collect treat Spark as a cluster or Spark Connect would be (unable to see the app's
    disk); returns where Spark is then told to read the staged logs, one entry per collect."""
    read = []
    build = tables.build_tables

    def spy(spark, logs, *rest):
        read.append(logs)
        return build(spark, logs, *rest)
    monkeypatch.setattr(collecting, "beside_app", lambda session: False)
    monkeypatch.setattr(tables, "build_tables", spy)
    return read


def batch_folders(settings) -> list[str]:
    """What is left under the warehouse's _collect/ folder (each batch's Parquet and log copy)."""
    folder = settings.workspace.warehouse / usage.STATE_DIR
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def all_rows(spark, settings, table) -> list[str]:
    return sorted(map(str, read_usage_table(spark, settings, table).collect()))


def counts(spark, settings):
    requests = read_usage_table(spark, settings, usage.REQUESTS)
    inputs = read_usage_table(spark, settings, usage.INPUTS)
    return (requests.count() if requests else 0, inputs.count() if inputs else 0)


def test_collect_adds_requests_and_rows_with_readable_typed_columns(spark, logged):
    result = collect_usage(spark, logged)
    assert (result.requests, result.rows) == (12, 60)
    inputs = read_usage_table(spark, logged, usage.INPUTS)
    types = dict(inputs.dtypes)
    assert types["emp.var.rate"] == "double" and types["job"] == "string"
    assert types["probability"] == "double" and types["event_time"] == "timestamp"
    assert inputs.where("`emp.var.rate` IS NULL").count() == 0


def test_a_second_collect_adds_nothing(spark, logged):
    collect_usage(spark, logged)
    again = collect_usage(spark, logged)
    assert again.requests == 0 and counts(spark, logged) == (12, 60)


def test_lines_written_after_a_collect_are_taken_next_time_and_partial_lines_wait(spark, logged):
    collect_usage(spark, logged)
    log = next(logged.workspace.usage.glob("collector/date=*/hour=*/*.jsonl"))
    record = json.loads(log.read_bytes().splitlines()[0])
    extra = json.dumps({**record, "request_id": "late-1"}).encode()
    with open(log, "ab") as handle:
        handle.write(extra + b"\n" + extra[:40])  # one whole line, one still being written
    assert collect_usage(spark, logged).requests == 1
    with open(log, "ab") as handle:
        handle.write(extra[40:].replace(b"late-1", b"late-2") + b"\n")
    assert collect_usage(spark, logged).requests == 1
    assert counts(spark, logged)[0] == 14


@pytest.mark.parametrize("away", [False, True], ids=["beside the app", "away from the app"])
def test_a_collect_that_stopped_after_writing_is_finished_by_the_next(spark, logged, monkeypatch, away):
    if away:
        spark_away_from_the_app(monkeypatch)
    with monkeypatch.context() as patched:
        patched.setattr(collecting, "_commit", lambda *a: (_ for _ in ()).throw(RuntimeError("power cut")))
        with pytest.raises(RuntimeError):
            collect_usage(spark, logged)
    assert len(batch_folders(logged)) == 1  # written, not yet in the tables
    assert collect_usage(spark, logged).requests == 0  # rolled forward, nothing read twice
    assert counts(spark, logged) == (12, 60) and batch_folders(logged) == []


def test_a_collect_away_from_the_app_that_stopped_before_writing_is_dropped_with_its_log_copy(
        spark, logged, monkeypatch):
    spark_away_from_the_app(monkeypatch)
    with monkeypatch.context() as patched:
        patched.setattr(tables, "build_tables", lambda *a: (_ for _ in ()).throw(RuntimeError("power cut")))
        with pytest.raises(RuntimeError):
            collect_usage(spark, logged)
    [batch] = batch_folders(logged)
    copied = logged.workspace.warehouse / usage.STATE_DIR / batch / "logs"
    staged = logged.workspace.usage / usage.STATE_DIR / "staging" / batch / "logs"
    assert [(p.name, p.read_bytes()) for p in sorted(copied.iterdir())] == \
        [(p.name, p.read_bytes()) for p in sorted(staged.iterdir())] != []
    assert collect_usage(spark, logged).requests == 12  # dropped, then taken whole
    assert counts(spark, logged) == (12, 60) and batch_folders(logged) == []


def test_a_second_collect_at_the_same_time_is_refused(spark, logged):
    folder = logged.workspace.usage / usage.STATE_DIR
    with collecting._exclusive(folder):
        assert usage.collect_running(logged)["pid"] > 0
        with pytest.raises(MonitorError, match="A collect is already running"):
            collect_usage(spark, logged)
    assert usage.collect_running(logged) is None
    assert collect_usage(spark, logged).requests == 12


def test_a_moved_workspace_collects_nothing_twice(spark, logged, tmp_path):
    collect_usage(spark, logged)
    moved = copy_workspace(logged, tmp_path / "moved")
    assert collect_usage(spark, moved).requests == 0
    assert counts(spark, moved) == (12, 60)


def test_a_column_keeps_the_type_it_was_first_collected_with(spark, logged):
    from dataclasses import replace

    from opml_core.scoring.inputs import InputSchema
    from opml_core.serve.usage_log import UsageLog

    collect_usage(spark, logged)
    # a second model version that calls the same column text
    from opml_core.scoring.bundle import cached_bundle
    from opml_core.scoring.engines import load_scorer

    original = load_scorer(cached_bundle(logged, "opml-model", "1")).meta
    textual = InputSchema(tuple(replace(c, kind="categorical") if c.name == "age" else c
                                for c in original.inputs.columns))
    log = UsageLog(logged.workspace.usage, "other")
    log.describe(replace(original, version="9", inputs=textual))
    row = {c.display: (c.levels[0] if c.levels else 1.0) for c in original.inputs.columns}
    log.write({"request_id": "typed-1", "time": "2026-03-03T10:00:00Z", "deployment": "other",
               "model": "opml-model", "version": "9", "route": "score", "status": 200,
               "latency_ms": 1.0, "rows": 1, "inputs": [{**row, "age": "forty"}],
               "outputs": [{"label": "no", "probability": 0.1}]})
    log.close()
    assert collect_usage(spark, logged).rows == 1
    inputs = read_usage_table(spark, logged, usage.INPUTS)
    assert dict(inputs.dtypes)["age"] == "double"
    assert inputs.where("request_id = 'typed-1'").first()["age"] is None


def test_spark_away_from_the_app_reads_a_copy_of_the_logs_under_the_warehouse_and_adds_the_same_rows(
        spark, logged, tmp_path, monkeypatch):
    beside = copy_workspace(logged, tmp_path / "beside")
    assert collect_usage(spark, beside).requests == 12
    read = spark_away_from_the_app(monkeypatch)
    assert collect_usage(spark, logged).requests == 12
    [logs] = read
    assert logs.startswith(f"{logged.warehouse}/{usage.STATE_DIR}/c") and logs.endswith("/logs")
    assert batch_folders(logged) == []  # the copy went with the batch's folder at commit
    for table in (usage.REQUESTS, usage.INPUTS):
        assert all_rows(spark, logged, table) == all_rows(spark, beside, table)
    assert collect_usage(spark, logged).requests == 0 and read == [logs]


def test_rows_read_as_structs_equal_rows_read_as_maps_and_extra_fields_are_kept(spark, logged):
    from opml_core.scoring.bundle import cached_bundle
    from opml_core.scoring.engines import load_scorer
    from opml_core.scoring.payloads import score_body
    from opml_core.serve.handler import answer
    from opml_core.serve.usage_log import UsageLog

    scorer = load_scorer(cached_bundle(logged, "opml-model", "1"))
    rows = [{c.display: (c.levels[n % len(c.levels)] if c.levels else 1.5 + n)
             for c in scorer.meta.inputs.columns} for n in range(3)]
    log = UsageLog(logged.workspace.usage, "marked")
    log.describe(scorer.meta)
    plain = answer(scorer, "score", {}, score_body(rows), deployment="marked", max_rows=10).record
    tagged = answer(scorer, "score", {}, score_body([{**rows[0], "client_id": "c-7"}]),
                    deployment="marked", max_rows=10).record
    assert plain["extra_fields"] is False and tagged["extra_fields"] is True
    unmarked = {k: v for k, v in plain.items() if k != "extra_fields"}  # as older endpoints wrote
    for record, request_id in ((plain, "plain"), (tagged, "tagged"), (unmarked, "unmarked")):
        log.write({**record, "request_id": request_id})
    log.close()
    collect_usage(spark, logged)
    inputs = read_usage_table(spark, logged, usage.INPUTS).where("deployment = 'marked'")
    by_id = {}
    for row in inputs.orderBy("request_id", "row_index").collect():
        by_id.setdefault(row["request_id"], []).append(row.asDict())
    strip = [{k: v for k, v in r.items() if k != "request_id"} for r in by_id["plain"]]
    assert strip == [{k: v for k, v in r.items() if k != "request_id"} for r in by_id["unmarked"]]
    assert by_id["plain"][1]["age"] == rows[1]["age"] and by_id["plain"][0]["extra"] == {}
    assert by_id["tagged"][0]["extra"] == {"client_id": "c-7"}


def test_a_sealed_log_is_linked_into_staging_and_a_live_one_copied(spark, logged, monkeypatch):
    from opml_core.usage.sources import LocalSource

    copied = []
    read = LocalSource.read

    def spy(self, path, start, end, into):
        copied.append(path)
        return read(self, path, start, end, into)
    monkeypatch.setattr(LocalSource, "read", spy)
    log = next(logged.workspace.usage.glob("collector/date=*/hour=*/*.jsonl"))
    assert collect_usage(spark, logged).rows == 60 and copied == []  # closed by its writer: linked
    assert log.stat().st_nlink == 1  # the staging link went with the batch
    record = json.loads(log.read_bytes().splitlines()[0])
    os.chmod(log, 0o600)  # as if its writer were still running
    with open(log, "ab") as handle:
        handle.write(json.dumps({**record, "request_id": "late-1"}).encode() + b"\n")
    assert collect_usage(spark, logged).requests == 1 and copied == [str(log)]
    assert counts(spark, logged) == (13, 65)
