"""One answer per (visit, detector): a second request must be for the same sources.

AP asks once for each detector of a visit (and again, identically, after a failure).  A client
that could ask again with other boxes would refine positions inside one field: bisect a vetoed
box, shift a lattice by half a step, and so on.  So the first request of a (visit, detector)
fixes its content, kept as a digest of the ids, the footprints and the WCS; a later request
with the same digest is answered (the same answer), one with another is refused 409
``detector_conflict``.

Memory is bounded: a digest is 16 bytes plus its key, entries are forgotten after
``retention_s`` and beyond ``capacity`` (oldest first).  A reservation is taken before the
engine is asked and given back if the request fails, so a refused or failed request does not
fix the content and a corrected one can follow.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import msgspec
import numpy as np

from satveto.errors import ApiError

DEFAULT_CAPACITY = 200_000  # ~1,000 visits of 189 detectors (a night); ~150 bytes each


# Sorted map keys make the encoding canonical: the same request always gives the same bytes.
_CANONICAL = msgspec.msgpack.Encoder(order="sorted")


def request_digest(request: Any) -> bytes:
    """A digest of what a DIASource request asks about: ids, boxes, sky corners, WCS.

    The footprints are msgspec Structs (or None); their canonical msgpack encoding is exact,
    so two requests share a digest only when every id, box, corner and WCS term is equal.
    """
    digest = hashlib.blake2b(digest_size=16)
    ids = np.asarray(request.ids, dtype=np.int64)
    digest.update(len(ids).to_bytes(8, "little"))
    digest.update(ids.tobytes())
    for name in ("bboxes", "sky_corners", "wcs"):
        value = getattr(request, name, None)
        if value is not None:
            digest.update(name.encode())
            digest.update(_CANONICAL.encode(value))
    return digest.digest()


class DetectorAnswers:
    """The digests of the requests answered (or being answered) per (visit, detector)."""

    def __init__(
        self,
        capacity: int = DEFAULT_CAPACITY,
        retention_s: float = 86400.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._capacity = capacity
        self._retention_s = retention_s
        self._clock = clock
        self._entries: OrderedDict[tuple[int, int], tuple[bytes, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def reserve(self, visit_id: int, detector_id: int, digest: bytes) -> bool:
        """Takes (visit, detector) for ``digest``; True if newly taken, False for a repeat.

        Raises 409 ``detector_conflict`` when it is held for other content.
        """
        now = self._clock()
        self._forget_old(now)
        key = (visit_id, detector_id)
        held = self._entries.get(key)
        if held is not None:
            if held[0] == digest:
                return False
            raise ApiError(
                409,
                "detector_conflict",
                "detector_id: this detector of this visit was already asked about other "
                "sources; a repeat must carry the same sources, footprints and wcs",
            )
        self._entries[key] = (digest, now)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)
        return True

    def release(self, visit_id: int, detector_id: int) -> None:
        """Gives back a reservation whose request failed."""
        self._entries.pop((visit_id, detector_id), None)

    def _forget_old(self, now: float) -> None:
        horizon = now - self._retention_s
        while self._entries:
            key, (_, taken_at) = next(iter(self._entries.items()))
            if taken_at >= horizon:
                return
            del self._entries[key]
