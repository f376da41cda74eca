"""How long slow steps took here before, so the app can promise honest waits.

``remember`` keeps the last few durations of a step (Spark's start, a training run) in the
workspace; ``expected`` gives their median, or None before the first time. The app says
"about 45 s (as last time)" instead of a fixed guess that fits no machine.
"""

from __future__ import annotations

import json
import statistics

from opml_core.config import Workspace
from opml_core.files import write_atomic

KEPT = 5
FILE = "timings.json"


def _path(workspace: Workspace):
    return workspace.root / FILE


def _read(workspace: Workspace) -> dict[str, list[float]]:
    try:
        data = json.loads(_path(workspace).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: [float(x) for x in v if isinstance(x, (int, float))] for k, v in data.items()
            if isinstance(v, list)} if isinstance(data, dict) else {}


def remember(workspace: Workspace, step: str, seconds: float) -> None:
    """Keep one more duration of ``step`` (the last ``KEPT`` are kept); never raises."""
    try:
        data = _read(workspace)
        data[step] = [*data.get(step, []), round(float(seconds), 2)][-KEPT:]
        workspace.root.mkdir(parents=True, exist_ok=True)
        write_atomic(_path(workspace), json.dumps(data))
    except OSError:
        pass  # a timing is a courtesy, never a reason to fail


def expected(workspace: Workspace, step: str) -> float | None:
    """The median of the kept durations of ``step``, or None if it never ran here."""
    values = _read(workspace).get(step)
    return statistics.median(values) if values else None


def wait_phrase(seconds: float | None, first_time: str) -> str:
    """'about 45 s, as before' / 'about 2 min, as before', or ``first_time`` with no history."""
    if seconds is None:
        return first_time
    if seconds < 90:
        return f"about {max(5, round(seconds / 5) * 5):.0f} s, as before here"
    return f"about {round(seconds / 60):.0f} min, as before here"
