"""Ground truth arriving after the predictions: the ``model_labels`` table.

Outcomes come from a labels file (keyed by request id, or by a column the requests carried,
e.g. a client id sent beside the inputs) or, for traffic replayed from a prepared operations
table, straight from that table ("reveal the actual outcomes"). A file with unknown keys,
unknown classes, duplicate keys or a missing key column is refused with a message saying which;
existing labels are only ever replaced by a newer outcome for the same row.
"""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from dataclasses import dataclass

from opml_core.access import BUILDER, require
from opml_core.config import Settings
from opml_core.data.tables import read_card, write_tables
from opml_core.warehouse import readable_by_spark
from opml_core.errors import MonitorError
from opml_core.monitor.calculator import col
from opml_core.monitor.context import read_usage_table
from opml_core.usage import INPUTS, LABELS

EXAMPLES = 3


@dataclass(frozen=True)
class LabelResult:
    labelled_rows: int
    total_labels: int
    message: str


def reveal_outcomes(spark, settings: Settings, deployment: str) -> LabelResult:
    """Label the rows of simulated traffic with the outcomes in the operations table they came from."""
    require(BUILDER, "add outcomes")
    from pyspark.sql import functions as F

    folder = settings.workspace.root / "simulations" / deployment
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    if not files:
        raise MonitorError(f"{deployment} has no simulated traffic to reveal outcomes for; label "
                           "its requests with a file instead.")
    sent = (spark.read.schema("request_id STRING, table STRING, row_ids ARRAY<BIGINT>")
            .json([readable_by_spark(spark, settings.workspace, f) for f in files])
            .select("request_id", "table", F.posexplode("row_ids").alias("row_index", "row_id")))
    labelled = None
    for (table,) in sent.select("table").distinct().collect():
        card = read_card(settings.workspace, table)
        if card is None:
            raise MonitorError(f"The operations table {table} is gone; prepare it again to reveal "
                               "its outcomes.")
        from opml_core.data.tables import read_table

        truth = read_table(spark, settings.workspace, table).select(
            F.col("opml_row_id").alias("row_id"), F.col(card.target).cast("string").alias("actual"))
        part = (sent.where(F.col("table") == table).join(truth.dropDuplicates(["row_id"]), "row_id")
                .select("request_id", "row_index", "actual"))
        labelled = part if labelled is None else labelled.unionByName(part)
    return _merge(spark, settings, labelled, f"revealed from {deployment}'s operations table")


def add_labels_file(spark, settings: Settings, deployment: str, data: bytes, filename: str,
                    key_column: str, outcome_column: str, classes: tuple[str, str]) -> LabelResult:
    """Check a labels file against the collected rows and the model's classes, then store it."""
    require(BUILDER, "add outcomes")
    from pyspark.sql import functions as F

    from opml_core.data.load import stage_upload

    staged = stage_upload(settings.workspace, filename, data, settings.max_upload_mb)
    columns = staged.layout.columns
    for needed, role in ((key_column, "key"), (outcome_column, "outcome")):
        if needed not in columns:
            raise MonitorError(f"{filename} has no {role} column {needed!r}; its columns are "
                               f"{', '.join(columns)}.")
    file = (spark.read.csv(readable_by_spark(spark, settings.workspace, staged.path), header=True,
                           sep=staged.layout.delimiter, inferSchema=False)
            .toDF(*columns).select(col(key_column).alias("key"),
                                   F.trim(col(outcome_column)).alias("actual")))
    _check_classes(file, classes, filename)
    _check_duplicates(file, filename)
    rows = _rows_by_key(spark, settings, deployment, key_column)
    matched = file.join(rows, "key", "left").cache()
    _check_known(matched, filename, key_column)
    return _merge(spark, settings, matched.select("request_id", "row_index", "actual"),
                  f"from {filename}")


def labels_frame(spark, settings: Settings):
    return read_usage_table(spark, settings, LABELS)


def _rows_by_key(spark, settings: Settings, deployment: str, key_column: str):
    from pyspark.sql import functions as F

    inputs = read_usage_table(spark, settings, INPUTS)
    if inputs is None:
        raise MonitorError("No scored rows are collected yet; collect usage before adding labels.")
    inputs = inputs.where(F.col("deployment") == deployment)
    if key_column == "request_id":
        key = F.col("request_id")
    elif key_column in inputs.columns:
        key = col(key_column).cast("string")
    else:
        key = F.col("extra")[key_column]
    return inputs.select(key.alias("key"), "request_id", "row_index").where(F.col("key").isNotNull())


def _check_classes(file, classes: tuple[str, str], filename: str) -> None:
    from pyspark.sql import functions as F

    odd = [r["actual"] for r in file.where(~F.col("actual").isin(*classes) | F.col("actual").isNull())
           .select("actual").distinct().limit(EXAMPLES).collect()]
    if odd:
        raise MonitorError(f"{filename} has outcomes that are not classes of this model "
                           f"({', '.join(map(repr, odd))}); use {classes[0]!r} or {classes[1]!r}.")


def _check_duplicates(file, filename: str) -> None:
    from pyspark.sql import functions as F

    twice = [r["key"] for r in file.groupBy("key").count().where(F.col("count") > 1)
             .limit(EXAMPLES).collect()]
    if twice:
        raise MonitorError(f"{filename} labels the same key more than once ({', '.join(map(str, twice))}); "
                           "keep one outcome per key.")


def _check_known(matched, filename: str, key_column: str) -> None:
    from pyspark.sql import functions as F

    unknown = matched.where(F.col("request_id").isNull()).select("key")
    count = unknown.count()
    if count:
        examples = [str(r["key"]) for r in unknown.limit(EXAMPLES).collect()]
        raise MonitorError(f"{count:,} key(s) in {filename} match no collected request by "
                           f"{key_column!r} (e.g. {', '.join(examples)}). Collect usage first, check "
                           "the key column, or remove those lines.")


def _merge(spark, settings: Settings, new, source: str) -> LabelResult:
    """New outcomes replace older ones for the same row; everything else is kept. One update at
    a time, so two uploads never overwrite each other's outcomes."""
    with _labels_lock(settings):
        return _merge_locked(spark, settings, new, source)


@contextmanager
def _labels_lock(settings: Settings):
    path = settings.workspace.usage / ".labels.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _merge_locked(spark, settings: Settings, new, source: str) -> LabelResult:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    new = new.withColumn("source", F.lit(source)).withColumn("added_at", F.current_timestamp())
    old = labels_frame(spark, settings)
    merged = new.withColumn("__newer", F.lit(1))
    if old is not None:
        merged = merged.unionByName(old.withColumn("__newer", F.lit(0)))
    latest = Window.partitionBy("request_id", "row_index").orderBy(F.desc("__newer"))
    merged = (merged.withColumn("__rank", F.row_number().over(latest)).where("__rank = 1")
              .drop("__rank", "__newer").cache())
    total, labelled = merged.count(), new.count()
    write_tables(settings.workspace, {LABELS: (merged, None)}, replace=True)
    merged.unpersist()
    return LabelResult(labelled, total, f"Labelled {labelled:,} rows {source}; "
                                        f"{total:,} rows have outcomes in all.")
