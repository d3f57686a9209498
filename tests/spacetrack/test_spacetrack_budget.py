"""The request budget keeps every sliding minute under 30 requests and every hour under 300."""

from __future__ import annotations

import math

import pytest

from satveto.spacetrack import PUBLISHED_LIMITS, RequestBudget, RequestBudgetExhausted


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def max_in_window(times: list[float], window: float) -> int:
    """The largest number of requests in any half-open window [t, t + window)."""
    best = 0
    start = 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_published_limits_are_the_documented_ones() -> None:
    assert PUBLISHED_LIMITS == ((30, 60.0), (300, 3600.0))


def test_a_burst_stops_at_30_and_resumes_when_the_minute_has_passed() -> None:
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    for _ in range(30):
        budget.take()
    assert budget.delay_for(1) == pytest.approx(60.0)
    with pytest.raises(RequestBudgetExhausted) as refused:
        budget.take()
    assert refused.value.retry_after_s == pytest.approx(60.0)
    clock.now += 59.9
    assert budget.delay_for(1) == pytest.approx(0.1)
    clock.now += 0.1
    budget.take()
    assert budget.sent_within(60.0) == 1


def test_delay_for_a_whole_fetch_waits_for_enough_room() -> None:
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    for second in range(30):
        clock.now = 1000.0 + second
        budget.take()
    clock.now = 1030.0
    # Three requests fit once the three oldest (sent at 1000, 1001, 1002) are out: at 1062.
    assert budget.delay_for(3) == pytest.approx(32.0)
    assert budget.delay_for(31) == math.inf


def test_greedy_sender_never_exceeds_either_limit_over_three_hours() -> None:
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    sent: list[float] = []
    while clock.now < 1000.0 + 3 * 3600.0:
        clock.now += budget.delay_for(1)
        budget.take()
        sent.append(clock.now)
    assert max_in_window(sent, 60.0) == 30
    assert max_in_window(sent, 3600.0) == 300
    # ... and it is not over-strict: the first hour does get all 300.
    assert sum(1 for t in sent if t < 1000.0 + 3600.0) == 300


def test_invalid_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        RequestBudget(limits=())
    with pytest.raises(ValueError, match="positive"):
        RequestBudget(limits=((0, 60.0),))
