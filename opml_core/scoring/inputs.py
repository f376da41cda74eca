"""Check incoming rows against the model's inputs and turn them into columns to score.

Rows may name columns by their readable names (``emp.var.rate``) or Spark-safe ones
(``emp_var_rate``). A missing column, a value of the wrong type or an empty or oversized batch
is refused with a ``ScoringError`` naming the column and row. What the pipeline itself handles
is accepted with a warning: extra columns (ignored), missing numbers (imputed with the training
median where the pipeline has an imputer, else refused), numbers outside the training range
(the model extrapolates) and missing or unseen categories (scored in the "unseen" bucket).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from opml_core.errors import ScoringError

NUMERIC, CATEGORICAL = "numeric", "categorical"


@dataclass(frozen=True)
class InputColumn:
    """One model input: its safe name, readable name, kind and what training saw."""

    name: str
    display: str
    kind: str
    levels: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    imputed: float | None = None  # the value missing numbers get
    refuses_missing: bool = False  # the pipeline has no imputer for it: a missing number is a 400


@dataclass(frozen=True)
class InputSchema:
    """The model's inputs in order, with a lookup from either name to the safe name."""

    columns: tuple[InputColumn, ...]
    aliases: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self):
        if not self.aliases:
            names = {c.name: c.name for c in self.columns}
            names.update({c.display: c.name for c in self.columns})
            object.__setattr__(self, "aliases", names)

    def to_dict(self) -> list[dict]:
        return [{**vars(c), "levels": list(c.levels)} for c in self.columns]

    @classmethod
    def from_dict(cls, items: list[dict]) -> "InputSchema":
        return cls(tuple(InputColumn(**{**item, "levels": tuple(item.get("levels", ()))})
                         for item in items))

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def records_to_columns(records, schema: InputSchema, max_rows: int) -> tuple[dict[str, list], list[str]]:
    """Validate rows (a list of objects) and return ``{safe name: values}`` plus warnings."""
    if not isinstance(records, list) or not records:
        raise ScoringError("The payload holds no rows. Send at least one record with the model's "
                           f"inputs: {', '.join(c.display for c in schema.columns)}.")
    if len(records) > max_rows:
        raise ScoringError(f"The payload holds {len(records):,} rows; the limit is {max_rows:,} "
                           "per request. Send them in smaller batches.")
    rows, extras = _normalise(records, schema)
    warnings = []
    if extras:
        warnings.append(f"Ignored columns the model does not use: {', '.join(sorted(extras))}.")
    columns = {}
    single = rows[0] if len(rows) == 1 else None
    for column in schema.columns:
        if single is not None:  # the one-row request: a plain value of the right type passes at once
            value = single.get(column.name, _ABSENT)
            quick = _quick(value, column)
            if quick is not None:
                columns[column.name] = quick
                continue
            values = [value]
        else:
            values = [row.get(column.name, _ABSENT) for row in rows]
        columns[column.name] = _column(values, column, warnings, schema)
    return columns, warnings


def _quick(value, column: InputColumn) -> list | None:
    """``[value]`` when one row's value needs no check beyond its type; None: run every check."""
    kind = type(value)
    if column.kind != NUMERIC:
        return [value] if kind is str else None
    low, high = column.minimum, column.maximum
    if (kind is int or kind is float) and low is not None and high is not None and low <= value <= high:
        return [float(value)]  # in the training range, so finite and no warning
    return None


def _column(values: list, column: InputColumn, warnings: list[str], schema: InputSchema) -> list:
    """One column's values checked and converted; warnings appended; ScoringError when wrong."""
    if _ABSENT in values:
        raise ScoringError(
            f"Row {values.index(_ABSENT)} has no {column.display!r}. Every row needs all the "
            f"model's inputs: {', '.join(c.display for c in schema.columns)}.")
    if column.kind != NUMERIC:
        return _texts(values, column)
    numbers, missing = _numbers(values, column)
    outside = _outside(numbers, column)
    if outside:
        warnings.append(outside)
    if missing and column.refuses_missing:
        row = next(n for n, v in enumerate(numbers) if math.isnan(v))
        raise ScoringError(f"Row {row} has no number for {column.display!r}, and this "
                           "model has no imputer for it: send a number in every row.")
    if missing and column.imputed is not None:
        warnings.append(f"{column.display!r} was missing in {missing} row(s) and was "
                        f"imputed with the training median ({column.imputed:g}).")
    elif missing:
        warnings.append(f"{column.display!r} was missing in {missing} row(s); it was "
                        "passed to the model as missing.")
    return numbers


def unseen_warnings(unseen: dict[str, int], schema: InputSchema) -> list[str]:
    """Warnings for categories that went to the unseen bucket."""
    display = {c.name: c.display for c in schema.columns}
    return [f"{display.get(name, name)!r} had {count} value(s) not seen in training (or missing); "
            "they were scored as an unseen category." for name, count in unseen.items()]


_ABSENT = object()


def _shown(value) -> str:
    """A value as it appears in a message: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _normalise(records: list, schema: InputSchema) -> tuple[list[dict], set[str]]:
    aliases, rows, extras = schema.aliases, [], set()
    for number, record in enumerate(records):
        if not isinstance(record, dict):
            raise ScoringError(f"Row {number} is not an object of column values; send rows like "
                               '{"age": 41, "job": "admin."}.')
        row = {}
        for key, value in record.items():
            safe = aliases.get(key)
            if safe is None:
                extras.add(str(key))
            else:
                row[safe] = value
        rows.append(row)
    return rows, extras


def _numbers(values: list, column: InputColumn) -> tuple[list[float], int]:
    out, missing = [], 0
    for number, value in enumerate(values):
        if value is None:
            out.append(math.nan)
            missing += 1
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ScoringError(f"{column.display!r} must be a number; row {number} has "
                               f"{_shown(value)}.")
        try:
            parsed = float(value)
        except ValueError:
            raise ScoringError(f"{column.display!r} must be a number; row {number} has "
                               f"{_shown(value)}.") from None
        if math.isnan(parsed):
            missing += 1
        elif math.isinf(parsed):
            raise ScoringError(f"{column.display!r} must be a finite number; row {number} has "
                               f"{_shown(value)}.")
        out.append(parsed)
    return out, missing


def _outside(numbers: list[float], column: InputColumn) -> str | None:
    """A warning when numbers fall outside what training saw (the model extrapolates there)."""
    low, high = column.minimum, column.maximum
    if low is None or high is None:
        return None
    rows = [i for i, v in enumerate(numbers) if v < low or v > high]  # NaN compares False
    if not rows:
        return None
    where = f"row {rows[0]}" if len(rows) == 1 else f"{len(rows)} rows (first: row {rows[0]})"
    return (f"{column.display!r} is {numbers[rows[0]]:g} in {where}, outside the training range "
            f"{low:g} to {high:g}: the model has not seen such values, so treat the prediction "
            "with care.")


def _texts(values: list, column: InputColumn) -> list[str | None]:
    if 0 < len(column.levels) <= 2 and set(column.levels) <= {"true", "false"}:  # a true/false category
        values = [str(v).lower() if isinstance(v, bool) else v for v in values]
    for number, value in enumerate(values):
        if value is not None and not isinstance(value, str):
            example = f" such as {column.levels[0]!r}" if column.levels else ""
            raise ScoringError(f"{column.display!r} must be text{example}; row {number} has "
                               f"{_shown(value)}.")
    return values
