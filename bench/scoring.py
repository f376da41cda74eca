"""Benchmark: the opml endpoint against `mlflow models serve` and a no-op floor, with wrk.

One run, one machine, one registered Spark model (the Train page's default Random Forest: 100
trees, depth 8, on the bundled data). Three servers answer the same single-row request:

- baseline: `mlflow models serve --env-manager local` (MLflow's own scoring server);
- opml: a local deployment (compiled scorer, key required, every request in the usage log);
- floor: a FastAPI endpoint that parses the body and returns a constant (what HTTP costs).

wrk drives the load (a Python client would be the bottleneck): one connection for latency
(p50/p99 after warm-up), eight connections for 20 s for throughput. Also: a 1,000-row request,
time to ready, server RSS, and parity of probabilities with Spark on all 41,188 rows. Last line:
RESULT p50_ms=… p99_ms=… floor_p50_ms=… base_p50_ms=… speedup=… batch1000_ms=… rps=… floor_rps=…
ready_s=… rss_mb=… parity=…

Run: `.venv/bin/python bench/scoring.py` (needs Debian's wrk: apt-get install -y wrk).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LATENCY_S, THROUGHPUT_S, WARMUP_S = 10, 20, 3
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float, process=None) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return time.perf_counter() - started
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(url)


def wrk(url: str, body: bytes, headers: dict, connections: int, seconds: int, workdir: Path) -> dict:
    script = workdir / f"wrk-{abs(hash((url, connections)))}.lua"
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body.decode())}"]
    lines += [f'wrk.headers["{k}"] = {json.dumps(v)}' for k, v in headers.items()]
    script.write_text("\n".join(lines) + "\n")
    out = subprocess.run(["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d",
                          f"{seconds}s", "--latency", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    percentile = {p: float(v) * UNITS[u] for p, v, u in
                  re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    requests_done = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"p50": percentile["50"], "p99": percentile["99"],
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "requests": requests_done, "errors": int(errors.group(1)) if errors else 0}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def train_model(home: Path):
    from opml_core.config import load_settings
    from opml_core.data import PrepareSpec, SplitSpec, load_bundled, prepare_tables
    from opml_core.spark import get_spark
    from opml_core.train import TrainSpec, train_and_log

    settings = load_settings(home=home, spark_master="local[2]")
    spark = get_spark(settings)
    data = load_bundled(spark)
    features = [c for c in data.columns if c not in ("y", "duration")]
    prepare_tables(spark, settings.workspace, data,
                   PrepareSpec("y", "yes", features, "bank_train", "bank_ops", SplitSpec("random", 0.2)))
    result = train_and_log(spark, settings, TrainSpec("bank_train"))
    return settings, spark, data, result


def parity(spark, data, model_dir: Path) -> float:
    import numpy as np
    from pyspark.ml import PipelineModel
    from pyspark.ml.functions import vector_to_array

    from opml_core.scoring.compile import compile_spark_model

    compiled = compile_spark_model(model_dir / "sparkml")
    expected = (PipelineModel.load(str(model_dir / "sparkml")).transform(data.df)
                .select("opml_row_id", vector_to_array("probability")[1].alias("p"))
                .orderBy("opml_row_id").toPandas())
    inputs = data.df.orderBy("opml_row_id").select(*compiled.columns).toPandas()
    probabilities, _, _ = compiled.score({c: inputs[c].tolist() for c in compiled.columns})
    return float(np.abs(probabilities - expected["p"].to_numpy()).max())


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    import mlflow

    from opml_core.deploy import get_target
    from opml_core.scoring.payloads import invocations_body, score_body
    from opml_core.tracking import connect

    work = Path(tempfile.mkdtemp(prefix="opml-bench-scoring-"))
    print("training the shared model (Random Forest, 100 trees, depth 8)…", flush=True)
    settings, spark, data, trained = train_model(work / "ws")
    connect(settings)
    model_dir = Path(mlflow.artifacts.download_artifacts(trained.model_uri, dst_path=str(work)))
    parity_diff = parity(spark, data, model_dir)
    print(f"parity with Spark on {data.df.count():,} rows: max |Δp| = {parity_diff:.2e}")
    row_safe = data.df.select(*[c for c in data.columns if c not in ("y", "duration")]) \
        .first().asDict()
    spark.stop()
    row = {data.display(k): v for k, v in row_safe.items()}
    base_row = {k: (float(v) if isinstance(v, (int, float)) else v) for k, v in row_safe.items()}

    servers = {}
    try:
        port = free_port()
        servers["baseline"] = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "models", "serve", "-m", str(model_dir), "--env-manager",
             "local", "-p", str(port), "-h", "127.0.0.1"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env={**os.environ, "MLFLOW_TRACKING_URI": settings.tracking_uri,
                                            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
        base_ready = wait_http(f"http://127.0.0.1:{port}/ping", 300, servers["baseline"])
        base_url = f"http://127.0.0.1:{port}/invocations"

        target = get_target("local", settings)
        info = target.deploy("bench", trained.model_name, trained.version)
        target.stop("bench")
        clock = time.perf_counter()
        info = target.start("bench")
        ready = time.perf_counter() - clock
        key = target.keys("bench").primary
        opml_url = info.scoring_uri

        floor_port = free_port()
        servers["floor"] = subprocess.Popen([sys.executable, str(ROOT / "bench" / "floor_app.py"),
                                             str(floor_port)])
        wait_http(f"http://127.0.0.1:{floor_port}/health", 30)
        floor_url = f"http://127.0.0.1:{floor_port}/score"

        body = score_body([row])
        auth = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
        plain = {"Content-Type": "application/json"}
        base_body = invocations_body([base_row])
        runs = {}
        for name, url, payload, headers in (("opml", opml_url, body, auth),
                                            ("floor", floor_url, body, plain),
                                            ("baseline", base_url, base_body, plain)):
            wrk(url, payload, headers, 1, WARMUP_S, work)
            single = wrk(url, payload, headers, 1, LATENCY_S, work)
            many = wrk(url, payload, headers, 8, THROUGHPUT_S, work)
            runs[name] = (single, many)
            print(f"{name:8}  1 conn: p50 {single['p50']:8.3f} ms  p99 {single['p99']:8.3f} ms  "
                  f"{single['rps']:8.0f} req/s | 8 conns: {many['rps']:8.0f} req/s "
                  f"(non-2xx {single['errors'] + many['errors']})", flush=True)
        batch_body = score_body([row] * 1000)
        batch = wrk(opml_url, batch_body, auth, 1, LATENCY_S, work)
        base_batch = wrk(base_url, invocations_body([base_row] * 1000), plain, 1, LATENCY_S, work)
        print(f"1,000 rows per request: opml p50 {batch['p50']:.2f} ms, baseline p50 "
              f"{base_batch['p50']:.2f} ms")
        rss = rss_mb(target.get("bench").details["pid"])
        logged = sum(1 for p in (settings.workspace.usage / "bench").rglob("*.jsonl")
                     for line in p.read_bytes().splitlines() if line)
        sent = sum(r["requests"] for r in runs["opml"]) + batch["requests"]
        print(f"usage log: {logged:,} records for the {sent:,} measured requests "
              "(plus warm-up requests)")
        print(f"time to ready: opml {ready:.2f} s, baseline {base_ready:.1f} s; opml RSS {rss:.0f} MB")
        (single, many), (fsingle, fmany), (bsingle, _) = runs["opml"], runs["floor"], runs["baseline"]
        speedup = bsingle["p50"] / single["p50"]
        print(f"ratios: p50 {single['p50'] / fsingle['p50']:.2f}× the floor, "
              f"rps {many['rps'] / fmany['rps']:.0%} of the floor, {speedup:,.0f}× faster than "
              "the baseline")
        print(f"RESULT p50_ms={single['p50']:.3f} p99_ms={single['p99']:.3f} "
              f"floor_p50_ms={fsingle['p50']:.3f} base_p50_ms={bsingle['p50']:.1f} "
              f"speedup={speedup:.0f} batch1000_ms={batch['p50']:.2f} rps={many['rps']:.0f} "
              f"floor_rps={fmany['rps']:.0f} ready_s={ready:.2f} rss_mb={rss:.0f} parity={parity_diff:.1e}")
    finally:
        for process in servers.values():
            process.terminate()
        try:
            get_target("local", settings).delete("bench")
        except Exception:
            pass


if __name__ == "__main__":
    main()
