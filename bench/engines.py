"""Benchmark: the monitor pipeline on local[2], a standalone cluster and Spark Connect.

1. Prepare the bundled data, train the default forest and write N logged rows (default 1M, 10
   rows a request, drift growing over 5 days) with ``bench/monitor.py``'s generator, once.
2. Start a standalone master with one worker (2 cores) and a Spark Connect server (local[2]),
   both on 127.0.0.1 from PySpark's own jars (``tests/engines/servers.py``).
3. For each engine, in a fresh copy of the workspace and a fresh driver process: time
   ``collect`` (log → model_requests/model_inputs; over a cluster or Connect the staged logs
   are streamed to the warehouse URI first), every drift statistic in daily windows, and the
   drift classifier on 100,000 rows; the driver's peak RSS (the Python process; a classic
   engine's JVM driver is reported beside it). Target: the cluster and Connect within 1.5× of
   local[2], driver flat.

Last line: RESULT local_s=… cluster_s=… connect_s=… cluster_ratio=… connect_ratio=… driver_rss_mb=…
Run: .venv/bin/python bench/engines.py [--rows N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.monitor import CLASSIFIER_ROWS, DAYS, _status_mb, generate, setup  # noqa: E402

DEPLOYMENT = "bench"


def measure(home: str, master: str, classifier_rows: int) -> dict:
    """In a fresh process: collect, drift and classifier on one engine; seconds and peak RSS."""
    from pyspark.sql import functions as F

    from opml_core.config import load_settings
    from opml_core.monitor import context as ctx
    from opml_core.monitor.calculator import DriftCalculator
    from opml_core.monitor.classifier import classify_drift
    from opml_core.monitor.windows import window_start
    from opml_core.spark import get_spark
    from opml_core.usage import collect_usage

    settings = load_settings(home=home, spark_master=master)
    spark = get_spark(settings)
    spark.range(10).count()  # session up, so the figures below are the work itself
    out = {}
    started = clock = time.perf_counter()
    out["collected_rows"] = collect_usage(spark, settings).rows
    out["collect_s"] = time.perf_counter() - clock
    _, inputs = ctx.usage_frames(spark, settings, DEPLOYMENT)
    model = ctx.model_context(settings, *ctx.latest_version(inputs))
    reference = ctx.reference_frame(spark, settings, model)
    current = inputs.withColumn("window", window_start(F.col("event_time"), "1d"))
    clock = time.perf_counter()
    drift = DriftCalculator(model.features).fit(reference).calculate(current, "window", "1d")
    out["drift_s"], out["drift_values"] = time.perf_counter() - clock, len(drift.values)
    from pyspark.sql import Window

    first = Window.partitionBy("window").orderBy("request_id", "row_index")
    sample = (current.withColumn("__n", F.row_number().over(first))
              .where(F.col("__n") <= classifier_rows // DAYS).drop("__n"))
    clock = time.perf_counter()
    verdict = classify_drift(reference, sample, model.card, model.importances)
    out["classifier_s"] = time.perf_counter() - clock
    out["total_s"] = time.perf_counter() - started
    out["classifier_auc"] = [round(v.auc, 4) for v in verdict.windows]
    out["score_top"] = [(v.feature, round(v.value, 4)) for v in drift.ranking()[:3]]
    out["driver_rss_mb"] = _status_mb("self", "VmHWM")
    if not master.startswith("sc://"):
        out["jvm_rss_mb"] = _status_mb(spark.sparkContext._gateway.proc.pid, "VmRSS")
    spark.stop()
    return out


def run_measure(template: Path, home: Path, master: str) -> dict:
    shutil.copytree(template, home)
    done = subprocess.run([sys.executable, __file__, "--measure", str(home), master],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"measuring on {master} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--measure", nargs=2, metavar=("HOME", "MASTER"))
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure, min(CLASSIFIER_ROWS, args.rows)), default=str))
        return
    from tests.engines.servers import start_connect, start_standalone

    work = Path(tempfile.mkdtemp(prefix="opml-bench-engines-"))
    print(f"preparing, training and logging {args.rows:,} rows in {work}…", flush=True)
    settings, bundle = setup(work)
    clock = time.perf_counter()
    generate(settings, bundle, args.rows, DEPLOYMENT)
    print(f"generated the usage log in {time.perf_counter() - clock:.1f} s", flush=True)
    from opml_core.spark import get_spark

    get_spark(settings).stop()  # this process's Spark is done; the engines get the cores
    template = settings.workspace.root
    figures, servers = {}, []
    try:
        figures["local"] = run_measure(template, work / "ws-local", "local[2]")
        cluster = start_standalone(work / "standalone")
        servers.append(cluster)
        figures["cluster"] = run_measure(template, work / "ws-cluster", cluster.url)
        cluster.stop()
        connect = start_connect(work / "connect")
        servers.append(connect)
        figures["connect"] = run_measure(template, work / "ws-connect", connect.url)
    finally:
        for server in servers:
            server.stop()
    for name, f in figures.items():
        print(f"{name:>8}: collect {f['collect_s']:6.2f} s  drift {f['drift_s']:6.2f} s  classifier "
              f"{f['classifier_s']:6.2f} s  total {f['total_s']:6.2f} s  ({f['collected_rows']:,} rows; "
              f"driver peak RSS {f['driver_rss_mb']:.0f} MB"
              + (f", JVM {f['jvm_rss_mb']:.0f} MB" if "jvm_rss_mb" in f else "") + ")", flush=True)
        print(f"          top drift {f['score_top']}  classifier AUC {f['classifier_auc']}", flush=True)
    local = figures["local"]["total_s"]
    cluster, connect = figures["cluster"]["total_s"], figures["connect"]["total_s"]
    rss = max(f["driver_rss_mb"] for f in figures.values())
    print(f"RESULT local_s={local:.1f} cluster_s={cluster:.1f} connect_s={connect:.1f} "
          f"cluster_ratio={cluster / local:.2f} connect_ratio={connect / local:.2f} driver_rss_mb={rss:.0f}")


if __name__ == "__main__":
    main()
