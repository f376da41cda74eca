"""Benchmark: collect, drift statistics and the drift classifier at scale, on local[2].

1. Prepare the bundled data (temporal split), train the default forest, and write N logged
   requests (10 rows each) by resampling the operations part, with drift injected that grows
   over 5 simulated days (older clients, more retirees), scored by the real compiled model, in
   the exact usage-log format the endpoint writes.
2. In a fresh driver process per size (so its peak memory reflects only this work): time
   ``collect`` (log → model_requests/model_inputs), every per-feature drift statistic of the
   rows vs the ~33k-row training table in daily windows, and the drift classifier on 100,000
   rows in 5 windows. Sizes: 100k, 1M and 10M rows (``--quick`` skips 10M).
3. Baselines in the same run, in their own virtualenv (bench/.venv-baselines, created on first
   run): Evidently 0.7's DataDriftPreset on the same 1M rows, and NannyML's domain classifier
   (5 folds, as opml's) on the same 100k rows and windows; ratios and per-window AUC
   differences are printed. Targets: classifier ≤ 0.5× NannyML's time, drift ≤ 0.5×
   Evidently's, collect of 10M rows ≤ 60 s with the driver's memory flat.

Last line: RESULT classifier_100k_s=… nannyml_100k_s=… drift_1m_s=… evidently_1m_s=…
collect_1m_s=… collect_10m_s=… driver_rss_mb=…
Run: .venv/bin/python bench/monitor.py [--quick] [--no-baselines]
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROWS_PER_REQUEST = 10
DAYS = 5
CLASSIFIER_ROWS = 100_000
START = datetime(2026, 6, 1, tzinfo=timezone.utc)
BASELINE_VENV = ROOT / "bench" / ".venv-baselines"


def setup(work: Path):
    """Prepare and train once; return settings and the model's bundle folder."""
    from opml_core.config import load_settings
    from opml_core.data import PrepareSpec, SplitSpec, load_bundled, prepare_tables
    from opml_core.scoring.bundle import cached_bundle
    from opml_core.spark import get_spark
    from opml_core.train import TrainSpec, train_and_log

    settings = load_settings(home=work / "ws", spark_master="local[2]")
    spark = get_spark(settings)
    data = load_bundled(spark)
    features = [c for c in data.columns if c not in ("y", "duration")]
    prepare_tables(spark, settings.workspace, data, PrepareSpec(
        "y", "yes", features, "bank_train", "bank_ops", SplitSpec("temporal", 0.2)))
    trained = train_and_log(spark, settings, TrainSpec("bank_train", params={"numTrees": 50}))
    return settings, cached_bundle(settings, trained.model_name, trained.version)


def generate(settings, bundle: Path, rows: int, folder: str, seed: int = 11) -> Path:
    """Write `rows` logged rows (usage-log format) for deployment `folder`; return a parquet copy."""
    import numpy as np
    import pandas as pd
    import pyarrow.dataset as ds

    from opml_core.scoring.engines import load_scorer
    from opml_core.serve.usage_log import UsageLog

    scorer = load_scorer(bundle)
    inputs = scorer.meta.inputs
    ops = ds.dataset(str(settings.workspace.warehouse / "bank_ops")).to_table(
        columns=inputs.names).to_pandas().rename(columns={c.name: c.display for c in inputs.columns})
    rng = np.random.default_rng(seed)
    log = UsageLog(settings.workspace.usage, folder)
    log.describe(scorer.meta)
    requests = rows // ROWS_PER_REQUEST
    per_day = requests // DAYS
    written, parts = 0, []
    for day in range(DAYS):
        sample = ops.iloc[rng.integers(0, len(ops), per_day * ROWS_PER_REQUEST)].reset_index(drop=True)
        older = rng.random(len(sample)) < 0.08 * day  # drift grows day by day
        sample.loc[older, "age"] = sample.loc[older, "age"] + 12
        retired = rng.random(len(sample)) < 0.05 * day
        sample.loc[retired, "job"] = "retired"
        records = sample.to_dict("records")
        for start in range(0, len(records), 20_000):
            batch = records[start:start + 20_000]
            result = scorer.score_records(batch, max_rows=len(batch))
            predictions = result.predictions()
            for r in range(0, len(batch), ROWS_PER_REQUEST):
                when = START + timedelta(days=day, seconds=int(86_400 * (start + r) / len(records)))
                stamp = when.isoformat(timespec="seconds")
                log.write({"request_id": f"b{folder}{written:09d}", "time": stamp, "event_time": stamp,
                           "deployment": folder, "model": scorer.meta.name,
                           "version": scorer.meta.version, "route": "score", "status": 200,
                           "latency_ms": 0.3, "rows": ROWS_PER_REQUEST, "error": None, "warnings": [],
                           "extra_fields": False, "inputs": batch[r:r + ROWS_PER_REQUEST],
                           "outputs": predictions[r:r + ROWS_PER_REQUEST]})
                written += 1
        sample["day"] = day
        parts.append(sample)
    log.close()
    out = settings.workspace.root / f"{folder}-current.parquet"
    pd.concat(parts).to_parquet(out)
    return out


def measure(home: str, deployment: str, classifier_rows: int) -> dict:
    """Run in a fresh process: collect, drift, classifier; report seconds and peak RSS."""
    from pyspark.sql import functions as F

    from opml_core.config import load_settings
    from opml_core.monitor import context as ctx
    from opml_core.monitor.calculator import DriftCalculator
    from opml_core.monitor.classifier import classify_drift
    from opml_core.monitor.windows import window_start
    from opml_core.spark import get_spark
    from opml_core.usage import collect_usage

    settings = load_settings(home=home, spark_master="local[2]")
    spark = get_spark(settings)
    spark.range(10).count()  # JVM warm, so the figures below are the work itself
    out = {}
    clock = time.perf_counter()
    collected = collect_usage(spark, settings)
    out["collect_s"], out["collected_rows"] = time.perf_counter() - clock, collected.rows
    _, inputs = ctx.usage_frames(spark, settings, deployment)
    model = ctx.model_context(settings, *ctx.latest_version(inputs))
    reference = ctx.reference_frame(spark, settings, model)
    current = inputs.withColumn("window", window_start(F.col("event_time"), "1d"))
    clock = time.perf_counter()
    drift = DriftCalculator(model.features).fit(reference).calculate(current, "window", "1d")
    out["drift_s"] = time.perf_counter() - clock
    out["drift_values"] = len(drift.values)
    out["score_top"] = [(v.feature, round(v.value, 3)) for v in drift.ranking()[:3]]
    from pyspark.sql import Window

    first = Window.partitionBy("window").orderBy("request_id", "row_index")  # the same rows NannyML gets
    sample = (current.withColumn("__n", F.row_number().over(first))
              .where(F.col("__n") <= classifier_rows // DAYS).drop("__n").cache())
    sample.count()
    clock = time.perf_counter()
    verdict = classify_drift(reference, sample, model.card, model.importances)
    out["classifier_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    classify_drift(reference, sample, model.card, model.importances)
    out["classifier_again_s"] = time.perf_counter() - clock  # the JVM's code is warm now
    out["classifier_auc"] = [round(v.auc, 4) for v in verdict.windows]
    out["classifier_band"] = [round(x, 3) for x in verdict.band]
    out["classifier_top"] = list(verdict.importances)[:3]
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so this process would
    # report the peak of the parent that generated the rows
    out["driver_rss_mb"] = _status_mb("self", "VmHWM")
    out["jvm_rss_mb"] = _status_mb(spark.sparkContext._gateway.proc.pid, "VmRSS")
    return out


def _status_mb(pid, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def baselines(reference: Path, current: Path) -> dict:
    """Evidently and NannyML in their own virtualenv, on the same files."""
    python = BASELINE_VENV / "bin" / "python"
    if not python.exists():
        print("creating bench/.venv-baselines (Evidently 0.7, NannyML)…", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(BASELINE_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "evidently==0.7.23",
                        "nannyml==0.13.1", "pandas==2.3.3"], check=True)
    result = subprocess.run([str(python), str(ROOT / "bench" / "monitor_baselines.py"),
                             str(reference), str(current), str(CLASSIFIER_ROWS)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_measure(home: Path, deployment: str) -> dict:
    result = subprocess.run([sys.executable, __file__, "--measure", str(home), deployment],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    if "--measure" in sys.argv:
        home, deployment = sys.argv[sys.argv.index("--measure") + 1:][:2]
        print(json.dumps(measure(home, deployment, CLASSIFIER_ROWS), default=str))
        return
    sizes = [100_000, 1_000_000] + ([] if "--quick" in sys.argv else [10_000_000])
    work = Path(tempfile.mkdtemp(prefix="opml-bench-monitor-"))
    print(f"preparing the bundled data and training the forest in {work}…", flush=True)
    settings, bundle = setup(work)
    random.seed(1)
    figures = {}
    for rows in sizes:
        home = work / f"ws-{rows}"
        subprocess.run(["cp", "-r", str(settings.workspace.root), str(home)], check=True)
        from opml_core.config import load_settings

        sized = load_settings(home=home, spark_master="local[2]")
        clock = time.perf_counter()
        current = generate(sized, bundle, rows, "bench")
        print(f"{rows:>10,} rows: generated the usage log in {time.perf_counter() - clock:.1f} s",
              flush=True)
        figures[rows] = run_measure(home, "bench")
        f = figures[rows]
        print(f"{rows:>10,} rows: collect {f['collect_s']:6.2f} s  drift {f['drift_s']:6.2f} s "
              f"({f['drift_values']} values)  classifier on {CLASSIFIER_ROWS:,} rows "
              f"{f['classifier_s']:6.2f} s (again: {f['classifier_again_s']:.2f} s)  "
              f"driver peak RSS {f['driver_rss_mb']:.0f} MB, JVM RSS {f['jvm_rss_mb']:.0f} MB", flush=True)
        print(f"            top drift score {f['score_top']}; classifier AUC per window {f['classifier_auc']} "
              f"(chance band {f['classifier_band']}), giveaways {f['classifier_top']}", flush=True)
        if rows == 1_000_000:
            reference_file = home / "reference.parquet"
            _export_reference(home, reference_file)
            million = (reference_file, current)
    big = figures[1_000_000]
    base = {"evidently_s": float("nan"), "nannyml_s": float("nan")}
    if "--no-baselines" not in sys.argv:
        base = baselines(*million)
        print(f"Evidently DataDriftPreset on 1M rows: {base['evidently_s']:.1f} s "
              f"(opml drift {big['drift_s']:.1f} s: {base['evidently_s'] / big['drift_s']:.1f}× faster)")
        ratio = base["nannyml_s"] / big["classifier_s"]
        speed = f"{ratio:.1f}× faster" if ratio >= 1 else f"NannyML {1 / ratio:.1f}× faster"
        print(f"NannyML domain classifier, 100k rows in 5 chunks: {base['nannyml_s']:.1f} s, AUC "
              f"{base['nannyml_auc']} (opml {big['classifier_s']:.1f} s, warm {big['classifier_again_s']:.1f} s: "
              f"{speed}; AUC differences "
              f"{[round(a - b, 3) for a, b in zip(big['classifier_auc'], base['nannyml_auc'])]})")
    growth = big["driver_rss_mb"] / figures[100_000]["driver_rss_mb"]
    print(f"driver peak RSS: {figures[100_000]['driver_rss_mb']:.0f} MB at 100k rows, "
          f"{big['driver_rss_mb']:.0f} MB at 1M rows ({growth:.2f}×)")
    if 10_000_000 in figures:
        ten = figures[10_000_000]
        print(f"10M rows: collect {ten['collect_s']:.1f} s ({ten['collect_s'] / big['collect_s']:.1f}× the 1M "
              f"time), drift {ten['drift_s']:.1f} s ({ten['drift_s'] / big['drift_s']:.1f}×), driver peak RSS "
              f"{ten['driver_rss_mb']:.0f} MB ({ten['driver_rss_mb'] / big['driver_rss_mb']:.2f}× the 1M peak)")
    ten = figures.get(10_000_000)
    rss = max(f["driver_rss_mb"] for f in figures.values())
    print(f"RESULT classifier_100k_s={big['classifier_s']:.1f} nannyml_100k_s={base['nannyml_s']:.1f} "
          f"drift_1m_s={big['drift_s']:.1f} evidently_1m_s={base['evidently_s']:.1f} "
          f"collect_1m_s={big['collect_s']:.1f} "
          f"collect_10m_s={'skipped' if ten is None else format(ten['collect_s'], '.1f')} "
          f"driver_rss_mb={rss:.0f}")


def _export_reference(home: Path, target: Path) -> None:
    import pyarrow.dataset as ds

    from opml_core.config import Workspace
    from opml_core.data.tables import read_card

    card = read_card(Workspace(home), "bank_train")
    table = ds.dataset(str(home / "warehouse" / "bank_train")).to_table(columns=card.features)
    table.rename_columns([card.display(c) for c in card.features]).to_pandas().to_parquet(target)


if __name__ == "__main__":
    main()
