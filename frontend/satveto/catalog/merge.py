"""Merging element sets of one object from several products: the epoch closest to a reference.

The current catalog merges space-track's GP class with the CUI element file, keeping for each
catalog number the set whose epoch is closest to *now*; a historical catalog merges the GP
history of a window with the CUI file of that time, keeping the set closest to the window's
centre.  Closest, not newest: an element set is most accurate near its own epoch, in both
directions, and a set dated after the reference is as far from it as one dated before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from satveto.catalog.omm import OmmRecord

__all__ = ["MergeResult", "epoch_datetime", "merge_closest"]


@dataclass(slots=True)
class MergeResult:
    records: list[OmmRecord]  # one per catalog number, in first-seen order
    replaced: int  # element sets set aside for a closer one of the same object


def epoch_datetime(record: OmmRecord) -> datetime:
    """A validated record's EPOCH (normalised ``YYYY-MM-DDTHH:MM:SS.ffffff``, UTC) as a datetime."""
    return datetime.strptime(record["EPOCH"], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)


def merge_closest(groups: Iterable[Iterable[OmmRecord]], reference: datetime) -> MergeResult:
    """One element set per catalog number: the one whose epoch is closest to ``reference``.

    ``groups`` are validated records (several groups, each possibly holding several sets of
    one object, as gp_history does).  On a tie the set seen first wins, so the order of the
    groups is the tie-break (GP before CUI).  ``reference`` must be timezone-aware.
    """
    if reference.tzinfo is None:
        raise ValueError("reference must be timezone-aware (UTC)")
    best: dict[int, tuple[float, OmmRecord]] = {}
    replaced = 0
    for group in groups:
        for record in group:
            distance = abs((epoch_datetime(record) - reference).total_seconds())
            norad = record["NORAD_CAT_ID"]
            held = best.get(norad)
            if held is None:
                best[norad] = (distance, record)
                continue
            replaced += 1
            if distance < held[0]:
                best[norad] = (distance, record)
    return MergeResult([record for _, record in best.values()], replaced)
