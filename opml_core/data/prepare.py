"""Turn a loaded dataset into a training table and an operations table, each with its card.

``prepare_tables`` checks the choices (target with exactly two classes, a positive class,
at least one feature, free table names), splits, describes what was done in one sentence and
writes both tables together, so a failure anywhere leaves the workspace as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable
from datetime import datetime, timezone

from opml_core.access import BUILDER, require
from opml_core.config import Workspace
from opml_core.data.card import CATEGORICAL, NUMERIC, DatasetCard
from opml_core.data.columns import ROW_ID
from opml_core.data.load import LoadedData
from opml_core.data.profile import column_kind, level_counts, profile_frame
from opml_core.data.split import RANDOM, SkewSpec, SplitParts, SplitSpec, split_frame
from opml_core.data.tables import MONITORING_TABLES, table_exists, validate_table_name, write_tables
from opml_core.errors import DataError, TableExistsError


@dataclass(frozen=True)
class PrepareSpec:
    """The user's choices on the Prepare page."""

    target: str
    positive_class: str
    features: list[str]
    training_table: str
    operations_table: str
    split: SplitSpec = field(default_factory=SplitSpec)
    skew: SkewSpec | None = None
    replace: bool = False
    sentinels: dict[str, float] = field(default_factory=dict)  # numeric code -> "not applicable"
    left_out: dict[str, str] = field(default_factory=dict)  # column -> why it is not a feature


@dataclass(frozen=True)
class PrepareResult:
    """The two cards written and the sentence describing the split."""

    training: DatasetCard
    operations: DatasetCard
    summary: str


def target_classes(data: LoadedData, target: str) -> list[tuple[str, int]]:
    """The target's values and counts, most frequent first (nulls left out)."""
    return level_counts(data.df, [target], top=3).get(target, [])


def check_names(workspace: Workspace, spec: PrepareSpec) -> None:
    """Raise before any work if the table names are invalid, equal, or taken without consent."""
    validate_table_name(spec.training_table)
    validate_table_name(spec.operations_table)
    if spec.training_table == spec.operations_table:
        raise DataError("The training and operations tables need two different names.")
    reserved = [n for n in (spec.training_table, spec.operations_table) if n in MONITORING_TABLES]
    if reserved:
        raise DataError(f"{reserved[0]!r} is kept for the requests deployments receive (Monitor "
                        "page); choose another name.")
    taken = [n for n in (spec.training_table, spec.operations_table) if table_exists(workspace, n)]
    if taken and not spec.replace:
        raise TableExistsError(
            f"A table named {taken[0]!r} already exists. Choose another name, or confirm that "
            "you want to replace it."
        )


def prepare_tables(spark, workspace: Workspace, data: LoadedData, spec: PrepareSpec,
                   progress: Callable[[str], None] = lambda message: None) -> PrepareResult:
    """Validate, split and save; return both cards and a one-sentence summary."""
    require(BUILDER, "prepare tables")
    from pyspark.sql import functions as F

    check_names(workspace, spec)
    progress("Checking the target and features")
    kinds = {c: column_kind(t) for c, t in data.df.dtypes if c != ROW_ID}
    negative = _check_target(data, spec)
    features = _check_features(spec, kinds)
    codes = _check_sentinels(spec, features, kinds)
    keep = [ROW_ID, *features, spec.target]
    if spec.split.order_column and spec.split.order_column not in keep:
        keep.insert(1, spec.split.order_column)
    labelled = data.df.where(F.col(spec.target).isNotNull()).select(*keep)
    progress(f"Splitting {data.description} ({spec.split.kind})")
    parts = split_frame(labelled, spec.split, spec.skew, kinds)
    summary = describe_split(data, spec, parts)
    skewed = _skew_record(parts) if spec.skew is not None else {}
    base = dict(source=data.description, split={**_split_record(spec), **skewed}, summary=summary,
                target=spec.target, positive_class=spec.positive_class, negative_class=negative,
                features=features, feature_kinds={f: kinds[f] for f in features},
                sentinels=codes,
                left_out={c: r for c, r in spec.left_out.items() if c not in features},
                spark_types=dict(labelled.dtypes),
                display_names={c: data.display(c) for c in keep},
                created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    progress("Recording category levels and ranges seen in training")
    reference = _reference(parts.training, features, kinds)
    training = DatasetCard(table=spec.training_table, role="training", rows=parts.training_rows,
                           sibling=spec.operations_table, **reference, **base)
    operations = DatasetCard(table=spec.operations_table, role="operations",
                             rows=parts.operations_rows, sibling=spec.training_table,
                             **reference, **base)
    progress(f"Writing {spec.training_table} and {spec.operations_table}")
    write_tables(workspace, {spec.training_table: (parts.training, training),
                             spec.operations_table: (parts.operations, operations)},
                 replace=spec.replace)
    return PrepareResult(training, operations, summary)


def describe_split(data: LoadedData, spec: PrepareSpec, parts: SplitParts) -> str:
    """One plain sentence saying what the split did."""
    total = parts.training_rows + parts.operations_rows - (parts.segment_after - parts.segment_before)
    share = spec.split.operations_fraction
    if spec.split.kind == RANDOM:
        how = (f"Split {total:,} rows at random (seed {spec.split.seed}): "
               f"{parts.training_rows:,} train the model and {parts.operations_rows:,} ")
        sentence = how + "stand in for production inputs"
    else:
        order = data.display(spec.split.order_column) if spec.split.order_column else "file order"
        how = (f"Split {total:,} rows by {order}: the first {1 - share:.0%} "
               f"({parts.training_rows:,} rows) train the model and the last {share:.0%} ")
        sentence = how + f"({parts.operations_rows:,} rows) stand in for production inputs"
    if spec.skew is not None:
        s = spec.skew
        value = f"{s.value:g}" if isinstance(s.value, float) else s.value
        before = parts.segment_before / max(parts.operations_rows - parts.added, 1)
        after = parts.segment_after / max(parts.operations_rows, 1)
        sentence += (f"; rows with {data.display(s.column)} {s.operator} {value} were made "
                     f"{s.factor:g}× as common in operations ({parts.segment_before:,} → "
                     f"{parts.segment_after:,} rows, {before:.1%} → {after:.1%} of operations)")
        if parts.added:
            sentence += (f", the {parts.added:,} added copies spread at random (seed "
                         f"{spec.split.seed}) through the operations rows, so any stretch of "
                         "simulated traffic carries them")
    return sentence + "."


def _check_target(data: LoadedData, spec: PrepareSpec) -> str:
    if spec.target not in data.df.columns:
        raise DataError(f"There is no column {spec.target!r} to predict; choose the target column.")
    classes = [value for value, _ in target_classes(data, spec.target)]
    name = data.display(spec.target)
    if len(classes) < 2:
        raise DataError(
            f"The target {name!r} has only one value ({classes[0] if classes else 'none'}): a "
            "model needs examples of both outcomes. Choose another target or add rows."
        )
    if len(classes) > 2:
        raise DataError(
            f"The target {name!r} has more than two values ({', '.join(classes)}, …); opml "
            "predicts yes/no outcomes. Choose a column with exactly two values."
        )
    if spec.positive_class not in classes:
        raise DataError(
            f"{spec.positive_class!r} is not a value of {name!r}; choose one of "
            f"{', '.join(map(repr, classes))} as the positive class."
        )
    return next(c for c in classes if c != spec.positive_class)


def _check_features(spec: PrepareSpec, kinds: dict[str, str]) -> list[str]:
    features = [f for f in spec.features if f != spec.target]
    if not features:
        raise DataError("Choose at least one feature: the columns the model may learn from.")
    unknown = [f for f in features if f not in kinds]
    if unknown:
        raise DataError(f"There is no column {unknown[0]!r}; choose features among the columns.")
    unusable = [f for f in features if kinds[f] not in (NUMERIC, CATEGORICAL)]
    if unusable:
        raise DataError(
            f"{unusable[0]!r} is neither a number nor a category (it is a {kinds[unusable[0]]} "
            "column); leave it out of the features."
        )
    return features


def _check_sentinels(spec: PrepareSpec, features: list[str], kinds: dict[str, str]) -> dict:
    codes = {}
    for column, value in spec.sentinels.items():
        if column not in features:
            continue  # a code of a column left out changes nothing
        if kinds.get(column) != NUMERIC:
            raise DataError(f"{column!r} is not a numeric column, so it has no numeric code to "
                            "treat as 'not applicable'.")
        try:
            code = float(value)
        except (TypeError, ValueError):
            raise DataError(f"The 'not applicable' code of {column!r} must be a number "
                            f"(got {value!r}).") from None
        if code != code or code in (float("inf"), float("-inf")):
            raise DataError(f"The 'not applicable' code of {column!r} must be a finite number.")
        codes[column] = code
    return codes


def _split_record(spec: PrepareSpec) -> dict:
    record = {"kind": spec.split.kind, "operations_fraction": spec.split.operations_fraction,
              "seed": spec.split.seed, "order_column": spec.split.order_column}
    if spec.skew is not None:
        record["skew"] = {"column": spec.skew.column, "operator": spec.skew.operator,
                          "value": spec.skew.value, "factor": spec.skew.factor}
    return record


def _skew_record(parts: SplitParts) -> dict:
    """Where and how much the skew is, for the dataset card."""
    return {"skew_rows": {"segment_before": parts.segment_before, "segment_after": parts.segment_after,
                          "added": parts.added, "operations_rows": parts.operations_rows,
                          "placement": "spread at random through the operations rows (seeded)"
                          if parts.added else "removed at random (seeded), the rest left in place"}}


def _reference(training, features: list[str], kinds: dict[str, str]) -> dict:
    profile = profile_frame(training.select(*features), top_levels=1000)
    levels = {c.name: [v for v, _ in c.levels] for c in profile.columns if c.kind == CATEGORICAL}
    ranges = {c.name: {"min": c.minimum, "max": c.maximum, "mean": c.mean}
              for c in profile.columns if c.kind == NUMERIC}
    return {"levels": levels, "ranges": ranges}
