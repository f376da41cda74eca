"""azureml-local's printed usage: whole records are collected once; a record printed in pieces
waits until its last piece is in the log, unless the log has settled without it."""

import os
import time

from opml_core.serve.printed import to_lines
from opml_core.usage import collect_usage
from opml_core.usage.printed import SETTLED_S, log_folder

PREFIX = "2026-12-02 10:00:00,000 I [7] azmlinfsrv.print - "


def record(number: int, rows: int = 1) -> dict:
    return {"request_id": f"p-{number:03d}", "time": "2026-03-01T10:00:00.000Z", "deployment": "printer",
            "model": "m", "version": "1", "route": "score", "status": 200, "latency_ms": 1.0,
            "rows": rows, "error": None, "warnings": [], "inputs": [{"x": "a" * 100}] * rows,
            "outputs": [{"label": "no", "probability": 0.2}] * rows}


def write(log, lines):
    with open(log, "ab") as handle:
        for line in lines:
            handle.write(PREFIX.encode() + line + b"\n")


def collected(spark, settings) -> list[str]:
    from opml_core.monitor.context import read_usage_table

    table = read_usage_table(spark, settings, "model_requests")
    return sorted(r.request_id for r in table.collect()) if table else []


def test_a_record_in_pieces_waits_for_its_last_piece(spark, settings):
    folder = log_folder(settings, "printer")
    folder.mkdir(parents=True)
    log = folder / "server-1.log"
    big = to_lines(record(2, rows=800))
    assert len(big) >= 3
    write(log, [b"azmlinfsrv - Worker ready", *to_lines(record(1)), *big[:2]])
    collect_usage(spark, settings, sources=["printed"])
    assert collected(spark, settings) == ["p-001"]
    write(log, [*big[2:], *to_lines(record(3))])
    collect_usage(spark, settings, sources=["printed"])
    assert collect_usage(spark, settings, sources=["printed"]).requests == 0
    assert collected(spark, settings) == ["p-001", "p-002", "p-003"]


def test_pieces_left_by_a_server_that_died_do_not_hold_back_the_rest(spark, settings):
    folder = log_folder(settings, "printer")
    folder.mkdir(parents=True)
    log = folder / "server-1.log"
    write(log, [*to_lines(record(1)), *to_lines(record(2, rows=800))[:1], *to_lines(record(3))])
    collect_usage(spark, settings, sources=["printed"])
    assert collected(spark, settings) == ["p-001"]
    settled = time.time() - SETTLED_S - 5
    os.utime(log, (settled, settled))
    collect_usage(spark, settings, sources=["printed"])
    assert collected(spark, settings) == ["p-001", "p-003"]
