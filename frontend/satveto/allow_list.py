"""The one check an allow list must pass before anyone trusts it (server and AP client alike)."""

from __future__ import annotations

from collections.abc import Sequence


def is_ordered_subset(allowed: Sequence[object], ids: Sequence[int]) -> bool:
    """Whether every allowed id is one of `ids`, in their order, without repeats.

    Each allowed id must appear in `ids` after the previous one: that rules out strangers,
    repeats and reordering in a single pass.
    """
    if len(allowed) > len(ids):
        return False
    position = {source_id: index for index, source_id in enumerate(ids)}
    last = -1
    for source_id in allowed:
        index = position.get(source_id) if type(source_id) is int else None
        if index is None or index <= last:
            return False
        last = index
    return True
