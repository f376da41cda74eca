"""Scorers behind one interface: the compiled pipeline, Spark, or ``mlflow.pyfunc``.

``load_scorer(bundle_dir)`` reads a model bundle (see ``bundle.py``) and returns the fastest
engine that reproduces the model: ``compiled`` (numpy, no JVM, the usual case), ``spark`` (a
Spark pipeline with a stage the compiler does not know: exact but slower, with a note saying so)
or ``pyfunc`` (a submitted model of another flavour). ``score_records`` checks the rows, scores
them and maps predictions back to the user's labels. Only an endpoint's process loads a model
that runs its own code (Spark, pyfunc); the app itself scores through ``load_in_app_scorer``,
which gives the compiled scorer and refuses every other engine before loading anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from opml_core.errors import ForeignCodeError
from opml_core.scoring.inputs import InputSchema, records_to_columns, unseen_warnings

BUNDLE_META = "model.json"
COMPILED_FILE = "compiled.npz"
MODEL_DIR = "model"


@dataclass(frozen=True)
class BundleMeta:
    """What a deployment knows about the model it serves."""

    name: str
    version: str
    run_id: str | None
    engine: str  # compiled | spark | pyfunc
    note: str | None
    positive_class: str | None
    negative_class: str | None
    inputs: InputSchema
    signature: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    target: str | None = None
    operations_table: str | None = None  # where example inputs come from (the card's sibling)
    threshold: float | None = None  # P(positive) from which the label is positive (None: model's)

    def to_json(self) -> str:
        data = {**vars(self), "inputs": self.inputs.to_dict()}
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> "BundleMeta":
        data = json.loads(text)
        return cls(**{**data, "inputs": InputSchema.from_dict(data["inputs"])})


@dataclass(frozen=True)
class ScoringResult:
    """Per-row labels (in the user's terms) and positive-class probabilities, plus warnings."""

    labels: list[str]
    probabilities: list[float] | None
    warnings: list[str]
    explanations: list[dict] | None = None  # per row, when asked for (see Scorer.explain)

    def predictions(self) -> list[dict]:
        if self.probabilities is None:
            rows = [{"label": label} for label in self.labels]
        else:
            rows = [{"label": label, "probability": p} for label, p in zip(self.labels, self.probabilities)]
        for row, explanation in zip(rows, self.explanations or ()):
            row["explanation"] = explanation
        return rows


class Scorer:
    """Scores validated columns; subclasses implement ``predict``."""

    engine = "base"

    def __init__(self, meta: BundleMeta):
        self.meta = meta

    def predict(self, columns: dict[str, list]) -> tuple[np.ndarray | None, list[str], dict[str, int]]:
        """Return (probabilities or None, labels, unseen-category counts)."""
        raise NotImplementedError

    def explain(self, columns: dict[str, list]) -> list[dict] | None:
        """Per-row contributions by input (readable names, largest first), or None."""
        return None

    def score_records(self, records, max_rows: int = 100_000, explain: bool = False) -> ScoringResult:
        columns, warnings = records_to_columns(records, self.meta.inputs, max_rows)
        probabilities, labels, unseen = self.predict(columns)
        explanations = self.explain(columns) if explain else None
        if explain and explanations is None:
            warnings.append(f"Explanations need opml's compiled scorer; this model scores through "
                            f"{self.engine}, so none are given.")
        if self.meta.threshold is not None and probabilities is not None:
            labels = self._labels((probabilities >= self.meta.threshold).astype(int))
        warnings += unseen_warnings(unseen, self.meta.inputs)
        return ScoringResult(labels, None if probabilities is None else probabilities.tolist(),
                             warnings, explanations)

    def _labels(self, predicted: np.ndarray) -> list[str]:
        names = np.array([self.meta.negative_class, self.meta.positive_class], dtype=object)
        return names[predicted].tolist()


class CompiledScorer(Scorer):
    engine = "compiled"

    def __init__(self, meta: BundleMeta, bundle_dir: Path):
        from opml_core.scoring.compiled import CompiledPipeline

        super().__init__(meta)
        self.pipeline = CompiledPipeline.load(bundle_dir / COMPILED_FILE)

    def predict(self, columns):
        probabilities, predicted, unseen = self.pipeline.score(columns)
        return probabilities, self._labels(predicted), unseen

    def explain(self, columns):
        baseline, scale, names, contributions = self.pipeline.explain(columns)
        display = {c.name: c.display for c in self.meta.inputs.columns}
        shown = [display.get(n, n) for n in names]
        out = []
        for row in contributions.tolist():
            ranked = sorted(zip(shown, row), key=lambda pair: -abs(pair[1]))
            out.append({"baseline": baseline, "scale": scale, "contributions": dict(ranked)})
        return out


class SparkScorer(Scorer):
    """Exact but slow: runs the saved Spark pipeline in a classic local Spark session of the
    scoring process's own (the bundle is a local folder, which a cluster or Spark Connect cannot
    read; endpoints start without the app's Spark session variables, see deploy/processes.py)."""

    engine = "spark"

    def __init__(self, meta: BundleMeta, bundle_dir: Path):
        from pyspark.ml import PipelineModel
        from pyspark.sql import SparkSession

        super().__init__(meta)
        self.spark = (SparkSession.builder.master("local[1]").config("spark.api.mode", "classic")
                      .config("spark.ui.enabled", "false").getOrCreate())
        self.model = PipelineModel.load(str(bundle_dir / MODEL_DIR / "sparkml"))

    def predict(self, columns):
        import pandas as pd
        from pyspark.ml.functions import vector_to_array

        frame = self.spark.createDataFrame(pd.DataFrame(columns))
        out = self.model.transform(frame).select(vector_to_array("probability")[1].alias("p"),
                                                 "prediction").toPandas()
        return out["p"].to_numpy(), self._labels(out["prediction"].to_numpy().astype(int)), {}


class PyfuncScorer(Scorer):
    """Any MLflow model: labels as the model returns them; probabilities when it gives them."""

    engine = "pyfunc"

    def __init__(self, meta: BundleMeta, bundle_dir: Path):
        import mlflow.pyfunc

        super().__init__(meta)
        self.model = mlflow.pyfunc.load_model(str(bundle_dir / MODEL_DIR))

    def predict(self, columns):
        import pandas as pd

        output = self.model.predict(pd.DataFrame(columns))  # its own failure: a 500, logged
        if isinstance(output, pd.DataFrame):
            if "probability" in output:
                probabilities = output["probability"].to_numpy(dtype=float)
                labels = output.get("label", output.iloc[:, 0]).astype(str).tolist()
                return probabilities, labels, {}
            output = output.iloc[:, 0]
        values = np.asarray(output).ravel()
        if self.meta.positive_class is not None and set(np.unique(values)) <= {0, 1, 0.0, 1.0}:
            return None, self._labels(values.astype(int)), {}
        return None, [str(v) for v in values], {}


ENGINES = {"compiled": CompiledScorer, "spark": SparkScorer, "pyfunc": PyfuncScorer}
IN_APP_ENGINES = ("compiled",)  # opml's own code: the only engine the app process may run
ENGINE_NAMES = {"spark": "Spark", "pyfunc": "mlflow.pyfunc"}
FOREIGN_CODE = ("{name} version {version} runs its own code when it scores (through {engine}). "
                "The app never runs a model's code in its own process, so this version is scored "
                "only through its endpoint: deploy it on the Deploy page, then pick its deployment "
                "here.")


def load_scorer(bundle_dir: Path) -> Scorer:
    """The scorer a bundle asks for (in an endpoint's process: it may run the model's code)."""
    meta = read_meta(bundle_dir)
    return ENGINES[meta.engine](meta, bundle_dir)


def read_meta(bundle_dir: Path) -> BundleMeta:
    """What a bundle holds, read as data (no model code runs)."""
    return BundleMeta.from_json((bundle_dir / BUNDLE_META).read_text("utf-8"))


def load_in_app_scorer(bundle_dir: Path) -> Scorer:
    """The compiled scorer of a bundle, for scoring inside the app; ForeignCodeError for any
    other engine, refused before anything of the model is loaded."""
    meta = read_meta(bundle_dir)
    if meta.engine not in IN_APP_ENGINES:
        engine = ENGINE_NAMES.get(meta.engine, meta.engine)
        raise ForeignCodeError(FOREIGN_CODE.format(name=meta.name, version=meta.version,
                                                   engine=engine))
    return ENGINES[meta.engine](meta, bundle_dir)
