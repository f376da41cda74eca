"""Usage written the way endpoints write it, for monitoring tests that need many rows fast."""

import json
from datetime import datetime, timedelta, timezone

START = datetime(2026, 3, 2, tzinfo=timezone.utc)  # a Monday


def write_usage(settings, deployment: str, days: list[list[tuple[int, dict]]], rows_per_request: int = 5,
                truth_table: str | None = None, model: str = "opml-model", version: str = "1") -> list[str]:
    """Score each day's (row id, row) pairs with the registered model and log them as that day's
    requests, as an endpoint would; with ``truth_table``, also record which rows each request
    carried, as the traffic simulator does."""
    from opml_core.scoring.bundle import cached_bundle
    from opml_core.scoring.engines import load_scorer
    from opml_core.serve.usage_log import UsageLog

    scorer = load_scorer(cached_bundle(settings, model, version))
    log = UsageLog(settings.workspace.usage, deployment)
    log.describe(scorer.meta)
    truth = []
    ids = []
    for day, pairs in enumerate(days):
        rows = [row for _, row in pairs]
        predictions = scorer.score_records(rows, max_rows=len(rows)).predictions()
        for start in range(0, len(rows), rows_per_request):
            when = (START + timedelta(days=day, minutes=start)).isoformat(timespec="seconds")
            request_id = f"{deployment}-{day}-{start}"
            ids.append(request_id)
            chunk = slice(start, start + rows_per_request)
            log.write({"request_id": request_id, "time": when, "event_time": when,
                       "deployment": deployment, "model": model, "version": version,
                       "route": "score", "status": 200, "latency_ms": 0.4, "rows": len(rows[chunk]),
                       "error": None, "warnings": [], "inputs": rows[chunk], "outputs": predictions[chunk]})
            truth.append({"request_id": request_id, "table": truth_table, "event_time": when,
                          "row_ids": [row_id for row_id, _ in pairs[chunk]]})
    log.close()
    if truth_table:
        folder = settings.workspace.root / "simulations" / deployment
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "written.jsonl").write_text("\n".join(json.dumps(t) for t in truth) + "\n")
    return ids


def table_rows(settings, table: str, skew=None) -> list[tuple[int, dict]]:
    """A prepared table's (row id, row) pairs with readable names, optionally transformed."""
    from opml_core.predict import table_batches
    from opml_core.scoring.bundle import cached_bundle
    from opml_core.scoring.engines import load_scorer

    inputs = load_scorer(cached_bundle(settings, "opml-model", "1")).meta.inputs
    pairs = [pair for ids, batch in table_batches(settings.workspace, table, inputs, 5000)
             for pair in zip(ids, batch)]
    return [(i, skew(dict(row))) for i, row in pairs] if skew else pairs


def days_of(pairs: list, count: int) -> list[list]:
    size = len(pairs) // count
    return [pairs[d * size:(d + 1) * size] for d in range(count)]


def copy_workspace(settings, target):
    """A private copy of a module's workspace (tests that write usage must not share it)."""
    import shutil

    from opml_core.config import load_settings

    shutil.copytree(settings.home, target)
    return load_settings(home=target, spark_master="local[2]")
