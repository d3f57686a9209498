"""CatalogService.install: a catalog becomes current only once the engine's answer says what it
accepted (protocol/README.md, ``load_catalog``: ``{"accepted": int, "rejected": [...]}``).

The engine is a double that answers ``load_catalog`` with what a test gives it: the malformed
answers a broken or mixed-up engine could send cannot be produced by the real one.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from satveto.catalog.synthetic import build_demo_catalog
from satveto.engine.rpc import EngineRpcError
from satveto.services.catalog import CatalogService


class AnsweringEngine:
    """Answers every call with `answer` and records the calls."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.calls: list[str] = []

    async def call(
        self, method: str, params: dict[str, Any] | None = None, timeout_s: float | None = None
    ) -> Any:
        self.calls.append(method)
        return self.answer


RECORDS = build_demo_catalog(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), count=50)


async def test_an_accepted_catalog_becomes_current() -> None:
    engine = AnsweringEngine({"accepted": 50, "rejected": []})
    service = CatalogService(engine, 0.8)
    report = await service.install(RECORDS, time.time(), "demo")
    assert (report.accepted, report.rejected) == (50, 0)
    assert service.current is not None
    assert service.current.generation == report.generation
    assert engine.calls == ["load_catalog"]


@pytest.mark.parametrize(
    "answer",
    [
        None,
        [50, []],
        {},
        {"accepted": "50", "rejected": []},
        {"accepted": 50},
        {"accepted": 50, "rejected": {}},
    ],
    ids=["nil", "array", "empty map", "accepted not int", "no rejected", "rejected not array"],
)
async def test_a_malformed_answer_is_an_engine_error_and_changes_nothing(answer: Any) -> None:
    engine = AnsweringEngine({"accepted": 50, "rejected": []})
    service = CatalogService(engine, 0.8)
    first = await service.install(RECORDS, time.time(), "demo")
    engine.answer = answer
    with pytest.raises(EngineRpcError, match="load_catalog answer") as raised:
        await service.install(RECORDS, time.time(), "demo")
    assert raised.value.code == "malformed"
    # The catalog in hand is still the one the engine accepted.
    assert service.current is not None
    assert service.current.generation == first.generation
