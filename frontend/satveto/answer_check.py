"""The answer check: when a list of allowed ids may be trusted (docs/design.md, "Fail-safe rule").

A list is trusted only if it is an ordered subset of the ids asked about, in an answer for the
visit and detector asked about.  The service applies it to every engine answer
(satveto.services.fail_safe, which holds the rest of the fail-safe rule) and the AP client
library (satveto.apclient) to every answer of the service: both sides of the HTTP API import
it from here, so the client library needs nothing of the server.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from itertools import islice
from typing import Any, cast


class WrongAnswer(Exception):
    """An answer that is not a valid result: never trusted, never passed on as a list."""


def is_ordered_subset(allowed: Sequence[object], ids: Sequence[int]) -> bool:
    """Whether every allowed id is one of `ids`, in their order, without repeats.

    Each allowed id must appear in `ids` after the previous one: that rules out strangers,
    repeats and reordering.  Written with C-level iteration (map, zip) because the frontend
    checks every engine answer: 189 answers of 1,000 ids per visit.
    """
    if len(allowed) > len(ids):
        return False
    if not allowed:
        return True
    if not set(map(type, allowed)) <= {int}:  # exact type: a bool is never an id
        return False
    allowed_ids = cast("Sequence[int]", allowed)  # every element is an int (checked above)
    position = dict(zip(ids, range(len(ids)), strict=True))
    indices = list(map(position.get, allowed_ids))
    if None in indices:
        return False
    found = cast("list[int]", indices)  # no None among them (checked above)
    return all(map(operator.lt, found, islice(found, 1, None)))


def check_echo(answer: Any, asked: Mapping[str, object]) -> None:
    """Raises :class:`WrongAnswer` unless `answer` is a map for what was asked (its ids echoed).

    A replica or an engine answering for another visit or detector (a bug, a mixed-up
    connection) must not have its list applied to this one.
    """
    if not isinstance(answer, dict) or any(answer.get(k) != v for k, v in asked.items()):
        raise WrongAnswer("the answer is for another visit or detector")


def checked_allow_list(
    answer: Any, key: str, ids: Sequence[int], asked: Mapping[str, object] | None = None
) -> list[int]:
    """The list under `key` if it is an ordered subset of `ids` in an answer for `asked`."""
    if not isinstance(answer, dict) or not isinstance(answer.get(key), list):
        raise WrongAnswer(f"the answer carries no {key}")
    if asked:
        check_echo(answer, asked)
    allowed: list[int] = answer[key]
    if not is_ordered_subset(allowed, ids):
        raise WrongAnswer(f"{key} is not an ordered subset of the ids sent")
    return allowed
