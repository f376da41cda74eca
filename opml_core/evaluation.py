"""How good a trained model is, from its test-part predictions.

Spark computes the headline ROC and PR AUCs exactly and bins the predicted probabilities
(1,000 bins by outcome); everything that depends on a threshold — accuracy, precision, recall,
F1, the confusion matrix, ROC and PR curves — is then computed from those bins in plain Python,
so moving the threshold slider costs nothing. Every figure comes with the majority-class
baseline (always giving the most common answer), a suggested threshold (best F1, or least cost
when a missed positive costs N false alarms) and a one-line verdict in words. Feature
importances are summed back from one-hot slots to the columns users know.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from opml_core.pipeline import FEATURES, LABEL, PROBABILITY, slot_sources

BINS = 1000


@dataclass(frozen=True)
class ThresholdMetrics:
    """Counts and rates when probabilities at or above ``threshold`` are called positive."""

    threshold: float
    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def accuracy(self) -> float:
        total = self.tp + self.fp + self.tn + self.fn
        return (self.tp + self.tn) / total if total else 0.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"accuracy": self.accuracy, "precision": self.precision,
                "recall": self.recall, "f1": self.f1}


@dataclass(frozen=True)
class ScoreBins:
    """Test rows counted by probability bin (width 1/BINS) and actual outcome."""

    positives: list[int]
    negatives: list[int]

    def at(self, threshold: float) -> ThresholdMetrics:
        cut = min(max(round(threshold * BINS), 0), BINS)
        tp, fn = sum(self.positives[cut:]), sum(self.positives[:cut])
        fp, tn = sum(self.negatives[cut:]), sum(self.negatives[:cut])
        return ThresholdMetrics(cut / BINS, tp, fp, tn, fn)

    def roc_curve(self) -> tuple[list[float], list[float]]:
        """False- and true-positive rates as the threshold falls from 1 to 0."""
        pos, neg = sum(self.positives) or 1, sum(self.negatives) or 1
        fpr, tpr, tp, fp = [0.0], [0.0], 0, 0
        for b in range(BINS - 1, -1, -1):
            tp, fp = tp + self.positives[b], fp + self.negatives[b]
            if self.positives[b] or self.negatives[b]:
                fpr.append(fp / neg)
                tpr.append(tp / pos)
        return fpr, tpr

    def auc(self) -> float:
        """Area under the ROC curve from the bins (rows sharing a bin count as ties)."""
        fpr, tpr = self.roc_curve()
        return float(sum((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2 for i in range(1, len(fpr))))

    def pr_curve(self) -> tuple[list[float], list[float]]:
        """Recall and precision as the threshold falls from 1 to 0."""
        pos = sum(self.positives) or 1
        recall, precision, tp, fp = [], [], 0, 0
        for b in range(BINS - 1, -1, -1):
            tp, fp = tp + self.positives[b], fp + self.negatives[b]
            if self.positives[b] or self.negatives[b]:
                recall.append(tp / pos)
                precision.append(tp / (tp + fp))
        return recall, precision


@dataclass(frozen=True)
class Evaluation:
    """A model's quality on its held-out test part."""

    roc_auc: float
    pr_auc: float
    bins: ScoreBins
    importances: dict[str, float]  # source column -> share of importance, summing to 1
    train_rows: int
    test_rows: int
    positive_rate: float
    cv: dict[str, float] = field(default_factory=dict)  # {"folds", "roc_auc_mean", "roc_auc_std"}

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Evaluation":
        return cls(**{**data, "bins": ScoreBins(**data["bins"])})

    def headline(self, threshold: float = 0.5) -> dict[str, float]:
        return {"roc_auc": self.roc_auc, "pr_auc": self.pr_auc, **self.bins.at(threshold).as_dict()}

    def baseline(self) -> ThresholdMetrics:
        """Always answering the more common outcome: what every metric must beat to mean anything."""
        positives, negatives = sum(self.bins.positives), sum(self.bins.negatives)
        if positives > negatives:  # always "yes"
            return ThresholdMetrics(0.0, positives, negatives, 0, 0)
        return ThresholdMetrics(1.0, 0, 0, negatives, positives)  # always "no"

    def suggested_threshold(self, missed_cost: float | None = None) -> float:
        """The threshold with the best F1, or, given what a missed positive costs in false
        alarms, the one with the least total cost (``missed_cost`` × misses + false alarms)."""
        positives, negatives = sum(self.bins.positives), sum(self.bins.negatives)
        fn = fp_below = 0  # rows below the cut: missed positives, negatives rightly refused
        best, best_value = 0.5, None
        for cut in range(1, BINS):
            fn += self.bins.positives[cut - 1]
            fp_below += self.bins.negatives[cut - 1]
            tp, fp = positives - fn, negatives - fp_below
            if missed_cost is None:
                value = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
            else:
                value = -(missed_cost * fn + fp)
            if best_value is None or value > best_value + 1e-12:
                best, best_value = cut / BINS, value
        return best


def verdict(point: ThresholdMetrics, positive: str, baseline: ThresholdMetrics) -> str:
    """One line in words: how many positives the model finds and how often its 'yes' is right."""
    found = point.tp + point.fn
    if not found:
        return f"The test part has no '{positive}' rows, so there is nothing to find."
    if point.tp + point.fp == 0:
        return (f"At this threshold the model never says '{positive}': it finds none of the "
                f"{found:,} '{positive}' cases, no better than always answering "
                f"'{'yes' if baseline.tp else 'no'}'. Lower the threshold.")
    sentence = (f"Finds {_in_ten(point.recall)} '{positive}' cases; {_in_ten(point.precision)} of "
                f"its '{positive}' answers are right")
    if point.accuracy <= baseline.accuracy:
        sentence += (f". Its accuracy ({point.accuracy:.1%}) is no better than always giving the "
                     f"most common answer ({baseline.accuracy:.1%}), so judge it by these two "
                     "numbers instead")
    return sentence + "."


def _in_ten(share: float) -> str:
    """0.62 → 'about 6 in 10'; small shares keep their scale ('about 1 in 40')."""
    if share >= 0.095:
        return f"about {round(share * 10)} in 10"
    if share <= 0:
        return "none"
    return f"about 1 in {round(1 / share):,}"


def positive_probability():
    """A Spark column: the probability of the positive class (label 1.0)."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    return vector_to_array(F.col(PROBABILITY))[1]


def probability_bin(probability=None):
    """A Spark column: the bin (0..BINS-1) of a probability (default: the positive class's)."""
    from pyspark.sql import functions as F

    probability = positive_probability() if probability is None else probability
    return F.least(F.floor(probability * BINS), F.lit(BINS - 1)).cast("int")


def evaluate_predictions(predictions, importances: list[float], train_rows: int) -> Evaluation:
    """Evaluate the test part's predictions; ``importances`` are per vector slot."""
    from pyspark.ml.evaluation import BinaryClassificationEvaluator
    from pyspark.sql import functions as F

    evaluator = BinaryClassificationEvaluator(rawPredictionCol=PROBABILITY, labelCol=LABEL, numBins=0)
    roc = evaluator.setMetricName("areaUnderROC").evaluate(predictions)
    pr = evaluator.setMetricName("areaUnderPR").evaluate(predictions)
    binned = (predictions.select(probability_bin().alias("bin"), F.col(LABEL))
              .groupBy("bin", LABEL).count().collect())
    positives, negatives = [0] * BINS, [0] * BINS
    for row in binned:
        (positives if row[LABEL] == 1.0 else negatives)[row["bin"]] += int(row["count"])
    bins = ScoreBins(positives, negatives)
    test_rows = sum(positives) + sum(negatives)
    return Evaluation(
        roc_auc=roc, pr_auc=pr, bins=bins,
        importances=importances_by_column(slot_sources(predictions), importances),
        train_rows=train_rows, test_rows=test_rows,
        positive_rate=sum(positives) / test_rows if test_rows else 0.0,
    )


def importances_by_column(sources: list[str], slots: list[float]) -> dict[str, float]:
    """Sum slot importances back to their source columns; normalise to 1; largest first."""
    totals: dict[str, float] = {}
    for source, value in zip(sources, slots):
        totals[source] = totals.get(source, 0.0) + abs(float(value))
    grand = sum(totals.values()) or 1.0
    return dict(sorted(((k, v / grand) for k, v in totals.items()), key=lambda kv: -kv[1]))


def slot_importances(model, train_features=None) -> list[float]:
    """Per-slot importances: the trees' own, or |weight| × slot spread for linear models."""
    if hasattr(model, "featureImportances"):
        return list(model.featureImportances.toArray())
    from pyspark.ml.stat import Summarizer

    coefficients = model.coefficients.toArray()
    std = train_features.select(Summarizer.std(train_features[FEATURES]).alias("s")).first()["s"]
    return [abs(c) * s for c, s in zip(coefficients, std.toArray())]
