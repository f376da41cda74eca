"""Segment shifts: the bin, tail or category that grew the most, in words people use."""

import numpy as np
import pytest

from opml_core.monitor import segments, stats


def test_segment_shift_names_the_age_band_three_times_more_common():
    # Reference: ages 21..50 three times each (90 rows) and 61..70 once (10 %); the window has
    # ages 21..50 seven times each (210 rows) and 61..70 nine times (30 %). The top decile edge
    # is the 90th reference value, 50, so the last bin holds exactly the ages 61..70.
    young, old = np.arange(21, 51), np.arange(61, 71)
    counts = stats.numeric_counts(np.concatenate([np.repeat(young, 3), old]),
                                  np.concatenate([np.repeat(young, 7), np.repeat(old, 9)]))
    shift = segments.segment_shift(counts)
    assert shift == segments.SegmentShift("61 – 70", pytest.approx(0.1), pytest.approx(0.3),
                                       pytest.approx(3.0))

def test_segment_shift_names_the_category_that_grew_most():
    counts = stats.categorical_counts(["student"] * 10 + ["admin."] * 90,
                                      ["student"] * 30 + ["admin."] * 70)
    assert segments.segment_shift(counts) == segments.SegmentShift("student", 0.1, 0.3,
                                                             pytest.approx(3.0))

def test_segment_shift_leaves_new_categories_to_the_unseen_share():
    counts = stats.categorical_counts(list("aab") * 20, list("abcc") * 20)
    shift = segments.segment_shift(counts)
    assert shift.segment == "b" and shift.ratio == pytest.approx(0.75)
    assert stats.unseen_share(counts) == pytest.approx(0.5)

def test_segment_shift_finds_a_tail_a_decile_would_hide():
    rng = np.random.default_rng(3)
    reference = rng.integers(20, 90, 5000)
    older = np.concatenate([reference[:4000], np.repeat(reference[reference > 86], 3)])
    shift = segments.segment_shift(stats.numeric_counts(reference, older))
    assert shift.segment.startswith("above 8") and shift.ratio > 2.5

def test_segment_shift_is_none_when_no_segment_reaches_two_percent_of_the_window():
    categories = [f"level {i}" for i in range(60)]  # 1/60 of the window each
    assert segments.segment_shift(stats.categorical_counts(categories, categories)) is None
