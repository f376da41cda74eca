"""Windows: chosen from the period so charts hold 10 to 40 of them."""

from datetime import datetime, timedelta, timezone

import pytest

from opml_core.monitor.windows import LABELS, choose_size, count_windows

START = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("days,size", [(30, "1d"), (3, "3h"), (1, "1h"), (10, "12h"), (90, "7d"),
                                       (365, "30d")])
def test_the_default_window_gives_ten_to_forty_windows(days, size):
    first, last = START.timestamp(), (START + timedelta(days=days)).timestamp()
    assert choose_size(first, last) == size
    assert count_windows(first, last, size) <= 40
    if days < 365:
        assert count_windows(first, last, size) >= 10 or days == 1


def test_a_thirty_day_simulation_never_gets_seven_hundred_hour_columns():
    first, last = START.timestamp(), (START + timedelta(days=30)).timestamp()
    assert count_windows(first, last, "1h") > 700
    assert count_windows(first, last, choose_size(first, last)) <= 40


def test_automatic_is_the_first_choice_on_the_page():
    assert next(iter(LABELS)) == "auto"
