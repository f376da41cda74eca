"""The opml loop on one Spark engine, in a process of its own, printing its figures.

``python -m tests.engines.journey --home DIR --master URL [--warehouse URI]`` prepares a seeded
sample of the bundled Bank Marketing data, trains a small forest, registers it, deploys it as a
local endpoint, simulates a fixed month of traffic, collects it, reveals the outcomes, corrects
the first week's with a labels file and runs the monitor with the drift classifier. The last line
printed is ``FIGURES {json}``: the model's AUC, every drift statistic, the classifier's AUCs, the
collected and labelled counts, the realized performance per window, and how many files ended up
in the workspace's own ``warehouse/`` folder (none when ``--warehouse`` points elsewhere: nothing
was read or written there by path), for the engine tests to compare across engines.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

SAMPLE_FRACTION = 0.08
TINY_FOREST = {"numTrees": 10, "maxDepth": 5}
DEPLOYMENT = "bank-engines"
MARK = "FIGURES "
CORRECTED_BEFORE = "2026-01-08"  # the labels file corrects the outcomes of requests before this
CLASSES = ("no", "yes")


def run_journey(settings) -> dict:
    """Every step of the loop on ``settings``' engine; returns the figures to compare."""
    from dataclasses import replace

    from opml_core.client import EndpointClient
    from opml_core.data import load_bundled, prepare_tables
    from opml_core.deploy import get_target
    from opml_core.monitor.labels import add_labels_file, reveal_outcomes
    from opml_core.monitor.report import run_monitor
    from opml_core.predict import SimulationSpec, endpoint_sender, simulate_traffic
    from opml_core.spark import get_spark
    from opml_core.train import TrainSpec, train_and_log
    from opml_core.usage import collect_usage
    from tests.conftest import bank_spec

    spark = get_spark(settings)
    bank = load_bundled(spark, workspace=settings.workspace)
    sample = replace(bank, df=bank.df.sample(fraction=SAMPLE_FRACTION, seed=7))
    prepare_tables(spark, settings.workspace, sample, bank_spec())
    trained, progress = _watching_progress(
        spark, lambda: train_and_log(spark, settings, TrainSpec("bank_train", params=TINY_FOREST)))
    target = get_target("local", settings)
    info = target.deploy(DEPLOYMENT, trained.model_name, trained.version)
    try:
        keys = target.keys(DEPLOYMENT)
        send = endpoint_sender(EndpointClient(info.scoring_uri, keys.primary if keys.required else None))
        spec = SimulationSpec(days=20, requests_per_day=15, min_rows=1, max_rows=4,
                              start=datetime(2026, 1, 1, tzinfo=timezone.utc))
        simulated = simulate_traffic(send, settings.workspace, DEPLOYMENT, "bank_ops",
                                     target.model_info(DEPLOYMENT).inputs, spec)
        first = collect_usage(spark, settings)
        again = collect_usage(spark, settings)
    finally:
        target.delete(DEPLOYMENT)
    revealed = reveal_outcomes(spark, settings, DEPLOYMENT)
    corrected = add_labels_file(spark, settings, DEPLOYMENT, _corrections(spark, settings),
                                "corrections.csv", "request_id", "outcome", CLASSES)
    report = run_monitor(spark, settings, DEPLOYMENT, "7d", classifier=True)
    figures = _figures(settings, trained, simulated, (first, again), (revealed, corrected), report)
    return {**figures, "progress_seen": progress}


def _watching_progress(spark, work):
    """Run ``work`` while polling Spark's progress as the app's progress bars do; (its result,
    whether any running tasks were reported)."""
    from opml_core.spark import spark_progress

    seen, stop = [], threading.Event()

    def poll():
        while not stop.is_set():
            progress = spark_progress(spark)
            if progress is not None and progress.total:
                seen.append(progress.total)
            stop.wait(0.05)
    spark_progress(spark)  # ready before the work starts
    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        return work(), bool(seen)
    finally:
        stop.set()
        watcher.join(timeout=5)


def _corrections(spark, settings) -> bytes:
    """A labels file keyed by request id: each request of the first week with the opposite of the
    outcome revealed for its first row (late corrections), as CSV."""
    from pyspark.sql import functions as F

    from opml_core.monitor.context import read_usage_table
    from opml_core.monitor.labels import labels_frame
    from opml_core.usage import REQUESTS

    first_week = read_usage_table(spark, settings, REQUESTS).where(
        F.col("event_time") < F.lit(CORRECTED_BEFORE).cast("timestamp")).select("request_id")
    flipped = F.when(F.col("actual") == CLASSES[1], CLASSES[0]).otherwise(CLASSES[1])
    rows = (first_week.join(labels_frame(spark, settings).where("row_index = 0"), "request_id")
            .select("request_id", flipped.alias("outcome")).orderBy("request_id").collect())
    return ("request_id,outcome\n" + "".join(f"{r[0]},{r[1]}\n" for r in rows)).encode()


def _files_under(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _figures(settings, trained, simulated, collected, labelled, report) -> dict:
    (first, again), (revealed, corrected) = collected, labelled
    drift = report.drift
    local = _files_under(settings.workspace.warehouse)
    return {
        "engine": os.environ.get("OPML_SPARK_MASTER", ""),
        "warehouse": settings.warehouse,
        "local_warehouse_files": len(local), "local_warehouse_examples": local[:5],
        "roc_auc": trained.evaluation.roc_auc,
        "scorer": trained.model_uri,
        "simulated_rows": simulated.rows, "failed": simulated.failed,
        "collected": [first.requests, first.rows], "collected_again": [again.requests, again.rows],
        "labels": [revealed.labelled_rows, corrected.labelled_rows, corrected.total_labels],
        "drift": sorted([v.feature, v.method, v.window.isoformat() if v.window else "", v.value]
                        for v in drift.values) if drift else None,
        "classifier": [[str(w.window), w.auc, w.rows] for w in report.classifier.windows]
        if report.classifier else None,
        "performance": [[str(w["window"]), w["rows"], w["labelled"], w["realized"]]
                        for w in report.performance.per_window] if report.performance else None,
        "problems": report.problems,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--master", required=True)
    parser.add_argument("--mlflow-template", required=True)
    parser.add_argument("--warehouse", help="the warehouse URI (default: the workspace's folder)")
    args = parser.parse_args(argv)
    os.environ["OPML_SPARK_MASTER"] = args.master
    from tests.conftest import make_settings

    settings = make_settings(args.home, args.mlflow_template).model_copy(
        update={"spark_master": args.master, "spark_shuffle_partitions": 4,
                "warehouse_uri": args.warehouse})
    figures = run_journey(settings)
    print(MARK + json.dumps(figures, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
