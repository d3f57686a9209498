"""The visits AP registered recently, so that a restarted engine can be told them again.

The supervisor re-registers them after an engine restart; the veto service re-registers one on
demand when a DIASource request meets ``unknown_visit``.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from satveto.models import Visit


class VisitRegistry:
    """The visits registered recently, bounded in number, for re-registration after restarts.

    Entries are kept in registration order (a re-registration moves a visit to the end), so the
    oldest go first when the registry is full and ``recent`` stops at the first old entry.
    """

    def __init__(self, capacity: int = 20_000, clock: Callable[[], float] = time.monotonic):
        self._capacity = capacity
        self._clock = clock
        self._visits: OrderedDict[int, tuple[Visit, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._visits)

    def get(self, visit_id: int) -> Visit | None:
        entry = self._visits.get(visit_id)
        return None if entry is None else entry[0]

    def conflicts(self, visit: Visit) -> bool:
        known = self.get(visit.visit_id)
        return known is not None and known != visit

    def remember(self, visit: Visit) -> None:
        self._visits.pop(visit.visit_id, None)
        self._visits[visit.visit_id] = (visit, self._clock())
        while len(self._visits) > self._capacity:
            self._visits.popitem(last=False)

    def recent(self, within_s: float) -> list[Visit]:
        """Visits registered in the last ``within_s`` seconds, oldest first."""
        horizon = self._clock() - within_s
        found = []
        for visit, registered_at in reversed(self._visits.values()):
            if registered_at < horizon:
                break
            found.append(visit)
        found.reverse()
        return found
