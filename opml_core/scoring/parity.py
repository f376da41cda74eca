"""Does the compiled scorer answer as Spark does, for this very model? Measured per version.

At registration the fitted pipeline scores a seeded random sample of its own training rows
(``parity_sample``: from the whole table, not its first rows) twice: through
Spark and through the compiled form. A submitted pipeline is scored by Spark in the sandbox, on
its own input example (opml never loads foreign models in its own process), and the compiled form
scores the same rows here. The largest difference in probability is kept with the version
(metric ``scorer_max_diff``, with ``scorer_checked_rows``) and shown on the Deploy page. Over
``TOLERANCE``, if compiling fails in any way, or if a submitted pipeline has no example to check
on, the version is marked to score through Spark, with a note saying why.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

TOLERANCE = 1e-9
SAMPLE_ROWS = 2000
SAMPLE_SEED = 20240611  # the same rows each time a version is checked
SCORER_TAG = "opml.scorer"  # "spark" when the compiled form must not be used
NOTE_TAG = "opml.scorer_note"
DIFF_METRIC = "scorer_max_diff"
ROWS_METRIC = "scorer_checked_rows"
UNCHECKED_NOTE = ("This submitted pipeline has no input example to check the fast scorer against "
                  "Spark, so it scores through Spark: exact, but slower. Zip it with an input "
                  "example to use the fast scorer.")


def parity_sample(rows, size: int = SAMPLE_ROWS):
    """Up to ``size`` rows drawn at random (seeded) from the whole of ``rows``: a top-k by a
    seeded random key, so Spark keeps ``size`` rows per partition, never sorting the table."""
    from pyspark.sql import functions as F

    return rows.withColumn("__draw", F.rand(SAMPLE_SEED)).orderBy("__draw").limit(size).drop("__draw")


def max_difference(model, compiled, rows, features: list[str], numeric: list[str]) -> tuple[float, int]:
    """(Largest |P_spark - P_compiled|, rows compared) over a seeded random sample of up to
    SAMPLE_ROWS of ``rows`` (a Spark frame with the model's inputs)."""
    from pyspark.ml.functions import vector_to_array

    sample = parity_sample(rows)
    scored = model.transform(sample).select(*features, vector_to_array("probability")[1].alias("__p"))
    frame = scored.toPandas()
    if frame.empty:
        return 0.0, 0
    columns = {}
    for column in features:
        values = frame[column].tolist()
        columns[column] = [None if (v is None or v != v) else v for v in values] if column in numeric \
            else [None if v is None else str(v) for v in values]
    probabilities, _, _ = compiled.score(columns)
    return float(np.max(np.abs(probabilities - frame["__p"].to_numpy(dtype=float)))), len(frame)


def example_difference(compiled, records: list[dict], probabilities: list[float]) -> tuple[float, int]:
    """(Largest |P_spark - P_compiled|, rows compared) over a submitted model's example rows,
    scored by Spark in the sandbox (``probabilities``) and here by the compiled form."""
    if not records:
        return 0.0, 0
    columns = {name: [row.get(name) for row in records] for name in compiled.columns}
    mine, _, _ = compiled.score(columns)
    return float(np.max(np.abs(mine - np.asarray(probabilities, dtype=float)))), len(records)


def parity_caption(diff: float | None, rows: float | None) -> str | None:
    """What the Deploy page says of a version's check against Spark (None: it was not checked)."""
    if diff is None:
        return None
    counted = f"{int(rows):,}" if rows is not None else f"up to {SAMPLE_ROWS:,}"
    if not diff <= TOLERANCE:  # NaN too
        return (f"This version scores through Spark because the fast scorer differed from Spark "
                f"by up to {diff:.1e} on {counted} of its rows (its training rows, or a submitted "
                "model's own example), checked when it was registered.")
    closeness = "exactly" if diff == 0 else f"to within {diff:.0e}"
    return (f"The fast scorer matched Spark {closeness} on {counted} of this version's "
            "rows (its training rows, or a submitted model's own example), checked when it was "
            "registered.")


def compile_checked(model_dir: Path, run_id: str, check=None, unchecked: str | None = None) -> None:
    """Build the Spark-free scorer now, so deploying this version never waits for it, and check
    it against Spark (``scoring/py``): ``check(compiled)`` gives (largest difference,
    rows compared); without one, ``unchecked`` is why the version scores through Spark (None:
    trust the compiled form). On any doubt, Spark it is."""
    import mlflow

    from opml_core.scoring.bundle import log_compiled
    from opml_core.scoring.compile import UnsupportedStage, compile_spark_model

    def through_spark(note: str) -> None:
        mlflow.set_tags({SCORER_TAG: "spark", NOTE_TAG: note})

    try:
        compiled = compile_spark_model(model_dir / "sparkml")
    except UnsupportedStage:
        return  # deployments of this version score through Spark and say so
    except Exception as exc:  # a pipeline the compiler misreads: never abort registration
        return through_spark(f"The fast scorer could not read this pipeline ({type(exc).__name__}: "
                             f"{str(exc)[:120]}), so it scores through Spark: exact, but slower.")
    if check is None and unchecked:
        return through_spark(unchecked)
    if check is not None:
        try:
            diff, rows = check(compiled)
        except Exception as exc:  # the compiled form fails where Spark did not
            return through_spark(f"The fast scorer failed on rows Spark scored ({type(exc).__name__}: "
                                 f"{str(exc)[:120]}), so it scores through Spark: exact, but slower.")
        mlflow.log_metrics({DIFF_METRIC: diff, ROWS_METRIC: rows})
        if not diff <= TOLERANCE:  # NaN is a difference too
            return through_spark(f"The fast scorer differed from Spark by up to {diff:.1e} on "
                                 f"{rows:,} of this model's rows, so it scores through Spark: "
                                 "exact, but slower.")
    log_compiled(compiled, run_id)
