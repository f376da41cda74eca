"""The dataset card: what a prepared table is, stored beside it as JSON.

It records where the rows came from, how they were split, the target and its positive class,
the features with their kinds, readable names, category levels and numeric ranges seen in
training. Training builds its pipeline from it; the Predict form and drift monitoring read it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

CARD_FILE = "_opml_card.json"
NUMERIC, CATEGORICAL = "numeric", "categorical"


@dataclass
class DatasetCard:
    """Everything opml knows about a prepared table."""

    table: str
    role: str  # "training" or "operations"
    source: str
    split: dict
    summary: str
    rows: int
    target: str
    positive_class: str
    negative_class: str
    features: list[str]
    feature_kinds: dict[str, str]  # feature -> "numeric" | "categorical"
    spark_types: dict[str, str]  # column -> Spark SQL type name
    display_names: dict[str, str]  # safe name -> readable name
    levels: dict[str, list[str]] = field(default_factory=dict)  # categorical, by frequency
    ranges: dict[str, dict[str, float]] = field(default_factory=dict)  # numeric: min/max/mean
    sentinels: dict[str, float] = field(default_factory=dict)  # numeric code -> "not applicable"
    left_out: dict[str, str] = field(default_factory=dict)  # column -> why it is not a feature
    sibling: str | None = None  # the other table of the split
    created_at: str = ""

    def display(self, column: str) -> str:
        return self.display_names.get(column, column)

    @property
    def categorical(self) -> list[str]:
        return [f for f in self.features if self.feature_kinds[f] == CATEGORICAL]

    @property
    def numeric(self) -> list[str]:
        return [f for f in self.features if self.feature_kinds[f] == NUMERIC]

    def with_features(self, features: list[str]) -> "DatasetCard":
        """A copy limited to a subset of the features (order kept as given)."""
        data = asdict(self)
        data["features"] = list(features)
        return DatasetCard(**data)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "DatasetCard":
        data = json.loads(text)
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)
