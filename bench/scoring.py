"""Benchmark: the opml endpoint against `mlflow models serve` and a no-op floor, with wrk.

One run, one machine, one registered Spark model (the Train page's default Random Forest: 100
trees, depth 8, on the bundled data). Three servers answer the same single-row request:

- baseline: `mlflow models serve --env-manager local` (MLflow's own scoring server);
- opml: a local deployment (compiled scorer, key required, every request in the usage log);
- floor: a FastAPI endpoint that parses the body and returns a constant (what HTTP costs).

wrk drives the load (a Python client would be the bottleneck): one connection for latency
(p50/p99 after warm-up), eight connections for 20 s for throughput. Also: a 1,000-row request,
time to ready, server RSS, parity of probabilities with Spark on all 41,188 rows, and the
single-row p50 with ``?explain=true`` as a ratio to the plain one (target ≤ 3×). Then two
attacks on the endpoint: the single-row p50 while another client sends 10,000-row requests (as a
ratio to the idle p50; target ≤ 3×), and the server's RSS (its workers included) while 200
clients without a key hold half-sent 5 MB bodies (as a ratio to its idle RSS; target ≤ 2×).
Last line:
RESULT p50_ms=… p99_ms=… floor_p50_ms=… base_p50_ms=… speedup=… batch1000_ms=… rps=… floor_rps=…
ready_s=… rss_mb=… parity=… mixed_p50_ratio=… preauth_rss_ratio=… non2xx=… explain_ratio=…
The run exits non-zero when a target is missed or any request of a latency run was not a 2xx.

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


def group_rss_mb(pid: int) -> float:
    """RSS of a process and its children (the endpoint's scoring workers)."""
    pids = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return sum(rss_mb(p) for p in pids if Path(f"/proc/{p}").exists())


def mixed_p50(url: str, body: bytes, headers: dict, workdir: Path) -> tuple[dict, int]:
    """Single-row latency while another client sends 10,000-row requests back to back."""
    import threading

    import requests

    from opml_core.scoring.payloads import score_body

    big = score_body([json.loads(body)["data"][0]] * 10_000)
    stop, sent, bad = threading.Event(), [0], [0]

    def flood():
        with requests.Session() as session:
            while not stop.is_set():
                status = session.post(url, data=big, headers=headers, timeout=120).status_code
                sent[0] += 1
                bad[0] += status >= 300

    thread = threading.Thread(target=flood, daemon=True)
    thread.start()
    try:
        wrk(url, body, headers, 1, WARMUP_S, workdir)
        single = wrk(url, body, headers, 1, LATENCY_S, workdir)
    finally:
        stop.set()
        thread.join(timeout=120)
    print(f"beside 10,000-row requests ({sent[0]} sent, {bad[0]} not 2xx): single-row p50 "
          f"{single['p50']:.3f} ms", flush=True)
    return single, bad[0]


def preauth_rss(port: int, pid: int, clients: int = 200, size: int = 5 * 2**20) -> tuple[float, float]:
    """(idle RSS, RSS while ``clients`` keyless requests hold half-sent bodies of ``size``)."""
    idle = group_rss_mb(pid)
    head = (f"POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\n\r\n").encode()
    chunk, sockets, peak = b"[" * (1 << 16), [], idle
    try:
        for _ in range(clients):
            sock = socket.create_connection(("127.0.0.1", port), timeout=2)
            sock.setblocking(False)
            sockets.append(sock)
            try:
                sock.send(head)
                for _ in range(size // 2 // len(chunk)):  # half the body, as fast as it is taken
                    sock.send(chunk)
            except (BlockingIOError, OSError):
                pass
            peak = max(peak, group_rss_mb(pid))
        time.sleep(1)
        peak = max(peak, group_rss_mb(pid))
    finally:
        for sock in sockets:
            sock.close()
    return idle, peak


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

    servers, exit_code = {}, [0]
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
        single_idle = runs["opml"][0]
        explained = wrk(opml_url + "?explain=true", body, auth, 1, LATENCY_S, work)
        explain_ratio = explained["p50"] / single_idle["p50"]
        print(f"with ?explain=true: p50 {explained['p50']:.3f} ms ({explain_ratio:.2f}× without)",
              flush=True)
        batch_body = score_body([row] * 1000)
        batch = wrk(opml_url, batch_body, auth, 1, LATENCY_S, work)
        base_batch = wrk(base_url, invocations_body([base_row] * 1000), plain, 1, LATENCY_S, work)
        print(f"1,000 rows per request: opml p50 {batch['p50']:.2f} ms, baseline p50 "
              f"{base_batch['p50']:.2f} ms")
        pid = target.get("bench").details["pid"]
        rss = rss_mb(pid)
        mixed, mixed_bad = mixed_p50(opml_url, body, auth, work)
        mixed_ratio = mixed["p50"] / single_idle["p50"]
        idle_rss, attacked_rss = preauth_rss(info.details["port"], pid)
        preauth_ratio = attacked_rss / idle_rss
        print(f"200 keyless half-sent 5 MB bodies: RSS {idle_rss:.0f} MB idle → "
              f"{attacked_rss:.0f} MB ({preauth_ratio:.2f}×)", flush=True)
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
        non2xx = single["errors"] + many["errors"] + batch["errors"] + mixed["errors"] + mixed_bad + \
            explained["errors"]
        print(f"RESULT p50_ms={single['p50']:.3f} p99_ms={single['p99']:.3f} "
              f"floor_p50_ms={fsingle['p50']:.3f} base_p50_ms={bsingle['p50']:.1f} "
              f"speedup={speedup:.0f} batch1000_ms={batch['p50']:.2f} rps={many['rps']:.0f} "
              f"floor_rps={fmany['rps']:.0f} ready_s={ready:.2f} rss_mb={rss:.0f} parity={parity_diff:.1e} "
              f"mixed_p50_ratio={mixed_ratio:.2f} preauth_rss_ratio={preauth_ratio:.2f} non2xx={non2xx} "
              f"explain_ratio={explain_ratio:.2f}")
        missed = [what for what, bad in (
            ("p50 over 1.5× the floor", single["p50"] > 1.5 * fsingle["p50"]),
            ("rps under half the floor's", many["rps"] < 0.5 * fmany["rps"]),
            ("mixed p50 over 3× idle", mixed_ratio > 3),
            ("explained p50 over 3× plain", explain_ratio > 3),
            ("pre-auth RSS over 2× idle", preauth_ratio > 2),
            ("non-2xx answers in a latency run", non2xx > 0)) if bad]
        if missed:
            print("MISSED: " + "; ".join(missed))
            exit_code[0] = 1
    finally:
        for process in servers.values():
            process.terminate()
        try:
            get_target("local", settings).delete("bench")
        except Exception:
            pass
    sys.exit(exit_code[0])


if __name__ == "__main__":
    main()
