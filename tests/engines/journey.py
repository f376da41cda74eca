"""The opml loop on one Spark engine, in a process of its own, printing its figures.

``python -m tests.engines.journey --home DIR --master URL`` prepares a seeded sample of the
bundled Bank Marketing data, trains a small forest, registers it, deploys it as a local endpoint,
simulates a fixed month of traffic, collects it and runs the monitor with the drift classifier.
The last line printed is ``FIGURES {json}``: the model's AUC, every drift statistic, the
classifier's AUCs and the collected counts, for the engine tests to compare across engines.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timezone

SAMPLE_FRACTION = 0.08
TINY_FOREST = {"numTrees": 10, "maxDepth": 5}
DEPLOYMENT = "bank-engines"
MARK = "FIGURES "


def run_journey(settings) -> dict:
    """Every step of the loop on ``settings``' engine; returns the figures to compare."""
    from dataclasses import replace

    from opml_core.client import EndpointClient
    from opml_core.data import load_bundled, prepare_tables
    from opml_core.deploy import get_target
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
    trained = train_and_log(spark, settings, TrainSpec("bank_train", params=TINY_FOREST))
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
    report = run_monitor(spark, settings, DEPLOYMENT, "7d", classifier=True)
    return _figures(trained, simulated, first, again, report)


def _figures(trained, simulated, first, again, report) -> dict:
    drift = report.drift
    return {
        "engine": os.environ.get("OPML_SPARK_MASTER", ""),
        "roc_auc": trained.evaluation.roc_auc,
        "scorer": trained.model_uri,
        "simulated_rows": simulated.rows, "failed": simulated.failed,
        "collected": [first.requests, first.rows], "collected_again": [again.requests, again.rows],
        "drift": sorted([v.feature, v.method, v.window.isoformat() if v.window else "", v.value]
                        for v in drift.values) if drift else None,
        "classifier": [[str(w.window), w.auc, w.rows] for w in report.classifier.windows]
        if report.classifier else None,
        "problems": report.problems,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--master", required=True)
    parser.add_argument("--mlflow-template", required=True)
    args = parser.parse_args(argv)
    os.environ["OPML_SPARK_MASTER"] = args.master
    from tests.conftest import make_settings

    settings = make_settings(args.home, args.mlflow_template).model_copy(
        update={"spark_master": args.master, "spark_shuffle_partitions": 4})
    figures = run_journey(settings)
    print(MARK + json.dumps(figures, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
