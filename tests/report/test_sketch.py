"""The report's fixed-size summaries against the exact figures they stand for: the
percentile sketch within its stated error, the most frequent viewers, the sample, and
the timeline's grid whose columns stay exact however often its bins widen."""

from __future__ import annotations

import math
import random
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from botdeck.core.stats import percentile
from botdeck.report.grid import Grid, StepMax, Sums
from botdeck.report.sketch import EXACT, RELATIVE_ERROR, TINY, EvenSample, Quantiles, TopCounts


def test_percentiles_are_exact_up_to_the_exact_count():
    values = [random.Random(1).uniform(0, 30) for _ in range(EXACT)]
    sketch = Quantiles()
    for value in values:
        sketch.add(value)
    assert sketch.exact
    for q in (50, 95, 99):
        assert sketch.quantile(q) == percentile(sorted(values), q)


def test_past_that_percentiles_are_within_the_stated_error():
    rng = random.Random(2)
    values = [round(rng.lognormvariate(1.5, 1.2), 3) for _ in range(50_000)]
    values += [0.0] * 300 + [604_800.0]  # nothing waited, and a week
    sketch = Quantiles()
    for value in values:
        sketch.add(value)
    assert not sketch.exact and sketch.count == len(values) and sketch.max == 604_800.0
    ordered = sorted(values)
    for q in (1, 10, 50, 90, 95, 99, 99.9):
        exact, estimate = percentile(ordered, q), sketch.quantile(q)
        assert estimate is not None
        assert abs(estimate - exact) <= max(RELATIVE_ERROR * exact, TINY) + 0.0005, q
    over = sketch.above(60.0)
    assert abs(over - sum(1 for v in values if v > 60.0)) <= sum(
        1 for v in values if abs(v - 60.0) <= 60.0 * 2 * RELATIVE_ERROR
    )


def test_the_most_frequent_viewers_are_found_with_counts_they_surely_have():
    rng = random.Random(3)
    stream = ["regular1"] * 400 + ["regular2"] * 250 + [f"once{n}" for n in range(5_000)]
    rng.shuffle(stream)
    top: TopCounts[str] = TopCounts(64)
    for user in stream:
        top.add(user)
    assert not top.exact
    (first, n1), (second, n2) = top.top(2)
    assert (first, second) == ("regular1", "regular2")
    assert 0 < n1 <= 400 and 0 < n2 <= 250  # never more than the truth


def test_a_small_stream_is_counted_exactly():
    top: TopCounts[str] = TopCounts(8)
    for user in "abacabad":
        top.add(user)
    assert top.exact and top.top(3) == [("a", 4), ("b", 2), ("c", 1)]


@given(st.integers(min_value=0, max_value=5_000), st.integers(min_value=1, max_value=64))
def test_the_sample_is_bounded_evenly_spread_and_keeps_the_first(count, capacity):
    sample: EvenSample[int] = EvenSample(capacity)
    for n in range(count):
        sample.add(n)
    kept = sample.items
    assert len(kept) <= capacity
    assert len(kept) == count or len(kept) >= capacity // 2
    if kept:
        assert kept[0] == 0
        assert len({b - a for a, b in pairwise(kept)}) <= 1


def most_per_bucket(changes, start, bucket, columns):
    """The report's old definition, over every change kept: the largest value in each
    bucket, counting the value it has as the bucket begins."""
    most_in = [0] * columns
    size = 0
    steps = iter(changes)
    change = next(steps, None)
    for column in range(columns):
        begin = start + column * bucket
        while change is not None and change[0] <= begin:
            size = change[1]
            change = next(steps, None)
        most = size
        while change is not None and change[0] < begin + bucket:
            size = change[1]
            most = max(most, size)
            change = next(steps, None)
        most_in[column] = most
    return most_in


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(min_value=0, max_value=30_000), st.integers(0, 40)),
        min_size=1,
        max_size=300,
    ),
    st.sampled_from([1.0, 0.5, 0.001]),
)
def test_timeline_columns_are_exact_whatever_the_grid_widened(changes, step):
    """Hours of changes (the grid widens from 1 s to 1 min bins) give the columns that
    keeping every change gives, whole seconds, halves and milliseconds alike."""
    start = 1_795_000_000.0
    changes = sorted((start + round(t / step) * step, v) for t, v in changes)
    grid = Grid(3_600, 60)
    grid.origin = start
    steps, sums = StepMax(grid), Sums(grid)
    for ts, value in changes:
        where = grid.locate(ts)
        steps.set(where, value)
        sums.add(where[0], value)
    span = max(changes[-1][0] - start, 1.0)
    bucket = grid.column_width(span)
    per, columns = round(bucket / grid.width), int(span // bucket) + 1
    assert steps.columns(per, columns) == most_per_bucket(changes, start, bucket, columns)
    expected = [0] * columns
    for ts, value in changes:
        expected[min(columns - 1, int((ts - start) // bucket))] += value
    assert sums.columns(per, columns) == expected


def test_a_journal_spanning_centuries_fits_the_grid():
    grid = Grid(3_600, 60)
    grid.origin = 0.0
    steps = StepMax(grid)
    steps.set(grid.locate(1.0), 5)
    steps.set(grid.locate(1e10), 1)
    assert len(steps.values) <= 3_600 and grid.width >= 1e10 / 3_600
    bucket = grid.column_width(1e10)
    assert bucket % grid.width == 0 and math.ceil(1e10 / bucket) <= 60
