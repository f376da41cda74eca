"""Does the compiled scorer answer as Spark does, for this very model? Measured per version.

At registration the fitted pipeline scores a sample of its own training rows twice: through
Spark and through the compiled form. The largest difference in probability is kept with the
version (metric ``scorer_max_diff``) and shown on the Deploy page. Over ``TOLERANCE``, or if
compiling fails in any way, the version is marked to score through Spark, with a note saying why.
"""

from __future__ import annotations

import numpy as np

TOLERANCE = 1e-9
SAMPLE_ROWS = 2000
SCORER_TAG = "opml.scorer"  # "spark" when the compiled form must not be used
NOTE_TAG = "opml.scorer_note"
DIFF_METRIC = "scorer_max_diff"


def max_difference(model, compiled, rows, features: list[str], numeric: list[str]) -> float:
    """Largest |P_spark - P_compiled| over ``rows`` (a Spark frame with the model's inputs)."""
    from pyspark.ml.functions import vector_to_array

    sample = rows.limit(SAMPLE_ROWS)
    scored = model.transform(sample).select(*features, vector_to_array("probability")[1].alias("__p"))
    frame = scored.toPandas()
    if frame.empty:
        return 0.0
    columns = {}
    for column in features:
        values = frame[column].tolist()
        columns[column] = [None if (v is None or v != v) else v for v in values] if column in numeric \
            else [None if v is None else str(v) for v in values]
    probabilities, _, _ = compiled.score(columns)
    return float(np.max(np.abs(probabilities - frame["__p"].to_numpy(dtype=float))))
