"""Time windows for monitoring: fixed sizes (hour, day, week, 30 days) or chosen automatically.

Windows are aligned tumbling intervals on the request's event time (the simulated time for
simulated traffic), computed in Spark; ``auto`` picks the smallest size giving at most
``MAX_WINDOWS`` windows over the period.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

from opml_core.errors import MonitorError

SIZES = {"1h": 3600, "1d": 86_400, "7d": 7 * 86_400, "30d": 30 * 86_400}
LABELS = {"1h": "hour", "1d": "day", "7d": "week", "30d": "30 days", "auto": "automatic"}
MAX_WINDOWS = 30
WEEK_START = 4 * 86_400  # 1970-01-01 was a Thursday; weeks start on Mondays


def check_size(size: str) -> str:
    if size != "auto" and size not in SIZES:
        raise MonitorError(f"Unknown window {size!r}; choose one of auto, {', '.join(SIZES)}.")
    return size


def choose_size(first_epoch: float, last_epoch: float) -> str:
    span = max(last_epoch - first_epoch, 1.0)
    for size, seconds in SIZES.items():
        if math.ceil(span / seconds) + 1 <= MAX_WINDOWS:  # aligned windows may add one at each end
            return size
    return "30d"


def window_start(column, size: str):
    """A Spark column: the start (epoch seconds, UTC) of the window holding ``column``.

    Seconds rather than a timestamp, so the driver turns them into UTC times itself
    (``as_time``) whatever the machine's own time zone.
    """
    from pyspark.sql import functions as F

    seconds = SIZES[size]
    offset = WEEK_START if size == "7d" else 0
    epoch = F.unix_timestamp(column)
    return F.floor((epoch - F.lit(offset)) / F.lit(seconds)) * F.lit(seconds) + F.lit(offset)


def as_time(window):
    """A window key as a UTC datetime (keys that already are datetimes pass through)."""
    if window is None or isinstance(window, datetime):
        return window
    return datetime.fromtimestamp(int(window), timezone.utc)
