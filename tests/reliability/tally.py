"""Classifies every answer of a disturbed run against the undisturbed one.

The rule of the fault suites: an answer is either 200 with exactly the allow list the
undisturbed run gave, or a non-200 that carries no ``id_allow_list``.  A request that got no
HTTP answer at all (connection refused or reset: the frontend was down) is counted apart; AP's
client fails over on those.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Answer:
    status: int | None  # None: no HTTP answer (connection refused, reset, client timeout)
    body: Any
    sent_at: float  # monotonic
    answered_at: float


@dataclass
class Tally:
    counts: collections.Counter[str] = field(default_factory=collections.Counter)
    wrong: list[str] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)

    def record(self, kind: str, answer: Answer, expected: list[int] | None) -> None:
        """`expected`: the undisturbed allow list (None for requests that have none)."""
        self.answers.append(answer)
        status, body = answer.status, answer.body
        if status is None:
            self.counts[f"{kind}: no answer"] += 1
            return
        if status == 200:
            self.counts[f"{kind}: 200"] += 1
            if expected is not None:
                got = body.get("id_allow_list") if isinstance(body, dict) else None
                if got != expected:
                    self.wrong.append(f"{kind}: 200 with a different allow list")
            return
        code = body.get("error", {}).get("code") if isinstance(body, dict) else None
        self.counts[f"{kind}: {status} {code}"] += 1
        if isinstance(body, dict) and "id_allow_list" in body:
            self.wrong.append(f"{kind}: {status} carrying an allow list")
        if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
            self.wrong.append(f"{kind}: {status} without the error body")

    def total(self) -> int:
        return sum(self.counts.values())

    def ok(self) -> int:
        return sum(n for kind, n in self.counts.items() if kind.endswith(": 200"))

    def lines(self) -> list[str]:
        return [f"{count:7d}  {kind}" for kind, count in sorted(self.counts.items())]

    def recovery_s(self, fault_at: float) -> float | None:
        """From `fault_at` to the first 200 sent after the last failure that followed it.

        That is: how long after the fault the service was answering again, measured on the
        requests themselves.  None when no request failed (nothing to recover from).
        """
        failures = [a for a in self.answers if a.status != 200 and a.answered_at >= fault_at]
        if not failures:
            return None
        last_failure = max(a.sent_at for a in failures)
        later = [
            a.answered_at for a in self.answers if a.status == 200 and a.sent_at > last_failure
        ]
        return (min(later) - fault_at) if later else None


def now() -> float:
    return time.monotonic()
