"""How a deployment is used: requests and rows over time, errors, latency (from model_requests).

One Spark aggregation per call; only the per-window numbers come back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opml_core.monitor.windows import as_time, window_start


@dataclass
class UsageSummary:
    per_window: list[dict]  # window, version, requests, rows, errors, error_rate, p50_ms, p95_ms
    top_errors: list[tuple[str, int]]
    requests: int
    rows: int
    errors: int
    first: object = None
    last: object = None
    versions: list[str] = field(default_factory=list)

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


def summarise_usage(requests, window_size: str) -> UsageSummary:
    from pyspark.sql import functions as F

    failed = (F.col("status") != 200).cast("int")
    per_window = (requests.withColumn("window", window_start(F.col("event_time"), window_size))
                  .groupBy("window", "version")
                  .agg(F.count(F.lit(1)).alias("requests"),
                       F.sum(F.when(F.col("status") == 200, F.col("rows")).otherwise(0)).alias("rows"),
                       F.sum(failed).alias("errors"),
                       F.percentile_approx("latency_ms", [0.5, 0.95], 1000).alias("latency"))
                  .orderBy("window", "version").collect())
    rows = [{"window": as_time(r["window"]), "version": r["version"], "requests": int(r["requests"]),
             "rows": int(r["rows"] or 0), "errors": int(r["errors"]),
             "error_rate": r["errors"] / r["requests"] if r["requests"] else 0.0,
             "p50_ms": float(r["latency"][0]), "p95_ms": float(r["latency"][1])} for r in per_window]
    errors = (requests.where(F.col("status") != 200).groupBy("status", "error").count()
              .orderBy(F.desc("count")).limit(5).collect())
    top = [(f"{r['status']}: {r['error']}", int(r["count"])) for r in errors]
    span = requests.agg(F.min("event_time"), F.max("event_time")).first()
    return UsageSummary(rows, top, sum(r["requests"] for r in rows), sum(r["rows"] for r in rows),
                        sum(r["errors"] for r in rows), span[0], span[1],
                        sorted({r["version"] for r in rows}, key=lambda v: int(v) if v.isdigit() else 0))
