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

FORMAT_VERSION = 1


@dataclass
class Block:
    """One assembler input: a numeric column (1 slot) or a categorical column (its slots)."""

    column: str
    kind: str  # "numeric" | "onehot" | "index"
    offset: int
    size: int
    surrogate: float | None = None  # numeric: value used for null/NaN (None: keep NaN)
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

    @property
    def columns(self) -> list[str]:
        return [b.column for b in self.blocks]

    def features(self, columns: dict[str, list]) -> tuple[np.ndarray, dict[str, int]]:
        """The assembled feature matrix, and how many unseen categories each column had."""
        rows = len(next(iter(columns.values()))) if columns else 0
        matrix = np.zeros((rows, self.width))
        unseen: dict[str, int] = {}
        for block in self.blocks:
            values = columns[block.column]
            if block.kind == "numeric":
                column = np.array(values, dtype=float)
                if block.surrogate is not None:
                    column[np.isnan(column)] = block.surrogate
                matrix[:, block.offset] = column
                continue
            index, misses = _index(values, block)
            if misses:
                unseen[block.column] = misses
            if block.kind == "index":
                matrix[:, block.offset] = index
            else:
                hot = index < block.size
                matrix[np.nonzero(hot)[0], block.offset + index[hot]] = 1.0
        return matrix, unseen

    def score(self, columns: dict[str, list]) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
        """P(label 1), the predicted label (0/1) and unseen-category counts, per row."""
        matrix, unseen = self.features(columns)
        if isinstance(self.model, Linear):
            margin = matrix @ self.model.coefficients + self.model.intercept
            p0 = 1.0 / (1.0 + np.exp(margin))
            p1 = 1.0 - p0
            return p1, (p1 > self.model.threshold).astype(int), unseen
        leaves = _leaves(self.model, matrix)
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


def _index(values: list, block: Block) -> tuple[np.ndarray, int]:
    lookup = {label: i for i, label in enumerate(block.labels)}
    unseen = len(block.labels)
    index = np.fromiter((lookup.get(v, unseen) if v is not None else unseen for v in values),
                        dtype=np.int64, count=len(values))
    return index, int((index == unseen).sum())


def _leaves(model: Ensemble, matrix: np.ndarray) -> np.ndarray:
    """Walk every row down every tree at once; return the leaf index per (row, tree)."""
    rows = np.arange(matrix.shape[0])[:, None]
    node = np.broadcast_to(model.roots, (matrix.shape[0], len(model.roots))).copy()
    for _ in range(model.depth):
        inner = model.left[node] >= 0
        if not inner.any():
            break
        value = matrix[rows, model.feature[node]]
        missing = np.isnan(value)
        as_category = np.where(missing, 0, value).astype(np.int64).clip(0, 63).astype(np.uint64)
        in_left_set = ((model.left_mask[node] >> as_category) & np.uint64(1)) == 1
        go_left = np.where(model.categorical[node], in_left_set & ~missing,
                           value <= model.threshold[node])
        node = np.where(inner, np.where(go_left, model.left[node], model.right[node]), node)
    return node
