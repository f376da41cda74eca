"""A fitted Spark pipeline as plain numpy: the form the endpoint scores with, without a JVM.

``CompiledPipeline`` holds the pipeline's blocks (numeric inputs with their imputed value,
categorical inputs with their index and one-hot layout) and the classifier (a flattened tree
ensemble or a logistic regression). ``score`` reproduces Spark's arithmetic step by step, so
probabilities match Spark's ``transform`` to ~1e-15. ``save``/``load`` use one ``.npz`` file.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from opml_core.errors import ScoringError
from opml_core.scoring.walk import TreeWalk

FORMAT_VERSION = 1


@dataclass
class Block:
    """One assembler input: a numeric column (1 slot) or a categorical column (its slots)."""

    column: str
    kind: str  # "numeric" | "flag" (1.0 where the value is the sentinel) | "onehot" | "index"
    offset: int
    size: int
    surrogate: float | None = None  # numeric: value used for null/NaN (None: keep NaN)
    sentinel: float | None = None  # numeric: a code read as missing; flag: the code it marks
    labels: list[str] = field(default_factory=list)  # categorical: index order
    keep_invalid: bool = True  # unseen/null categories go to index len(labels)
    category_size: int = 0  # onehot: categories the encoder knew (labels + unseen bucket)
    drop_last: bool = True


@dataclass
class Ensemble:
    """All trees of a forest or boosted model, flattened into parallel node arrays."""

    kind: str  # "forest" (class-count leaves) | "boosted" (weighted regression leaves)
    roots: np.ndarray  # node index of each tree's root
    weights: np.ndarray  # tree weights (boosted)
    feature: np.ndarray
    threshold: np.ndarray
    categorical: np.ndarray  # bool: split on a category set instead of a threshold
    left_mask: np.ndarray  # uint64: categories going left (categorical splits)
    left: np.ndarray  # child index, -1 at leaves
    right: np.ndarray
    value0: np.ndarray  # leaf: class-0 share (forest) or prediction (boosted)
    value1: np.ndarray  # leaf: class-1 share (forest)
    depth: int


@dataclass
class Linear:
    """A binary logistic regression."""

    coefficients: np.ndarray
    intercept: float
    threshold: float = 0.5


@dataclass
class CompiledPipeline:
    """Blocks feeding one classifier; ``score`` returns P(positive) and the 0/1 prediction."""

    blocks: list[Block]
    width: int
    model: Ensemble | Linear
    stages: list[str] = field(default_factory=list)  # Spark stage classes, for display

    def __post_init__(self):
        self._plan = _Plan(self.blocks)
        if isinstance(self.model, Ensemble):
            self._walk = TreeWalk(self.model, self.blocks)

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys(b.column for b in self.blocks))

    def features(self, columns: dict[str, list]) -> tuple[np.ndarray, dict[str, int]]:
        """The assembled feature matrix, and how many unseen categories each column had."""
        return self._plan.assemble(columns, self.width)

    def score(self, columns: dict[str, list]) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
        """P(label 1), the predicted label (0/1) and unseen-category counts, per row."""
        matrix, unseen = self.features(columns)
        if isinstance(self.model, Linear):
            margin = matrix @ self.model.coefficients + self.model.intercept
            p0 = 1.0 / (1.0 + np.exp(margin))
            p1 = 1.0 - p0
            return p1, (p1 > self.model.threshold).astype(int), unseen
        leaves = self._walk.leaves(matrix)
        if self.model.kind == "forest":
            raw0 = self.model.value0[leaves].sum(axis=1)
            raw1 = self.model.value1[leaves].sum(axis=1)
            total = raw0 + raw1
            p0, p1 = raw0 / total, raw1 / total
        else:
            margin = self.model.value0[leaves] @ self.model.weights
            p0 = 1.0 / (1.0 + np.exp(2.0 * margin))
            p1 = 1.0 - p0
        return p1, (p1 > p0).astype(int), unseen

    def explain(self, columns: dict[str, list]) -> tuple[float, str, list[str], np.ndarray]:
        """Per-row contributions of each source column: (baseline, scale, columns, matrix).

        Trees: each split on a path moves the node's value to its child's; the move is credited
        to the split's column (exact path contributions), so baseline + a row's contributions is
        its probability (forests, ``scale`` "probability") or its log-odds (boosted trees,
        "log-odds"). Logistic regression: coefficient × input per slot, baseline the intercept,
        summing to the log-odds. Slots (one-hot levels, a code's flag) add up to their column.
        """
        matrix, _ = self.features(columns)
        names = self.columns
        owner = np.zeros(self.width, dtype=np.int64)
        for block in self.blocks:
            owner[block.offset:block.offset + block.size] = names.index(block.column)
        if isinstance(self.model, Linear):
            baseline, scale, slots = float(self.model.intercept), "log-odds", matrix * self.model.coefficients
        else:
            baseline, scale, slots = self._walk.contributions(matrix)
        by_column = np.zeros((matrix.shape[0], len(names)))
        np.add.at(by_column, (slice(None), owner), slots)
        return baseline, scale, names, by_column

    def save(self, path: Path) -> None:
        meta = {"format": FORMAT_VERSION, "width": self.width, "stages": self.stages,
                "blocks": [asdict(b) for b in self.blocks]}
        arrays = {}
        if isinstance(self.model, Linear):
            meta["model"] = {"type": "linear", "intercept": self.model.intercept,
                             "threshold": self.model.threshold}
            arrays["coefficients"] = self.model.coefficients
        else:
            meta["model"] = {"type": "ensemble", "kind": self.model.kind, "depth": self.model.depth}
            arrays.update({k: v for k, v in vars(self.model).items() if isinstance(v, np.ndarray)})
        np.savez_compressed(path, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
                            **arrays)

    @classmethod
    def load(cls, path: Path) -> "CompiledPipeline":
        with np.load(path) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            arrays = {k: data[k] for k in data.files if k != "meta"}
        if meta["format"] != FORMAT_VERSION:
            raise ValueError(f"compiled scorer format {meta['format']} is not {FORMAT_VERSION}")
        spec = meta["model"]
        if spec["type"] == "linear":
            model = Linear(arrays["coefficients"], spec["intercept"], spec["threshold"])
        else:
            model = Ensemble(kind=spec["kind"], depth=spec["depth"], **arrays)
        return cls([Block(**b) for b in meta["blocks"]], meta["width"], model, meta["stages"])


class _Plan:
    """How to turn columns into the feature matrix with a handful of numpy calls."""

    def __init__(self, blocks: list[Block]):
        numeric = [b for b in blocks if b.kind in ("numeric", "flag")]
        self.numeric = [b.column for b in numeric]
        self.numeric_offsets = np.array([b.offset for b in numeric], dtype=np.int64)
        self.surrogates = np.array([np.nan if b.surrogate is None else b.surrogate for b in numeric])
        # sentinel codes: (position among numeric blocks, code, True for the 0/1 flag)
        self.codes = [(i, b.sentinel, b.kind == "flag") for i, b in enumerate(numeric)
                      if b.sentinel is not None]
        coded = [b for b in blocks if b.kind not in ("numeric", "flag")]
        self.coded = [(b.column, {label: i for i, label in enumerate(b.labels)}, len(b.labels))
                      for b in coded]
        self.strict = {b.column: b.labels for b in coded if not b.keep_invalid}
        self.unseen = np.array([len(b.labels) for b in coded], dtype=np.int64)[:, None]
        self.onehot = np.array([b.kind == "onehot" for b in coded])
        self.offsets = np.array([b.offset for b in coded], dtype=np.int64)[:, None]
        self.sizes = np.array([b.size if b.kind == "onehot" else 0 for b in coded], dtype=np.int64)[:, None]
        self.numeric_one = list(zip(self.numeric, self.numeric_offsets.tolist(), self.surrogates.tolist(),
                                    [(b.sentinel, b.kind == "flag") for b in numeric]))
        self.coded_one = list(zip(self.coded, self.offsets[:, 0].tolist(), self.sizes[:, 0].tolist(),
                                  self.onehot.tolist()))

    def assemble(self, columns: dict[str, list], width: int) -> tuple[np.ndarray, dict[str, int]]:
        first = columns[self.numeric[0] if self.numeric else self.coded[0][0]]
        rows = len(first)
        if rows == 1:
            return self._assemble_one(columns, width)
        matrix = np.zeros((rows, width))
        if self.numeric:
            values = np.array([columns[c] for c in self.numeric], dtype=float)
            for i, code, flag in self.codes:
                hit = values[i] == code
                values[i] = hit.astype(float) if flag else np.where(hit, np.nan, values[i])
            missing = np.isnan(values)
            if missing.any():
                values = np.where(missing, self.surrogates[:, None], values)
            matrix[:, self.numeric_offsets] = values.T
        unseen: dict[str, int] = {}
        if self.coded:
            index = np.array([[lookup.get(v, miss) for v in columns[name]]
                              for name, lookup, miss in self.coded], dtype=np.int64)
            misses = (index == self.unseen).sum(axis=1)
            if misses.any():
                unseen = {self.coded[i][0]: int(m) for i, m in enumerate(misses) if m}
                self._refuse_unseen(unseen)
            hot = (index < self.sizes) & self.onehot[:, None]
            row_of = np.broadcast_to(np.arange(rows), index.shape)
            matrix[row_of[hot], (self.offsets + index)[hot]] = 1.0
            if not self.onehot.all():
                plain = ~self.onehot
                matrix[:, self.offsets[plain, 0]] = index[plain].T
        return matrix, unseen


    def _assemble_one(self, columns: dict[str, list], width: int) -> tuple[np.ndarray, dict[str, int]]:
        """The same matrix for a single row, in plain Python (numpy calls cost more here)."""
        row = [0.0] * width
        for name, offset, surrogate, (code, flag) in self.numeric_one:
            value = columns[name][0]
            if value is None:
                value = np.nan
            if code is not None:
                value = float(value == code) if flag else (np.nan if value == code else value)
            row[offset] = surrogate if value != value and surrogate == surrogate else value
        unseen = {}
        for (name, lookup, miss), offset, size, onehot in self.coded_one:
            value = columns[name][0]
            index = lookup.get(value, miss) if value is not None else miss
            if index == miss:
                unseen[name] = 1
            if not onehot:
                row[offset] = float(index)
            elif index < size:
                row[offset + index] = 1.0
        self._refuse_unseen(unseen)
        return np.array([row]), unseen

    def _refuse_unseen(self, unseen: dict[str, int]) -> None:
        """Pipelines whose indexer has no unseen bucket fail on new categories, as Spark does."""
        for name in unseen:
            if name in self.strict:
                levels = ", ".join(map(repr, self.strict[name][:8]))
                raise ScoringError(f"{name!r} has a value this model was not trained on (and it "
                                   f"has no place for new values); use one of {levels}.")
