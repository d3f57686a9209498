"""services/fail_safe.py on its own: the error table against docs/design.md, the answer check
against a plain reference, and the freshness gate at its boundary.  Over HTTP, with a fake
engine producing each code and malformed answer: test_api_failsafe.py."""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from satveto.engine.rpc import EngineError, EngineRpcError, EngineUnavailable
from satveto.services import fail_safe
from satveto.services.fail_safe import (
    WrongAnswer,
    checked_allow_list,
    engine_refusal,
    freshness,
    is_ordered_subset,
)

DESIGN = Path(__file__).resolve().parents[2] / "docs" / "design.md"


def design_fail_safe_rows() -> list[str]:
    text = DESIGN.read_text()
    section = text.split("## Fail-safe rule", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| ")]


@pytest.mark.parametrize(
    "row",
    [
        *fail_safe.ENGINE_ERRORS.values(),
        fail_safe.CATALOG_TOO_OLD,
        fail_safe.ENGINE_FAILED,
        fail_safe.WRONG_ANSWER,
        fail_safe.UNEXPECTED,
    ],
    ids=lambda row: f"{row.status}-{row.code}",
)
def test_every_refusal_is_a_row_of_the_design_table(row: fail_safe.Refusal) -> None:
    answers = [line.rsplit(" | ", 1)[-1] for line in design_fail_safe_rows()]
    assert any(
        re.match(rf"{row.status}\b", answer) and f"`{row.code}`" in answer for answer in answers
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (EngineUnavailable("timed out"), (503, "engine_unavailable")),
        (EngineRpcError("invalid_params", "ids: not an array"), (400, "invalid_request")),
        (EngineRpcError("unknown_visit", "no such visit"), (404, "unknown_visit")),
        (EngineRpcError("visit_conflict", "other parameters"), (409, "visit_conflict")),
        (EngineRpcError("no_catalog", "none loaded"), (503, "no_catalog")),
        (EngineRpcError("internal", "boom"), (500, "internal_error")),
        (EngineRpcError("unavailable", "a code the engine never sends"), (500, "internal_error")),
        (EngineError("neither kind"), (500, "internal_error")),
    ],
)
def test_engine_failures_map_to_http(error: EngineError, expected: tuple[int, str]) -> None:
    refusal = engine_refusal(error)
    assert (refusal.status, refusal.code) == expected
    assert refusal.message  # a sentence, never empty


def test_invalid_params_passes_the_engines_field_naming_message_on() -> None:
    assert engine_refusal(EngineRpcError("invalid_params", "ids[3]: not an int")).message == (
        "ids[3]: not an int"
    )


def test_an_unknown_engine_code_is_logged_by_code_only(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="satveto.veto"):
        engine_refusal(EngineRpcError("resource_exhausted", "secret detail"))
    [record] = caplog.records
    assert record.engine_error == "resource_exhausted"  # type: ignore[attr-defined]
    assert "secret detail" not in record.getMessage()


def reference_is_ordered_subset(allowed: list[Any], ids: list[int]) -> bool:
    """A subsequence of distinct ids, walked one by one; ints only (a bool is not an id)."""
    if any(type(a) is not int for a in allowed):
        return False
    rest = iter(ids)
    return all(any(i == a for i in rest) for a in allowed)


@st.composite
def answers(draw: st.DrawFn) -> tuple[list[Any], list[int]]:
    """Distinct ids, and a subsequence of them as is or with one defect of the kinds an engine
    bug could produce: a repeat, a swap, a stranger, a value of another type."""
    ids = draw(st.lists(st.integers(-5, 40), unique=True, max_size=12))
    allowed: list[Any] = [i for i in ids if draw(st.booleans())]
    defect = draw(st.sampled_from(["none", "repeat", "swap", "stranger", "type"]))
    at = draw(st.integers(0, len(allowed)))
    if defect == "repeat" and allowed:
        allowed.insert(at, allowed[min(at, len(allowed) - 1)])
    elif defect == "swap" and len(allowed) >= 2:
        i = min(at, len(allowed) - 2)
        allowed[i], allowed[i + 1] = allowed[i + 1], allowed[i]
    elif defect == "stranger":
        allowed.insert(at, draw(st.integers(-5, 40)))
    elif defect == "type" and allowed:  # equal to an id, and hashed like it, but not an int
        i = min(at, len(allowed) - 1)
        x = allowed[i]
        allowed[i] = draw(st.sampled_from([float(x), str(x), *([bool(x)] if x in (0, 1) else [])]))
    return allowed, ids


@given(answers())
def test_ordered_subset_agrees_with_a_plain_walk(case: tuple[list[Any], list[int]]) -> None:
    allowed, ids = case
    assert is_ordered_subset(allowed, ids) == reference_is_ordered_subset(allowed, ids)


ASKED = {"visit_id": 7, "detector_id": 94}


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (None, "the answer carries no id_allow_list"),
        ({"visit_id": 7, "detector_id": 94}, "the answer carries no id_allow_list"),
        ({"visit_id": 7, "detector_id": 94, "id_allow_list": "1"}, "carries no id_allow_list"),
        ({"visit_id": 8, "detector_id": 94, "id_allow_list": [1]}, "another visit or detector"),
        ({"visit_id": 7, "detector_id": 95, "id_allow_list": [1]}, "another visit or detector"),
        ({"detector_id": 94, "id_allow_list": [1]}, "another visit or detector"),
        ({"visit_id": 7, "detector_id": 94, "id_allow_list": [3, 1]}, "not an ordered subset"),
    ],
)
def test_the_answer_check_refuses(answer: Any, problem: str) -> None:
    with pytest.raises(WrongAnswer, match=problem):
        checked_allow_list(answer, "id_allow_list", [1, 2, 3], ASKED)


def test_the_answer_check_returns_the_list_itself() -> None:
    answer = {"visit_id": 7, "detector_id": 94, "id_allow_list": [1, 3]}
    assert checked_allow_list(answer, "id_allow_list", [1, 2, 3], ASKED) == [1, 3]
    assert checked_allow_list({"allowed": []}, "allowed", [1, 2, 3]) == []


NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("error", "catalog", "code", "age"),
    [
        ("connection refused", {"fetched_at_unix": NOW}, "engine_unavailable", None),
        (None, None, "no_catalog", None),
        (None, {}, "no_catalog", None),
        (None, {"fetched_at_unix": NOW - 100.0}, None, 100.0),
        (None, {"fetched_at_unix": NOW - 3600.0}, None, 3600.0),  # at the limit: fresh
        (None, {"fetched_at_unix": NOW - 3600.5}, "catalog_too_old", 3600.5),
        # The fetch time counts, not when the engine loaded it (a reload does not rejuvenate).
        (None, {"fetched_at_unix": NOW - 4000.0, "loaded_at_unix": NOW}, "catalog_too_old", 4000.0),
        (None, {"loaded_at_unix": NOW - 10.0}, None, 10.0),
        (None, {"fetched_at_unix": NOW + 50.0}, None, 0.0),  # a clock step: never negative
    ],
)
def test_the_freshness_gate(
    error: str | None, catalog: dict | None, code: str | None, age: float | None
) -> None:
    found = freshness(error, catalog, 3600.0, NOW)
    assert (None if found.problem is None else found.problem.code, found.age_s) == (code, age)
    refusal = found.error()
    assert (refusal is None) == (code is None)
    if refusal is not None:
        assert refusal.status == 503


def test_no_catalog_has_an_infinite_age() -> None:
    assert fail_safe.catalog_age_s(None, NOW) == math.inf
