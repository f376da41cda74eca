"""The bundled UCI Bank Marketing dataset, its citation and licence.

41,188 phone calls of a Portuguese bank (May 2008 → Nov 2010, in date order), 20 inputs and the
outcome ``y``: did the client subscribe a term deposit? Shipped gzipped so opml works offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_HERE = Path(__file__).parent


@dataclass(frozen=True)
class BundledDataset:
    """A dataset shipped inside the package, with what users must see about it."""

    key: str
    title: str
    path: Path
    delimiter: str
    schema_ddl: str
    target: str
    positive_class: str
    suggested_name: str
    question: str
    citation: str
    licence: str
    source_url: str
    excluded_by_default: dict[str, str]
    description_path: Path


BANK_MARKETING = BundledDataset(
    key="bank-marketing",
    title="UCI Bank Marketing (41,188 calls, May 2008 – Nov 2010)",
    path=_HERE / "bank-additional-full.csv.gz",
    delimiter=";",
    schema_ddl=(
        "age INT, job STRING, marital STRING, education STRING, `default` STRING, housing STRING, "
        "loan STRING, contact STRING, month STRING, day_of_week STRING, duration INT, "
        "campaign INT, pdays INT, previous INT, poutcome STRING, `emp.var.rate` DOUBLE, "
        "`cons.price.idx` DOUBLE, `cons.conf.idx` DOUBLE, euribor3m DOUBLE, "
        "`nr.employed` DOUBLE, y STRING"
    ),
    target="y",
    positive_class="yes",
    suggested_name="bank",
    question="Will the client subscribe a term deposit?",
    citation=(
        "S. Moro, P. Cortez and P. Rita. A Data-Driven Approach to Predict the Success of Bank "
        "Telemarketing. Decision Support Systems 62:22–31, 2014. doi:10.1016/j.dss.2014.03.001"
    ),
    licence="Creative Commons Attribution 4.0 International (CC BY 4.0)",
    source_url="https://archive.ics.uci.edu/dataset/222/bank+marketing",
    excluded_by_default={
        "duration": (
            "The call's duration is only known after the call, when the outcome is known too; "
            "the dataset's authors advise leaving it out of a realistic model."
        )
    },
    description_path=_HERE / "bank-additional-names.txt",
)

BUNDLED = {BANK_MARKETING.key: BANK_MARKETING}
