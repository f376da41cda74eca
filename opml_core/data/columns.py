"""Spark-safe column names, made once at load, and the readable names users keep seeing.

``emp.var.rate`` breaks unquoted Spark references, so it becomes ``emp_var_rate`` in every table
and pipeline, while the dataset card remembers ``emp.var.rate`` for display and for payloads.
"""

from __future__ import annotations

import re

from opml_core.errors import DataError

ROW_ID = "opml_row_id"
_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")


def safe_name(readable: str) -> str:
    """The Spark-safe form of a column name: letters, digits and single underscores."""
    name = _UNSAFE.sub("_", readable.strip())
    name = re.sub(r"_+", "_", name).strip("_") or "column"
    if name[0].isdigit():
        name = f"c_{name}"
    return name


def safe_names(readable: list[str]) -> dict[str, str]:
    """Map each readable name to its safe name; raise DataError on empty or clashing names."""
    problems = [i + 1 for i, name in enumerate(readable) if not str(name).strip()]
    if problems:
        raise DataError(
            f"Column {problems[0]} has no name in the header line. Give every column a name "
            "and upload the file again."
        )
    duplicates = _duplicates([str(n).strip().lower() for n in readable])
    if duplicates:
        raise DataError(
            f"The column name {duplicates[0]!r} appears more than once. Rename the duplicates "
            "and upload the file again."
        )
    mapping = {name: safe_name(name) for name in readable}
    clashes = _duplicates([s.lower() for s in mapping.values()])
    if clashes:
        clashing = [r for r, s in mapping.items() if s.lower() == clashes[0]]
        raise DataError(
            f"The columns {', '.join(map(repr, clashing))} would both be stored as "
            f"{clashes[0]!r}. Rename one of them and upload the file again."
        )
    if ROW_ID in {s.lower() for s in mapping.values()}:
        raise DataError(f"The column name {ROW_ID!r} is reserved by opml; rename that column.")
    return mapping


def _duplicates(values: list[str]) -> list[str]:
    seen, repeated = set(), []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated
