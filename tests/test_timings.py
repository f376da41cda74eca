"""Waits are promised from what happened here before, never from a fixed guess."""

from opml_core import timings
from opml_core.config import Workspace


def test_the_expected_wait_is_the_median_of_the_last_five(tmp_path):
    workspace = Workspace(tmp_path)
    assert timings.expected(workspace, "spark_start") is None
    for seconds in (50, 40, 44, 300, 42, 46):
        timings.remember(workspace, "spark_start", seconds)
    assert timings.expected(workspace, "spark_start") == 44  # 40, 44, 300, 42, 46: 50 dropped


def test_a_damaged_timings_file_is_ignored_and_replaced(tmp_path):
    workspace = Workspace(tmp_path)
    (tmp_path / timings.FILE).write_text("{not json")
    assert timings.expected(workspace, "spark_start") is None
    timings.remember(workspace, "spark_start", 12.3)
    assert timings.expected(workspace, "spark_start") == 12.3


def test_the_wait_is_said_in_seconds_or_minutes_or_as_a_first_time():
    assert timings.wait_phrase(None, "up to a minute the first time") == "up to a minute the first time"
    assert timings.wait_phrase(44.2, "") == "about 45 s, as before here"
    assert timings.wait_phrase(2.0, "") == "about 5 s, as before here"
    assert timings.wait_phrase(150, "") == "about 2 min, as before here"
