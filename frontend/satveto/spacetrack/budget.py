"""A request budget that keeps this process under space-track's published limits.

space-track allows 30 requests a minute and 300 an hour per account.  The budget keeps the
send time of each request and, for every window, refuses a request that would make the count
in *any* sliding window of that length exceed the limit.  A sliding window is stricter than
the server's own accounting, whatever its window boundaries are, so staying inside the budget
means staying inside the limits.

The clock is monotonic (wall-clock jumps must not release or freeze the budget) and injectable
so that tests can run hours of schedule in microseconds.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Sequence

from satveto.spacetrack.errors import RequestBudgetExhausted

#: (requests, window seconds) pairs published by space-track for every account.
PUBLISHED_LIMITS: tuple[tuple[int, float], ...] = ((30, 60.0), (300, 3600.0))


class RequestBudget:
    def __init__(
        self,
        limits: Sequence[tuple[int, float]] = PUBLISHED_LIMITS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not limits or any(count < 1 or window <= 0 for count, window in limits):
            raise ValueError("limits must be (positive count, positive window) pairs")
        self._limits = tuple(limits)
        self._clock = clock
        self._horizon = max(window for _, window in self._limits)
        self._sent: deque[float] = deque()  # send times, oldest first

    def _forget_old(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - self._horizon:
            self._sent.popleft()

    def delay_for(self, requests: int = 1) -> float:
        """Seconds until `requests` more requests fit in every window (0 if they fit now)."""
        now = self._clock()
        self._forget_old(now)
        delay = 0.0
        for limit, window in self._limits:
            if requests > limit:
                return math.inf
            in_window = [t for t in self._sent if t > now - window]
            excess = len(in_window) + requests - limit
            if excess > 0:
                # The window has room once its `excess` oldest requests have left it.
                delay = max(delay, in_window[excess - 1] + window - now)
        return delay

    def take(self) -> None:
        """Records one request sent now; raises RequestBudgetExhausted if it does not fit."""
        delay = self.delay_for(1)
        if delay > 0:
            raise RequestBudgetExhausted(
                f"the local request budget is spent for {delay:.0f} s", retry_after_s=delay
            )
        self._sent.append(self._clock())

    def sent_within(self, window_s: float) -> int:
        """Requests recorded during the last `window_s` seconds (for tests and diagnostics)."""
        now = self._clock()
        return sum(1 for t in self._sent if t > now - window_s)
