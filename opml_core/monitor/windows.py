"""Time windows for monitoring: fixed sizes (an hour to 30 days) or chosen from the period.

Windows are aligned tumbling intervals on the request's event time (the simulated time for
simulated traffic), computed in Spark; ``auto`` (the default) picks the smallest size giving
at most ``MAX_WINDOWS`` windows over the period, which is at least ``MIN_WINDOWS`` whenever a
smaller size exists: a 30-day simulation gets about 30 day windows, three days 6-hour ones.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

from opml_core.errors import MonitorError

SIZES = {"1h": 3600, "3h": 3 * 3600, "6h": 6 * 3600, "12h": 12 * 3600, "1d": 86_400,
         "2d": 2 * 86_400, "7d": 7 * 86_400, "30d": 30 * 86_400}
LABELS = {"auto": "Automatic", "1h": "Hour", "3h": "3 hours", "6h": "6 hours",
          "12h": "12 hours", "1d": "Day", "2d": "2 days", "7d": "Week", "30d": "30 days"}
MIN_WINDOWS, MAX_WINDOWS = 10, 40
WEEK_START = 4 * 86_400  # 1970-01-01 was a Thursday; weeks start on Mondays


def check_size(size: str) -> str:
    if size != "auto" and size not in SIZES:
        raise MonitorError(f"Unknown window {size!r}; choose one of auto, {', '.join(SIZES)}.")
    return size


def choose_size(first_epoch: float, last_epoch: float) -> str:
    """The smallest size whose aligned windows over the period number at most MAX_WINDOWS."""
    for size in SIZES:
        if count_windows(first_epoch, last_epoch, size) <= MAX_WINDOWS:
            return size
    return "30d"


def count_windows(first_epoch: float, last_epoch: float, size: str) -> int:
    """How many aligned windows of ``size`` the period from first to last touches."""
    seconds = SIZES[size]
    offset = WEEK_START if size == "7d" else 0
    return int(math.floor((last_epoch - offset) / seconds) - math.floor((first_epoch - offset) / seconds)) + 1


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
