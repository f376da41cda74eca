"""Baselines for bench/monitor.py, run in bench/.venv-baselines (Evidently 0.7, NannyML 0.13).

Reads the same training and production rows opml monitored; prints one JSON line with the
seconds Evidently's DataDriftPreset takes on all production rows, and NannyML's domain
classifier seconds and AUC per chunk on the first N rows split into the same 5 days.
Usage: python monitor_baselines.py reference.parquet current.parquet N
"""

import json
import sys
import time

import pandas as pd

reference = pd.read_parquet(sys.argv[1])
current = pd.read_parquet(sys.argv[2])
limit = int(sys.argv[3])
features = list(reference.columns)

from evidently import Report  # noqa: E402
from evidently.presets import DataDriftPreset  # noqa: E402

clock = time.perf_counter()
Report([DataDriftPreset()]).run(reference_data=reference, current_data=current[features])
evidently_s = time.perf_counter() - clock

import nannyml as nml  # noqa: E402

sample = current.groupby("day", sort=True).head(limit // 5)  # the first rows of each day (as opml)
clock = time.perf_counter()
calculator = nml.DomainClassifierCalculator(feature_column_names=features,
                                            chunk_period=None, chunk_number=5, cv_folds_num=5)
calculator.fit(reference)
result = calculator.calculate(sample[features]).filter(period="analysis").to_df()
nannyml_s = time.perf_counter() - clock
auc = [round(float(v), 4) for v in result[("domain_classifier_auroc", "value")].tolist()]
print(json.dumps({"evidently_s": evidently_s, "nannyml_s": nannyml_s, "nannyml_auc": auc}))
