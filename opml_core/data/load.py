"""Load a dataset into Spark from the bundled file, an upload or a workspace table.

Whatever the source, the result is a ``LoadedData``: a cached Spark DataFrame with Spark-safe
column names plus an ``opml_row_id`` that keeps the file's row order, and the readable names to
show. Uploads are checked (``inspect.py``) and staged in the workspace before Spark reads them;
Spark then checks every row of a CSV (not a sample): a row with too few or too many fields, or
a value its column's type cannot hold, refuses the file rather than being dropped. True/false
columns become two categories ("true", "false"). A column of numbers with some words in it is
read as text; ``LoadedData.notes`` says so (the column, how many rows hold text, the first such
value and its row) so the user is not left to find out.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from opml_core.config import Workspace
from opml_core.data.columns import ROW_ID, safe_names
from opml_core.data.inspect import FileLayout, check_size, inspect_file
from opml_core.datasets import BUNDLED, BundledDataset
from opml_core.errors import DataError

CORRUPT = "_opml_corrupt_record"


@dataclass
class LoadedData:
    """A dataset ready to profile and split, with the names users know."""

    df: object  # pyspark DataFrame: safe column names + ROW_ID
    description: str
    display_names: dict[str, str]  # safe name -> readable name
    suggested_name: str
    bundled: BundledDataset | None = None
    card: object | None = None  # DatasetCard when loaded from a prepared table
    notes: list[str] = field(default_factory=list)  # what the load report must say

    def display(self, column: str) -> str:
        return self.display_names.get(column, column)

    @property
    def columns(self) -> list[str]:
        return [c for c in self.df.columns if c != ROW_ID]


@dataclass(frozen=True)
class StagedFile:
    """An upload that passed its checks, saved in the workspace."""

    path: Path
    filename: str
    layout: FileLayout = field(compare=False)


def load_bundled(spark, key: str = "bank-marketing", workspace: Workspace | None = None) -> LoadedData:
    """The bundled dataset, read with its known schema (no inference pass); with ``workspace``,
    Spark away from the app (a cluster, Spark Connect) reads it from a copy in its warehouse."""
    from opml_core.warehouse import readable_by_spark

    dataset = BUNDLED[key]
    df = spark.read.csv(
        readable_by_spark(spark, workspace, dataset.path), sep=dataset.delimiter, header=True,
        schema=dataset.schema_ddl
    )
    return _finish(df, list(df.columns), dataset.title, dataset.suggested_name, dataset)


def stage_upload(workspace: Workspace, filename: str, data: bytes, max_mb: int,
                 delimiter: str | None = None) -> StagedFile:
    """Check an uploaded file and save it under the workspace's uploads folder."""
    check_size(len(data), max_mb)
    layout = inspect_file(data, filename, delimiter)
    digest = hashlib.sha256(data).hexdigest()[:16]
    suffix = ".parquet" if layout.format == "parquet" else ".csv"
    path = workspace.ensure().uploads / f"{digest}{suffix}"
    if not path.exists():
        tmp = path.with_suffix(".partial")
        tmp.write_bytes(data)
        tmp.replace(path)
    return StagedFile(path, filename, layout)


def load_staged(spark, staged: StagedFile, workspace: Workspace | None = None) -> LoadedData:
    """Read a staged upload with Spark (types inferred for CSV); with ``workspace``, Spark away
    from the app reads it from a copy in its warehouse."""
    from opml_core.warehouse import readable_by_spark

    layout = staged.layout
    where = readable_by_spark(spark, workspace, staged.path)
    if layout.format == "parquet":
        df = spark.read.parquet(where)
    else:
        options = dict(sep=layout.delimiter, header=True, quote='"', escape='"', encoding="UTF-8")
        inferred = spark.read.csv(where, inferSchema=True, **options).schema
        df = _whole_file_checked(spark, staged, inferred, options, where)
    base = re.sub(r"[^a-z0-9]+", "_", Path(staged.filename).stem.lower()).strip("_") or "data"
    data = _finish(df, layout.columns, f"upload {staged.filename}", base[:40])
    if layout.format != "parquet":
        data.notes.extend(mixed_type_notes(data))
    return data


def mixed_type_notes(data: LoadedData) -> list[str]:
    """One note per text column that mostly holds numbers: how many rows hold text instead, and
    the first of them (its value and 1-based row), counted by Spark over every row."""
    from pyspark.sql import functions as F

    df = data.df
    texts = [c for c, kind in df.dtypes if kind == "string" and c != ROW_ID]
    if not texts:
        return []

    def number(c):
        return F.col(c).try_cast("double").isNotNull()

    def word(c):
        return F.col(c).isNotNull() & (F.trim(F.col(c)) != "") & F.col(c).try_cast("double").isNull()

    counts = df.agg(*[F.count_if(number(c)).alias(f"n{i}") for i, c in enumerate(texts)],
                    *[F.count_if(word(c)).alias(f"w{i}") for i, c in enumerate(texts)]).first()
    notes = []
    for i, column in enumerate(texts):
        numbers, words = counts[f"n{i}"], counts[f"w{i}"]
        if not (words and numbers > words):
            continue
        first = df.where(word(column)).orderBy(ROW_ID).select(ROW_ID, column).first()
        row = df.where(F.col(ROW_ID) <= first[ROW_ID]).count()
        notes.append(
            f"{data.display(column)!r} holds numbers, but {words:,} row(s) hold text instead, e.g. "
            f"{first[column][:40]!r} in row {row:,}; so the whole column was read as text (a "
            "category), not as a number. If those cells mean 'missing', empty them and upload "
            "again; otherwise leave the column out or keep it as a category.")
    return notes


def _whole_file_checked(spark, staged: StagedFile, schema, options: dict, where: str):
    """Read every row with the inferred types; refuse the file if any row has the wrong number of
    fields or a value its column's type cannot hold, saying how many and showing the first."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    checked = StructType([*schema.fields, StructField(CORRUPT, StringType())])
    df = spark.read.csv(where, schema=checked, mode="PERMISSIVE",
                        columnNameOfCorruptRecord=CORRUPT, **options).cache()
    bad = df.where(F.col(CORRUPT).isNotNull())
    count = bad.count()
    if count:
        first = bad.select(CORRUPT).first()[0]
        df.unpersist()
        raise DataError(
            f"{staged.filename}: {count:,} row(s) do not match the header "
            f"({len(schema.fields)} columns), e.g. {first[:120]!r}. Every row needs one value per "
            "column (quote values that hold the delimiter); fix those rows and upload again. "
            "No row was dropped.")
    return df.drop(CORRUPT)


def load_table(spark, workspace: Workspace, name: str) -> LoadedData:
    """A workspace table (e.g. to prepare it again with another split)."""
    from opml_core.data.tables import read_card, read_table

    df = read_table(spark, workspace, name)
    card = read_card(workspace, name)
    display = dict(card.display_names) if card else {c: c for c in df.columns}
    if ROW_ID not in df.columns:
        from pyspark.sql import functions as F

        df = df.withColumn(ROW_ID, F.monotonically_increasing_id())
    data = LoadedData(df.cache(), f"table {name}", display, name, card=card)
    return data


def _finish(df, readable: list[str], description: str, suggested: str,
            bundled: BundledDataset | None = None) -> LoadedData:
    from pyspark.sql import functions as F

    mapping = safe_names(readable)
    df = df.toDF(*[mapping[name] for name in readable])
    for column, kind in df.dtypes:  # true/false are two categories, in training and serving
        if kind == "boolean":
            df = df.withColumn(column, F.lower(F.col(column).cast("string")))
    df = df.withColumn(ROW_ID, F.monotonically_increasing_id()).cache()
    display = {safe: name for name, safe in mapping.items()}
    return LoadedData(df, description, display, suggested, bundled)


def preview_rows(data: LoadedData, rows: int = 20):
    """The first rows as a small pandas frame with readable column names."""
    return data.df.drop(ROW_ID).limit(rows).toPandas().rename(columns=data.display_names)
