"""Walking a compiled tree ensemble: the leaf each row reaches, and the path's contributions.

Spark's binary one-hot splits become plain thresholds and leaves loop to themselves, so every
tree is walked in ``depth`` vectorised steps for a whole batch; one row takes a cheaper path.
``contributions`` credits each step's change of node value to the split's slot (exact path
contributions), which ``CompiledPipeline.explain`` sums back to source columns.
"""

from __future__ import annotations

import numpy as np


class TreeWalk:
    """Trees rearranged for walking: binary category splits become thresholds, leaves loop."""

    def __init__(self, model, blocks):  # an Ensemble and the pipeline's Blocks (compiled.py)
        binary = np.zeros(max((b.offset + b.size for b in blocks), default=0) + 1, dtype=bool)
        for b in blocks:
            if b.kind == "onehot":
                binary[b.offset:b.offset + b.size] = True
        n = len(model.left)
        leaf = model.left < 0
        left, right = model.left.copy(), model.right.copy()
        threshold = model.threshold.astype(float).copy()
        mask = model.left_mask
        only_zero_left = model.categorical & (mask == 1)
        only_one_left = model.categorical & (mask == 2) & binary[model.feature]
        threshold[only_zero_left | only_one_left] = 0.5
        left[only_one_left], right[only_one_left] = model.right[only_one_left], model.left[only_one_left]
        self.general = model.categorical & ~only_zero_left & ~only_one_left
        self.has_general = bool(self.general.any())
        index = np.arange(n)
        left[leaf], right[leaf], threshold[leaf] = index[leaf], index[leaf], np.inf
        self.feature = np.where(leaf, 0, model.feature)
        self.threshold = threshold
        self.children = np.stack([right, left], axis=1)  # [node, went_left]
        self.flat_children = self.children.ravel()
        self.mask = mask
        self.roots = model.roots
        self.depth = model.depth
        self.kind, self.weights = model.kind, model.weights
        self.value0, self.value1 = model.value0, model.value1

    def leaves(self, matrix: np.ndarray) -> np.ndarray:
        rows, width = matrix.shape
        if rows == 1 and not self.has_general:
            return self._leaves_one(matrix[0])[None, :]
        flat = matrix.ravel()
        base = (np.arange(rows) * width)[:, None]
        node = np.broadcast_to(self.roots, (rows, len(self.roots)))
        general = self.has_general
        for _ in range(self.depth):
            value = flat.take(base + self.feature.take(node))
            go_left = value <= self.threshold.take(node)
            if general:
                go_left = self._categorical(node, value, go_left)
            node = self.children[node, go_left.view(np.int8)]
        return node

    def contributions(self, matrix: np.ndarray) -> tuple[float, str, np.ndarray]:
        """Baseline, scale and per-slot path contributions (see ``CompiledPipeline.explain``)."""
        rows, width = matrix.shape
        if self.kind == "forest":  # Spark averages the trees' class shares
            values, scale = self.value1, "probability"
            weights = np.full(len(self.roots), 1.0 / len(self.roots))
        else:  # P = 1 / (1 + exp(-2·margin)): log-odds = 2 × the weighted sum of leaf values
            values, weights, scale = self.value0, 2.0 * self.weights, "log-odds"
        flat = matrix.ravel()
        base = (np.arange(rows) * width)[:, None]
        node = np.broadcast_to(self.roots, (rows, len(self.roots)))
        slots = np.zeros((rows, width))
        row_of = np.broadcast_to(np.arange(rows)[:, None], node.shape)
        for _ in range(self.depth):
            value = flat.take(base + self.feature.take(node))
            go_left = value <= self.threshold.take(node)
            if self.has_general:
                go_left = self._categorical(node, value, go_left)
            child = self.children[node, go_left.view(np.int8)]
            np.add.at(slots, (row_of, self.feature.take(node)),
                      (values.take(child) - values.take(node)) * weights)
            node = child
        return float(values[self.roots] @ weights), scale, slots

    def _leaves_one(self, row: np.ndarray) -> np.ndarray:
        """One row: the same walk on flat arrays (fewer, smaller numpy calls)."""
        node, feature, threshold, children = self.roots, self.feature, self.threshold, self.flat_children
        for _ in range(self.depth):
            went_left = row.take(feature.take(node)) <= threshold.take(node)
            node = children.take(node * 2 + went_left)
        return node

    def _categorical(self, node, value, go_left):
        special = self.general.take(node)
        missing = np.isnan(value)
        category = np.where(missing, 0, value).astype(np.int64).clip(0, 63).astype(np.uint64)
        in_set = ((self.mask.take(node) >> category) & np.uint64(1)) == 1
        return np.where(special, in_set & ~missing, go_left)
