"""Benchmark: prepare the full bundled data, train, evaluate, log and register, on local[2].

Prints each phase's seconds and the test ROC AUC for a Random Forest (50 trees, depth 8) on a
seeded random 80/20 split with `duration` left out, then the same for Gradient-Boosted Trees
and for a temporal split. The baseline, measured in the same run, is MLflow's default way of
logging the same Spark model (`mlflow.spark.log_model` inferring its requirements). The last
line is `RESULT spark_start_s=… prepare_s=… fit_s=… log_register_s=… auc=…`.

Run: `make bench` or `.venv/bin/python bench/train.py`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from opml_core.config import load_settings  # noqa: E402
from opml_core.data import PrepareSpec, SplitSpec, load_bundled, prepare_tables  # noqa: E402
from opml_core.spark import get_spark  # noqa: E402
from opml_core.tracking import connect  # noqa: E402
from opml_core.train import TrainSpec, train_and_log  # noqa: E402

FOREST = {"numTrees": 50, "maxDepth": 8}


def first_page_seconds() -> tuple[float, bool]:
    """Render the home page in a fresh process; report seconds and whether Spark started."""
    script = ("import time; t = time.perf_counter()\n"
              "from streamlit.testing.v1 import AppTest\n"
              "at = AppTest.from_file('app.py', default_timeout=60).run()\n"
              "import opml_core.spark as s\n"
              "print(time.perf_counter() - t, s.spark_is_running())")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    return float(out[0]), out[1] == "True"


def baseline_log_seconds(model, settings) -> float:
    """MLflow's default: log_model with requirements inferred, plus registration."""
    import mlflow
    import mlflow.spark

    connect(settings)
    clock = time.perf_counter()
    with mlflow.start_run(run_name="baseline: inferred requirements"):
        mlflow.spark.log_model(model, artifact_path="model", registered_model_name="baseline")
    return time.perf_counter() - clock


def main() -> None:
    page_s, spark_started = first_page_seconds()
    print(f"first page rendered in {page_s:.2f} s; Spark started for it: {spark_started}")

    home = Path(tempfile.mkdtemp(prefix="opml-bench-"))
    settings = load_settings(home=home, spark_master="local[2]")
    clock = time.perf_counter()
    spark = get_spark(settings)
    spark_start = time.perf_counter() - clock
    print(f"spark start          {spark_start:7.2f} s")

    clock = time.perf_counter()
    connect(settings)
    print(f"mlflow store init    {time.perf_counter() - clock:7.2f} s  (new SQLite store, once per workspace)")

    features = None
    results = {}
    for split in (SplitSpec("random", 0.2, seed=42), SplitSpec("temporal", 0.2)):
        clock = time.perf_counter()
        data = load_bundled(spark)
        features = [c for c in data.columns if c not in ("y", "duration")]
        spec = PrepareSpec("y", "yes", features, f"bank_{split.kind}_train",
                           f"bank_{split.kind}_ops", split)
        prepare_tables(spark, settings.workspace, data, spec)
        prepare_s = time.perf_counter() - clock
        for kind, params in (("random_forest", FOREST), ("gbt", {})):
            result = train_and_log(spark, settings, TrainSpec(spec.training_table, kind, params))
            t = result.timings
            results[(split.kind, kind)] = (prepare_s, result)
            print(f"{split.kind:8} {kind:14} prepare {prepare_s:5.2f} s  fit {t['fit_s']:6.2f} s  "
                  f"evaluate {t['evaluate_s']:5.2f} s  log+register {t['log_register_s']:5.2f} s  "
                  f"ROC AUC {result.evaluation.roc_auc:.4f}  PR AUC {result.evaluation.pr_auc:.4f}")

    prepare_s, forest = results[("random", "random_forest")]
    import mlflow.spark

    model = mlflow.spark.load_model(forest.model_uri)
    base = baseline_log_seconds(model, settings)
    ours = forest.timings["log_register_s"]
    print(f"baseline log_model (inferred requirements) + register: {base:.2f} s; "
          f"opml: {ours:.2f} s; {base / ours:.1f}x faster")
    print(f"RESULT spark_start_s={spark_start:.2f} prepare_s={prepare_s:.2f} "
          f"fit_s={forest.timings['fit_s']:.2f} log_register_s={ours:.2f} "
          f"auc={forest.evaluation.roc_auc:.4f}")


if __name__ == "__main__":
    main()
