"""One camera across all clients: the gate every visit registration passes (docs/design.md,
"Security model").

Allow/deny answers leak a little by nature; what keeps the leak at what one telescope would
learn is that the visits asked about look like one telescope's.  Every path that registers a
visit (``POST /v1/visits``, the ``visit`` embedded in ``POST /v1/diasources``, the AP protocol's
``PUT /visit_cache`` and peer-forwarded visits) calls :meth:`VetoService.register_visit` or
embeds the visit, and the service asks this gate first.  The gate is one per process, shared
by every client, so two clients cannot each take the same instant.

Rules, with the ``limits`` keys that set them:

* exposure length within ``[min_exposure_s, max_exposure_s]``;
* a current visit starts within ``[now - past_window_s, now + future_window_s]``;
* exposures (start to end) do not overlap; current and historical visits are separate
  timelines (a reprocessed night is not the live one), each non-overlapping in itself;
* at most ``max_visits_per_hour`` exposures start in the hour before, or the hour after, a
  new one's start (Rubin takes about 100 an hour; 15 s exposures back to back would be 240);
* the boresight is at least ``min_altitude_deg`` above the site's horizon at mid-exposure and
  the Sun at most ``max_sun_altitude_deg`` (:mod:`satveto.astro.sky`);
* the same visit again with identical parameters is admitted (idempotent).

A refused visit is a 400 ``implausible_visit`` (409 ``visit_conflict`` for a known id with other
parameters) whose message names the field and says which rule; nothing in it names another
client's visit.  Memory is bounded: current exposures are forgotten once no new current visit
can overlap them (older than the past window), historical ones beyond a fixed number (the
oldest registered first).
"""

from __future__ import annotations

import bisect
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from satveto.astro.sky import boresight_altitude_deg, mjd_to_unix, sun_altitude_deg
from satveto.errors import ApiError
from satveto.runtime.config import LimitsConfig, SiteConfig
from satveto.services.fail_safe import refusal

#: Historical exposures remembered at most (a reprocessing campaign's nights); beyond it the
#: oldest registered are forgotten.  ~100 bytes each.
HISTORICAL_CAPACITY = 200_000

#: Current exposures remembered at most, whatever the window (a safety net: the window and the
#: minimum exposure length keep the real number near past_window_s / min_exposure_s).
CURRENT_CAPACITY = 50_000


#: Exposures closer than this are taken as touching, not overlapping (seconds).
TOUCH_S = 1e-3


class GateRefusal(ApiError):
    """A visit the one-camera rules refuse; ``rule`` is the metric label."""

    def __init__(self, rule: str, field_name: str, problem: str) -> None:
        super().__init__(400, "implausible_visit", f"{field_name}: {problem}")
        self.rule = rule


@dataclass(order=True)
class _Exposure:
    start: float  # POSIX seconds (UTC)
    end: float
    visit_id: int = field(compare=False)


class _Timeline:
    """Exposures sorted by start; with the rule enforced they never overlap, so their ends are
    sorted too and a new one need only be compared with its two neighbours."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._by_start: list[_Exposure] = []
        self._by_id: OrderedDict[int, tuple[Any, _Exposure]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._by_id)

    def known(self, visit_id: int) -> Any | None:
        entry = self._by_id.get(visit_id)
        return None if entry is None else entry[0]

    def overlaps(self, start: float, end: float) -> bool:
        """Whether [start, end] overlaps a recorded exposure by more than TOUCH_S (exposures
        back to back touch; MJDs carry ~1 us of rounding)."""
        index = bisect.bisect_left(self._by_start, _Exposure(start, end, 0))
        # The one starting at or after `start`, and the one before it (which may reach into it).
        if index < len(self._by_start) and self._by_start[index].start < end - TOUCH_S:
            return True
        return index > 0 and self._by_start[index - 1].end > start + TOUCH_S

    def starts_within(self, low: float, high: float) -> int:
        """How many recorded exposures start in [low, high)."""
        first = bisect.bisect_left(self._by_start, _Exposure(low, low, 0))
        last = bisect.bisect_left(self._by_start, _Exposure(high, high, 0))
        return last - first

    def add(self, visit: Any, start: float, end: float) -> None:
        exposure = _Exposure(start, end, visit.visit_id)
        bisect.insort(self._by_start, exposure)
        self._by_id[visit.visit_id] = (visit, exposure)
        while len(self._by_id) > self._capacity:
            _, (_, oldest) = self._by_id.popitem(last=False)
            self._remove(oldest)

    def forget_ended_before(self, cutoff: float) -> None:
        """Drops exposures that ended before ``cutoff``.  Only non-overlapping exposures are
        recorded, so their ends are in start order and the scan stops at the first kept one."""
        keep_from = 0
        while keep_from < len(self._by_start) and self._by_start[keep_from].end < cutoff:
            self._by_id.pop(self._by_start[keep_from].visit_id, None)
            keep_from += 1
        del self._by_start[:keep_from]

    def remove(self, visit_id: int) -> None:
        entry = self._by_id.pop(visit_id, None)
        if entry is not None:
            self._remove(entry[1])

    def _remove(self, exposure: _Exposure) -> None:
        index = bisect.bisect_left(self._by_start, exposure)
        while index < len(self._by_start):
            if self._by_start[index] is exposure:
                del self._by_start[index]
                return
            index += 1


class CameraGate:
    """The shared registry of exposures and the plausibility rules (see the module doc)."""

    def __init__(
        self,
        limits: LimitsConfig,
        site: SiteConfig,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._limits = limits
        self._site = site
        self._clock = clock
        self._current = _Timeline(CURRENT_CAPACITY)
        self._historical = _Timeline(HISTORICAL_CAPACITY)

    def __len__(self) -> int:
        return len(self._current) + len(self._historical)

    def admit(self, visit: Any, *, historical: bool = False, field_prefix: str = "") -> bool:
        """Admits ``visit`` or raises :class:`GateRefusal` (400) or a 409 ``visit_conflict``.

        Returns True when the visit is new, False for an identical re-registration.  Check and
        record happen without an ``await`` in between, so two concurrent requests cannot both
        take the same instant.  ``visit`` has the fields of :class:`satveto.models.Visit`
        (and, once the time-scale work lands, ``time_scale``).
        """
        limits, now = self._limits, self._clock()
        scale = getattr(visit, "time_scale", "tai")
        start = mjd_to_unix(visit.exposure_start_mjd, scale)
        end = mjd_to_unix(visit.exposure_end_mjd, scale)
        for timeline in (self._current, self._historical):
            known = timeline.known(visit.visit_id)
            if known is not None:
                if known == visit:
                    return False  # identical re-registration, even once out of the window
                raise refusal("visit_conflict")
        in_window = now - limits.past_window_s <= start <= now + limits.future_window_s
        if not historical and not in_window:
            if not limits.allow_reprocessing:
                raise GateRefusal(
                    "time_window",
                    f"{field_prefix}exposure_start_mjd",
                    f"a current visit must start between limits.past_window_s "
                    f"({limits.past_window_s:g} s) ago and limits.future_window_s "
                    f"({limits.future_window_s:g} s) from now",
                )
            historical = True  # reprocessing: old exposures live on the historical timeline
        timeline = self._historical if historical else self._current
        # No new current visit starts before now - past_window_s: older ones cannot overlap it.
        self._current.forget_ended_before(now - limits.past_window_s)
        if limits.enforce_one_camera:
            length_s = end - start
            if not limits.min_exposure_s - 1e-3 <= length_s <= limits.max_exposure_s + 1e-3:
                raise GateRefusal(
                    "exposure_length",
                    f"{field_prefix}exposure_end_mjd",
                    f"the exposure lasts {length_s:.3f} s, outside [limits.min_exposure_s, "
                    f"limits.max_exposure_s] = [{limits.min_exposure_s:g}, "
                    f"{limits.max_exposure_s:g}] s",
                )
            if timeline.overlaps(start, end):
                raise GateRefusal(
                    "overlap",
                    f"{field_prefix}exposure_start_mjd",
                    "the exposure overlaps one already registered; the service serves one "
                    "camera, whose exposures do not overlap",
                )
            # The hour before and the hour after the start: either full is a cadence no
            # telescope keeps (Rubin: ~100 visits an hour).
            cap = limits.max_visits_per_hour
            if (
                timeline.starts_within(start - 3600.0, start) >= cap
                or timeline.starts_within(start, start + 3600.0) >= cap
            ):
                raise GateRefusal(
                    "visit_rate",
                    f"{field_prefix}exposure_start_mjd",
                    f"more than limits.max_visits_per_hour ({cap}) exposures within an hour",
                )
        if limits.enforce_visible_sky:
            self._check_sky(visit, (start + end) / 2.0, field_prefix)
        if limits.enforce_one_camera:
            timeline.add(visit, start, end)
        return True

    def release(self, visit: Any) -> None:
        """Forgets ``visit`` if the gate holds exactly it (a registration that did not reach
        the engine gives its instant back)."""
        for timeline in (self._current, self._historical):
            if timeline.known(visit.visit_id) == visit:
                timeline.remove(visit.visit_id)

    def _check_sky(self, visit: Any, mid_unix: float, field_prefix: str) -> None:
        limits, site = self._limits, self._site
        altitude = boresight_altitude_deg(
            visit.boresight_ra, visit.boresight_dec, mid_unix, site.latitude_deg, site.longitude_deg
        )
        if altitude < limits.min_altitude_deg:
            raise GateRefusal(
                "altitude",
                f"{field_prefix}boresight_dec",
                f"the boresight is {altitude:.1f} deg above the site's horizon at mid-exposure, "
                f"below limits.min_altitude_deg ({limits.min_altitude_deg:g} deg)",
            )
        sun = sun_altitude_deg(mid_unix, site.latitude_deg, site.longitude_deg)
        if sun > limits.max_sun_altitude_deg:
            raise GateRefusal(
                "sun",
                f"{field_prefix}exposure_start_mjd",
                f"the Sun is {sun:.1f} deg above the site's horizon at mid-exposure, above "
                f"limits.max_sun_altitude_deg ({limits.max_sun_altitude_deg:g} deg)",
            )
