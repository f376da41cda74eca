"""Benchmark: the Azure scoring package under Azure's inference server, against opml's endpoint.

One run, one machine, one registered model (the Train page's default Random Forest on the
bundled data). Three servers answer the same requests, driven by wrk over one connection
(after warm-up): opml's ``local`` endpoint; ``azureml-local`` (the package's score.py under
azmlinfsrv's WSGI app, key checked, every request printed as usage lines); and azmlinfsrv
with a no-op ``run()`` (what the inference server itself costs). Also: a 1,000-row request on
both, time to ready of azureml-local, and whether every response body (single rows, a batch,
bad inputs) equals the local endpoint's, request ids aside.

Target: the package adds at most 2× the local endpoint's p50 on top of the no-op's p50.
Last line: RESULT local_p50_ms=… azureml_local_p50_ms=… noop_p50_ms=… azureml_local_rps=…
ready_s=… same_bodies=…

Run: `.venv/bin/python bench/azure_local.py` (needs Debian's wrk: apt-get install -y wrk).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scoring import LATENCY_S, WARMUP_S, free_port, train_model, wait_http, wrk  # noqa: E402

SAMPLE_ROWS = 200


def same_bodies(local, azure, local_key: str, azure_key: str, rows: list[dict]) -> tuple[bool, int]:
    """Every body of ``azure`` equals ``local``'s, request ids aside: (all equal, bodies compared)."""
    import requests

    from opml_core.scoring.payloads import score_body

    bodies = [score_body([row]) for row in rows] + [score_body(rows), score_body(rows, "input_data")]
    bodies += [b"", b"{oops", score_body([]), score_body([{**rows[0], "age": "old"}]),
               score_body([{"age": 1}]), score_body([{**rows[0], "job": "astronaut", "colour": 1}])]
    for body in bodies:
        answers = []
        for info, key in ((local, local_key), (azure, azure_key)):
            response = requests.post(info.scoring_uri, data=body, timeout=30, headers={
                "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
            document = response.json()
            document.pop("request_id", None)
            answers.append((response.status_code, document))
        if answers[0] != answers[1]:
            print(f"differs for {body[:120]!r}:\n  local {answers[0]}\n  azure {answers[1]}")
            return False, len(bodies)
    return True, len(bodies)


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    from opml_core.azure.environment import ensure_environment
    from opml_core.deploy import get_target
    from opml_core.deploy.azureml_local import inference_server
    from opml_core.deploy.processes import stop_group
    from opml_core.predict import table_batches
    from opml_core.scoring.payloads import score_body

    work = Path(tempfile.mkdtemp(prefix="opml-bench-azure-"))
    print("training the shared model (Random Forest, 100 trees, depth 8)…", flush=True)
    settings, spark, data, trained = train_model(work / "ws")
    spark.stop()
    print("building the package environment (once)…", flush=True)
    python = ensure_environment(settings, print)
    local, azure = get_target("local", settings), get_target("azureml-local", settings)
    noop = None
    try:
        local_info = local.deploy("bench-local", trained.model_name, trained.version)
        azure_info = azure.deploy("bench-azure", trained.model_name, trained.version)
        azure.stop("bench-azure")
        clock = time.perf_counter()
        azure_info = azure.start("bench-azure")
        ready = time.perf_counter() - clock
        port = free_port()
        argv, env = inference_server(python, ROOT / "bench", work, "127.0.0.1", port, work, {})
        env["AZUREML_ENTRY_SCRIPT"] = str(ROOT / "bench" / "noop_score.py")
        noop = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        wait_http(f"http://127.0.0.1:{port}/score", 60, noop)
        noop_url = f"http://127.0.0.1:{port}/score"

        meta = local.model_info("bench-local")
        rows = next(table_batches(settings.workspace, meta.operations_table, meta.inputs, SAMPLE_ROWS))[1]
        keys = {"local": local.keys("bench-local").primary, "azure": azure.keys("bench-azure").primary}
        equal, compared = same_bodies(local_info, azure_info, keys["local"], keys["azure"], rows)
        print(f"response bodies equal to the local endpoint's: {equal} ({compared} bodies compared)")

        body = score_body([rows[0]])
        runs = {}
        for name, url, key in (("local", local_info.scoring_uri, keys["local"]),
                               ("azureml-local", azure_info.scoring_uri, keys["azure"]),
                               ("noop", noop_url, "none")):
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
            wrk(url, body, headers, 1, WARMUP_S, work)
            runs[name] = wrk(url, body, headers, 1, LATENCY_S, work)
            run = runs[name]
            print(f"{name:14} 1 row : p50 {run['p50']:7.3f} ms  p99 {run['p99']:7.3f} ms  "
                  f"{run['rps']:7.0f} req/s  (non-2xx {run['errors']})", flush=True)
        batch = score_body(rows[:1] * 1000)
        for name, url, key in (("local", local_info.scoring_uri, keys["local"]),
                               ("azureml-local", azure_info.scoring_uri, keys["azure"])):
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
            result = wrk(url, batch, headers, 1, LATENCY_S, work)
            print(f"{name:14} 1,000 rows: p50 {result['p50']:7.2f} ms  p99 {result['p99']:7.2f} ms "
                  f"(non-2xx {result['errors']})")
        errors = sum(r["errors"] for r in runs.values())
        added = runs["azureml-local"]["p50"] - runs["noop"]["p50"]
        budget = 2 * runs["local"]["p50"]
        print(f"the package adds {added:.3f} ms to azmlinfsrv's own {runs['noop']['p50']:.3f} ms "
              f"(budget: 2 × local p50 = {budget:.3f} ms) → {'met' if added <= budget else 'NOT met'}; "
              f"azureml-local ready in {ready:.2f} s")
        if errors:
            print(f"{errors} requests were not 2xx: the figures above are not valid")
        print(f"RESULT local_p50_ms={runs['local']['p50']:.3f} "
              f"azureml_local_p50_ms={runs['azureml-local']['p50']:.3f} "
              f"noop_p50_ms={runs['noop']['p50']:.3f} azureml_local_rps={runs['azureml-local']['rps']:.0f} "
              f"ready_s={ready:.2f} same_bodies={int(equal and not errors)}")
    finally:
        if noop is not None:
            stop_group(noop.pid, 5)
        for target, name in ((local, "bench-local"), (azure, "bench-azure")):
            try:
                target.delete(name)
            except Exception:
                pass


if __name__ == "__main__":
    main()
