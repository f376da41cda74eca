"""Usage: what deployments received, collected into Spark SQL tables exactly once.

``collect`` holds ``collect_usage`` (and the exactly-once bookkeeping); ``sources`` the
``UsageSource`` readers by key; ``printed`` reads azureml-local's server logs; ``azure`` reads
Application Insights traces and Azure ML's data collector files; ``tables`` turns records into
the rows of ``model_requests`` and ``model_inputs``.
"""

from opml_core.usage import azure, printed  # noqa: F401  (registers their sources)
from opml_core.usage.collect import (
                                     INPUTS,
                                     LABELS,
                                     REQUESTS,
                                     STATE_DIR,
                                     CollectResult,
                                     collect_running,
                                     collect_usage,
)
from opml_core.usage.sources import SOURCES, UsageSource

__all__ = ["INPUTS", "LABELS", "REQUESTS", "STATE_DIR", "SOURCES", "CollectResult", "UsageSource",
           "collect_running", "collect_usage"]
