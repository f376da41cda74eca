"""Turn staged usage records into the rows of ``model_requests`` and ``model_inputs`` (Spark).

Spark reads the staged JSON lines with a fixed schema (inputs as text maps, so numbers and
categories arrive alike), explodes each request's rows with their outputs, and types each input
column from the model descriptions the servers left beside their logs: numbers as double,
categories as text, under the names users know. Fields a client sent that the model does not
use are kept in ``extra`` (a label file can join on them). With local Spark the staged files are
read where they lie; with a cluster or Spark Connect, which cannot see the app's disk, their lines
travel through the session as Arrow batches (``spark.createDataFrame``) and Spark parses them
with the same schema (``from_json``). Spark writes the rows under the warehouse URI.
"""

from __future__ import annotations

from pathlib import Path

from opml_core.scoring.engines import BundleMeta
from opml_core.scoring.inputs import NUMERIC

SENT_LINES = 20_000  # usage lines per batch sent through the session to a cluster or Connect
RECORD_SCHEMA = (
    "request_id STRING, client_request_id STRING, time STRING, event_time STRING, "
    "deployment STRING, model STRING, "
    "version STRING, route STRING, status INT, latency_ms DOUBLE, rows INT, error STRING, "
    "warnings ARRAY<STRING>, inputs ARRAY<MAP<STRING, STRING>>, "
    "outputs ARRAY<STRUCT<label: STRING, probability: DOUBLE>>")


def input_columns(models: list[BundleMeta], fixed: dict[str, str] | None = None
                  ) -> dict[str, tuple[str, set[str]]]:
    """Readable name → (Spark type, every name a client may have used for it).

    ``fixed`` holds the types earlier collects gave columns: they win, so every Parquet file of
    ``model_inputs`` agrees on each column's type (a number sent where text was stored stays
    text; text sent where numbers were stored becomes null).
    """
    columns: dict[str, tuple[str, set[str]]] = {}
    for meta in models:
        for column in meta.inputs.columns:
            kind = "double" if column.kind == NUMERIC else "string"
            known_kind, names = columns.get(column.display, (kind, set()))
            columns[column.display] = (known_kind if known_kind == kind else "string",
                                       names | {column.display, column.name})
    for name, kind in (fixed or {}).items():
        if name in columns:
            columns[name] = (kind, columns[name][1])
    return columns


def read_records(spark, logs: Path, beside_app: bool, batch_lines: int = SENT_LINES):
    """The staged JSON lines as records: read by Spark from ``logs`` when it runs beside the app,
    else sent to it through the session ``batch_lines`` at a time (the driver holds one batch)."""
    from functools import reduce

    from pyspark.sql import functions as F

    if beside_app:
        return spark.read.schema(RECORD_SCHEMA).json(str(logs))
    frames = [_sent(spark, batch) for batch in _line_batches(logs, batch_lines)]
    if not frames:
        return spark.createDataFrame([], RECORD_SCHEMA)
    text = reduce(lambda a, b: a.unionByName(b), frames)
    return text.select(F.from_json("value", RECORD_SCHEMA).alias("r")).select("r.*")


def _line_batches(logs: Path, size: int):
    batch = []
    for path in sorted(logs.glob("*.jsonl")):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    batch.append(line.rstrip("\n"))
                if len(batch) >= size:
                    yield batch
                    batch = []
    if batch:
        yield batch


def _sent(spark, lines: list[str]):
    import pandas as pd

    return spark.createDataFrame(pd.DataFrame({"value": lines}), "value STRING")


def build_tables(spark, records, written: str, models: list[BundleMeta],
                 fixed: dict[str, str] | None = None) -> tuple[int, int, dict[str, str]]:
    """Write ``written``/model_requests and ``written``/model_inputs (URIs) from the records;
    return (requests, rows, the type of every input column written)."""
    from pyspark.sql import functions as F

    records = records.where(F.col("request_id").isNotNull())
    records = (records.withColumn("time", F.col("time").try_cast("timestamp"))
               .withColumn("event_time", F.coalesce(F.col("event_time").try_cast("timestamp"),
                                                    F.col("time")))
               .cache())
    requests = records.select("request_id", "client_request_id", "time", "event_time", "deployment", "model",
                              "version", "route", "status", "latency_ms", "rows", "error",
                              F.size(F.coalesce("warnings", F.array())).alias("warnings"),
                              F.array_join(F.coalesce("warnings", F.array()), " | ").alias("warning_text"))
    request_count = requests.count()
    requests.write.parquet(f"{written}/model_requests")
    columns = input_columns(models, fixed)
    rows = _input_rows(records, columns)
    row_count = rows.count()
    if row_count:
        rows.write.parquet(f"{written}/model_inputs")
    records.unpersist()
    return request_count, row_count, {name: kind for name, (kind, _) in columns.items()}


def _input_rows(records, columns: dict[str, tuple[str, set[str]]]):
    from pyspark.sql import functions as F

    exploded = (records.where((F.col("status") == 200) & F.col("outputs").isNotNull())
                .select("request_id", "time", "event_time", "deployment", "model", "version",
                        F.posexplode(F.arrays_zip("inputs", "outputs")).alias("row_index", "pair")))
    known = sorted({name for _, names in columns.values() for name in names})
    values = []
    for display, (kind, names) in sorted(columns.items()):
        value = F.coalesce(*[F.col("pair.inputs")[name] for name in sorted(names)])
        values.append((value.try_cast("double") if kind == "double" else value).alias(display))
    extra = F.map_filter(F.col("pair.inputs"),
                         lambda k, v: ~k.isin(known)) if known else F.col("pair.inputs")
    return exploded.select("request_id", "row_index", "time", "event_time", "deployment", "model",
                           "version", *values, extra.alias("extra"),
                           F.col("pair.outputs.label").alias("label"),
                           F.col("pair.outputs.probability").alias("probability"))
