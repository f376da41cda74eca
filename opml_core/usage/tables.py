"""Turn staged usage records into the rows of ``model_requests`` and ``model_inputs`` (Spark).

Spark reads the staged JSON lines with fixed schemas and never caches them: one pass reads only
the request-level fields (``model_requests``), another explodes each request's rows with their
outputs (``model_inputs``), typing each input column from the model descriptions the servers
left beside their logs: numbers as double, categories as text, under the names users know.
Rows arrive as a struct of the known input names read as text (numbers and categories alike,
so a number sent as text loses nothing), which costs a fraction of reading a map and looking
every column up in it. Fields a client sent that the model does not use are kept in ``extra``
(a label file can join on them): the endpoint marks such requests (``extra_fields``), and only
those, or records from writers that did not mark them, are read the slower way, as maps.
Counts come from the written Parquet files' footers. Spark reads the staged files at the URI
it is given (``collect`` gives local Spark the app's staging folder, and a cluster or Spark
Connect a copy under the warehouse) and writes the rows under the warehouse URI.
"""

from __future__ import annotations

from opml_core.scoring.engines import BundleMeta
from opml_core.scoring.inputs import NUMERIC

CODEC = "lz4_raw"  # Parquet codec of the collected rows: writes 10M rows ~4 s faster than snappy
REQUEST_FIELDS = (
    "request_id STRING, client_request_id STRING, time STRING, event_time STRING, "
    "deployment STRING, model STRING, version STRING, route STRING, status INT, latency_ms DOUBLE, "
    "rows INT, error STRING, warnings ARRAY<STRING>, extra_fields BOOLEAN")
OUTPUTS = "outputs ARRAY<STRUCT<label: STRING, probability: DOUBLE>>"
RECORD_SCHEMA = f"{REQUEST_FIELDS}, inputs ARRAY<MAP<STRING, STRING>>, {OUTPUTS}"


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


def build_tables(spark, logs: str, written: str, models: list[BundleMeta],
                 fixed: dict[str, str] | None = None) -> tuple[int, int, dict[str, str]]:
    """Write ``written``/model_requests and ``written``/model_inputs (URIs) from the staged
    JSON lines at ``logs`` (a path or URI Spark can read); return (requests, rows, the type of
    every input column written)."""
    from pyspark.sql import functions as F

    requests = read_records(spark, logs, REQUEST_FIELDS)
    requests.select("request_id", "client_request_id", "time", "event_time", "deployment", "model",
                    "version", "route", "status", "latency_ms", "rows", "error",
                    F.size(F.coalesce("warnings", F.array())).alias("warnings"),
                    F.array_join(F.coalesce("warnings", F.array()), " | ").alias("warning_text")) \
        .write.option("compression", CODEC).parquet(f"{written}/model_requests")
    request_count = spark.read.parquet(f"{written}/model_requests").count()
    columns = input_columns(models, fixed)
    plain = read_records(spark, logs, _struct_schema(columns)).where(
        F.col("extra_fields") == F.lit(False))
    # written as IS NULL OR = true (not coalesce) so the JSON reader gets the filter and skips
    # parsing the maps of every line whose flag, written before its inputs, says false
    marked = read_records(spark, logs, RECORD_SCHEMA).where(
        F.col("extra_fields").isNull() | (F.col("extra_fields") == F.lit(True)))
    target = f"{written}/model_inputs"
    _input_rows(plain, columns, with_extra=False).write.option("compression", CODEC).parquet(target)
    _input_rows(marked, columns, with_extra=True).write.mode("append").option(
        "compression", CODEC).parquet(target)
    row_count = spark.read.parquet(target).count()
    return request_count, row_count, {name: kind for name, (kind, _) in columns.items()}


def read_records(spark, logs: str, schema):
    """The staged records at ``logs`` under ``schema`` (lines that are not records are dropped)."""
    from pyspark.sql import functions as F

    records = spark.read.schema(schema).json(logs)
    records = records.where(F.col("request_id").isNotNull())
    return (records.withColumn("time", F.col("time").try_cast("timestamp"))
            .withColumn("event_time", F.coalesce(F.col("event_time").try_cast("timestamp"),
                                                 F.col("time"))))


def _struct_schema(columns: dict[str, tuple[str, set[str]]]):
    """The record schema with each row's inputs as a struct of every known name, read as text."""
    from pyspark.sql.types import ArrayType, StringType, StructField, StructType, _parse_datatype_string

    names = sorted({name for _, names in columns.values() for name in names})
    fields = list(_parse_datatype_string(f"{REQUEST_FIELDS}, {OUTPUTS}").fields)
    inputs = StructField("inputs", ArrayType(StructType([StructField(n, StringType()) for n in names])))
    return StructType(fields[:-1] + [inputs, fields[-1]])


def _input_rows(records, columns: dict[str, tuple[str, set[str]]], with_extra: bool):
    """One row per scored record; ``with_extra``: inputs are maps, and unknown keys go to extra."""
    from pyspark.sql import functions as F

    # each row's output is picked by position (no zipped copy of both arrays per request)
    exploded = (records.where((F.col("status") == 200) & F.col("outputs").isNotNull())
                .select("request_id", "time", "event_time", "deployment", "model", "version", "outputs",
                        F.posexplode("inputs").alias("row_index", "row")))
    known = sorted({name for _, names in columns.values() for name in names})
    values = []
    for display, (kind, names) in sorted(columns.items()):
        value = F.coalesce(*[F.col("row")[name] for name in sorted(names)]) if len(names) > 1 \
            else F.col("row")[next(iter(names))]
        values.append((value.try_cast("double") if kind == "double" else value).alias(display))
    if not with_extra:
        extra = F.create_map().cast("map<string,string>")
    elif known:
        extra = F.map_filter(F.col("row"), lambda k, v: ~k.isin(known))
    else:
        extra = F.col("row")
    output = F.get(F.col("outputs"), F.col("row_index"))  # null past the end, as arrays_zip gave
    return exploded.select("request_id", "row_index", "time", "event_time", "deployment", "model",
                           "version", *values, extra.alias("extra"), output["label"].alias("label"),
                           output["probability"].alias("probability"))
