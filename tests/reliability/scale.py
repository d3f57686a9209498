"""Short (``make test``) or long (``make soak``: ``SATVETO_SOAK=1``) versions of the suites."""

from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")

SOAK = os.environ.get("SATVETO_SOAK", "") == "1"


def scaled(short: T, long: T) -> T:
    """`long` under ``make soak``, else `short`."""
    return long if SOAK else short


def report(title: str, lines: list[str]) -> None:
    """Prints a block of figures (visible with ``pytest -s`` and in ``make soak``'s output)."""
    body = "\n".join(f"  {line}" for line in lines)
    print(f"\n[reliability] {title}\n{body}", flush=True)
