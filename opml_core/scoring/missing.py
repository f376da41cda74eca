"""Which numeric inputs of a Spark pipeline have no imputer: read from its saved stages, no JVM.

A missing number in such a column would fail inside Spark (a ``VectorAssembler`` refuses it) or
reach the classifier as NaN, so the input check refuses it with a 400 naming the column and
row, for the Spark engine as for the compiled one. A column counts as imputed when an
``Imputer`` reads it, directly or through one of the casts opml's pipelines write; when a SQL
stage is not one of those and the pipeline has an imputer, nothing is refused (opml cannot tell
which columns it covers, and Spark still answers for them).
"""

from __future__ import annotations

from pathlib import Path

from opml_core.scoring.compile import CAST_ITEM, cast_sql, stage_metadata


def unimputed_numbers(sparkml_dir: Path, numeric: list[str]) -> set[str]:
    """The columns of ``numeric`` that no Imputer of the pipeline at ``sparkml_dir`` covers."""
    imputed, derived, unknown_sql = set(), {}, False
    stages = sorted((Path(sparkml_dir) / "stages").iterdir(), key=lambda p: int(p.name.split("_")[0]))
    for path in stages:
        meta = stage_metadata(path)
        kind = meta["class"].rsplit(".", 1)[-1]
        params = {**meta.get("defaultParamMap", {}), **meta.get("paramMap", {})}
        if kind == "ImputerModel":
            imputed |= set(params.get("inputCols") or [params.get("inputCol")])
        elif kind == "SQLTransformer":
            statement = " ".join(params["statement"].split())
            items = [m.groups() for m in CAST_ITEM.finditer(statement)]
            rebuilt = "SELECT *, " + ", ".join(cast_sql(*i) for i in items) + " FROM __THIS__"
            unknown_sql |= not items or rebuilt.lower() != statement.lower()
            for plain, plain_out, coded, _, coded_out, *_ in items:
                if plain or coded:
                    derived[plain_out or coded_out] = plain or coded
    if imputed and unknown_sql:
        return set()
    covered = imputed | {derived[c] for c in imputed if c in derived}
    return {c for c in numeric if c not in covered}
