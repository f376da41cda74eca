"""Which numeric inputs of a Spark pipeline have no imputer: read from its saved stages, no JVM.

A missing number that reaches a ``VectorAssembler`` (which refuses it by default) without an
``Imputer`` would fail inside Spark, so the input check refuses it with a 400 naming the column
and row, for the Spark engine as for the compiled one. Only what the stages prove is refused:
a column counts as imputed when an ``Imputer`` reads it, directly or through one of the casts
opml's pipelines write; a column no assembler reads, an assembler that keeps or skips invalid
values, and any pipeline opml cannot read through (a SQL stage of another kind, a nested
pipeline) refuse nothing, since Spark may well answer for them.
"""

from __future__ import annotations

from pathlib import Path

from opml_core.scoring.compile import parse_casts, stage_metadata, stage_paths


def unimputed_numbers(sparkml_dir: Path, numeric: list[str]) -> set[str]:
    """The columns of ``numeric`` that reach an assembler with no Imputer of the pipeline at
    ``sparkml_dir`` covering them."""
    imputed, derived, assembled = set(), {}, set()
    for path in stage_paths(sparkml_dir):
        meta = stage_metadata(path)
        kind = meta["class"].rsplit(".", 1)[-1]
        params = {**meta.get("defaultParamMap", {}), **meta.get("paramMap", {})}
        if kind == "PipelineModel":
            return set()
        if kind == "ImputerModel":
            imputed |= set(params.get("inputCols") or [params.get("inputCol")])
        elif kind == "SQLTransformer":
            items = parse_casts(params["statement"])
            if items is None:
                return set()
            for plain, plain_out, coded, _, coded_out, *_ in items:
                if plain or coded:
                    derived[plain_out or coded_out] = plain or coded
        elif kind == "VectorAssembler" and params.get("handleInvalid", "error") == "error":
            assembled |= set(params.get("inputCols") or [])
    covered = imputed | {derived[c] for c in imputed if c in derived}
    reaching = {derived.get(c, c) for c in assembled}
    return {c for c in numeric if c in reaching and c not in covered}
