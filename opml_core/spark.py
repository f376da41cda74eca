"""The one place that configures Spark.

``get_spark(settings)`` returns the process's SparkSession, building it on first use (about
8 s on a laptop) so that pages which never touch data never pay for it. ``OPML_SPARK_MASTER``
picks local Spark (default), a cluster (``spark://…``) or Spark Connect (``sc://…``).
``spark_progress`` reads the running jobs' task counts so the app can show progress (from the
status tracker, or from a Spark Connect server's progress reports).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from opml_core.config import Settings
from opml_core.errors import ConfigError

_LOCK = threading.Lock()
_SESSION = None


@dataclass(frozen=True)
class SparkProgress:
    """Tasks done and total over the stages running now."""

    done: int
    total: int
    stages: int

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


def build_spark_session(settings: Settings):
    """Build (or join) a SparkSession configured from the settings."""
    from pyspark.sql import SparkSession

    workspace = settings.workspace.ensure()
    if settings.spark_master.startswith("sc://"):
        builder = SparkSession.builder.remote(settings.spark_master)
    else:
        builder = (
            SparkSession.builder.master(settings.spark_master)
            .appName("opml")
            .config("spark.driver.memory", settings.spark_driver_memory)
            # The throughput collector for the driver (with local Spark, all of Spark's work):
            # batch work, and on 10M collected rows about 7% faster than G1 (bench/monitor.py).
            # A default, so options set in spark.driver.extraJavaOptions still apply.
            .config("spark.driver.defaultJavaOptions", "-XX:+UseParallelGC")
            .config("spark.ui.enabled", str(settings.spark_ui).lower())
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.local.dir", str(workspace.spark_local))
            .config("spark.sql.warehouse.dir", settings.warehouse)
        )
    builder = builder.config("spark.sql.shuffle.partitions", str(settings.spark_shuffle_partitions))
    builder = builder.config("spark.sql.session.timeZone", "UTC")
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # the JVM failed to start or the cluster is unreachable
        raise ConfigError(
            f"Spark could not start with OPML_SPARK_MASTER={settings.spark_master!r}: {exc}. "
            "Check that Java 17+ is installed (java -version) and the master URL is reachable."
        ) from exc
    if not settings.spark_master.startswith("sc://"):
        spark.sparkContext.setLogLevel("ERROR")
    return spark


def get_spark(settings: Settings):
    """The process's SparkSession, built on first call (thread-safe)."""
    global _SESSION
    with _LOCK:
        if _SESSION is None or not is_session_alive(_SESSION):
            os.environ.setdefault("PYSPARK_PYTHON", _python())
            _SESSION = build_spark_session(settings)
        return _SESSION


def spark_is_running() -> bool:
    """Whether this process has started Spark already (used to decide whether to show a status)."""
    return _SESSION is not None and is_session_alive(_SESSION)


def is_session_alive(spark) -> bool:
    try:
        if hasattr(spark, "sparkContext") and not _is_connect(spark):
            return spark.sparkContext._jsc is not None
        return True
    except Exception:
        return False


def spark_progress(spark) -> SparkProgress | None:
    """Progress of the active stages, or None when nothing runs or it cannot be known: a
    classic session's status tracker, or what a Spark Connect server last reported."""
    if _is_connect(spark):
        return _connect_progress(spark)
    try:
        tracker = spark.sparkContext.statusTracker()
        infos = [tracker.getStageInfo(s) for s in tracker.getActiveStageIds()]
    except Exception:
        return None
    infos = [i for i in infos if i is not None]
    return SparkProgress(
        done=sum(i.numCompletedTasks for i in infos),
        total=sum(i.numTasks for i in infos),
        stages=len(infos),
    )


def beside_app(spark) -> bool:
    """Whether Spark runs in this process's machine and can read its files (local, classic)."""
    if _is_connect(spark):
        return False
    try:
        return spark.sparkContext.master.startswith("local")
    except Exception:
        return False


_CONNECT_PROGRESS: dict[int, SparkProgress | None] = {}  # per Connect session: the running operation
_PROGRESS_LOCK = threading.Lock()


def _connect_progress(spark) -> SparkProgress | None:
    """The tasks of the operation a Connect server runs now, as its progress reports say (the
    handler is registered on the session the first time progress is asked for)."""
    key = id(spark)
    with _PROGRESS_LOCK:
        if key not in _CONNECT_PROGRESS:
            _CONNECT_PROGRESS[key] = None

            def handler(stages, inflight_tasks, operation_id, done):
                stages = list(stages or [])
                _CONNECT_PROGRESS[key] = None if done or not stages else SparkProgress(
                    done=sum(s.num_completed_tasks for s in stages),
                    total=sum(s.num_tasks for s in stages),
                    stages=sum(1 for s in stages if not s.done))
            try:
                spark.registerProgressHandler(handler)
            except Exception:  # an older server or client: no progress, the work goes on
                return None
    return _CONNECT_PROGRESS.get(key)


def _is_connect(spark) -> bool:
    return type(spark).__module__.startswith("pyspark.sql.connect")


def _python() -> str:
    import sys

    return sys.executable
