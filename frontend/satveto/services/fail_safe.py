"""The fail-safe rule: when in doubt, an error and no allow list (docs/design.md, "Fail-safe rule").

Everything that decides whether an answer may carry a list is here, so that the rule can be read
in one place:

* :data:`ENGINE_ERRORS`, the one table of engine failure -> HTTP status, code and message
  (:func:`engine_refusal`); an engine code the table does not know is a 500, never a list;
* the answer check (:func:`checked_allow_list`, :func:`check_echo`, :func:`is_ordered_subset`):
  a list is trusted only if it is an ordered subset of the ids asked about, in an answer for the
  visit and detector asked about.  Its code is satveto.answer_check, re-exported here, because
  the AP client library (satveto.apclient) applies the same check to the service's answers and
  imports nothing of the server;
* the freshness gate (:func:`freshness`): the veto is asked only when the engine answers and
  holds a catalog younger than ``catalog.max_age_s``, the catalog's age measured from when it was
  fetched from its source (:func:`catalog_age_s`, the one computation of that age).

What is not here: the request validation (satveto.web.validation: a 400 naming the field), the
one-camera gate (services/camera_gate.py) and the historical catalogs' refusals
(services/history.py), which refuse a request for what it is rather than for the engine's state.
No HTTP type is imported: :class:`ApiError` carries a status the handlers' middleware turns into
the JSON error body.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The answer check, re-exported: a part of the rule that the AP client library shares.
from satveto.answer_check import WrongAnswer as WrongAnswer
from satveto.answer_check import check_echo as check_echo
from satveto.answer_check import checked_allow_list as checked_allow_list
from satveto.answer_check import is_ordered_subset as is_ordered_subset
from satveto.engine.rpc import EngineError, EngineRpcError, EngineUnavailable
from satveto.errors import DISCLOSURE_BUDGET_CODE, ApiError

log = logging.getLogger("satveto.veto")


@dataclass(frozen=True)
class Refusal:
    """One row of the table: what an HTTP client is told, never with a list."""

    status: int
    code: str
    message: str | None  # None: the engine's own message, which names the field
    headers: Mapping[str, str] | None = None

    def error(self, engine_message: str = "") -> ApiError:
        message = self.message if self.message is not None else engine_message
        headers = dict(self.headers) if self.headers is not None else None
        return ApiError(self.status, self.code, message, headers)


#: The engine unreachable, crashed, closed the connection or slower than engine.timeout_s.
UNAVAILABLE = "unavailable"

#: Retry-After of a disclosure-budget refusal (seconds).  Fixed: the moment the budget reopens
#: would tell when the oldest counted answers were given, which may be another client's.
BUDGET_RETRY_AFTER_S = 60

#: Engine failure -> HTTP answer.  Keys are the engine's error codes (protocol/README.md) and
#: UNAVAILABLE; a code missing here is answered with ENGINE_FAILED.
ENGINE_ERRORS: dict[str, Refusal] = {
    UNAVAILABLE: Refusal(503, "engine_unavailable", "The veto engine is unavailable."),
    # The engine's message starts with the parameter's name, which is the request field's.
    "invalid_params": Refusal(400, "invalid_request", None),
    "unknown_visit": Refusal(
        404, "unknown_visit", "The visit is unknown; register it or embed `visit`."
    ),
    "visit_conflict": Refusal(
        409, "visit_conflict", "The visit is registered with different parameters."
    ),
    "no_catalog": Refusal(503, "no_catalog", "No satellite catalog is loaded."),
    # A service-wide, temporary refusal (not the client's doing, so not a 429), never a list.
    DISCLOSURE_BUDGET_CODE: Refusal(
        503,
        DISCLOSURE_BUDGET_CODE,
        "The disclosure budget (limits.max_revealed_per_hour) is spent: the answers of the last "
        "hour revealed as many catalogued objects as it allows. No allow list until the oldest "
        "age out of the hour.",
        {"Retry-After": str(BUDGET_RETRY_AFTER_S)},
    ),
}
#: The freshness gate's own finding; the engine has no such code.
CATALOG_TOO_OLD = Refusal(
    503, "catalog_too_old", "The satellite catalog is older than catalog.max_age_s."
)
#: An engine error code the table does not know.
ENGINE_FAILED = Refusal(500, "internal_error", "The veto engine failed unexpectedly.")
#: An engine answer that fails the answer check.
WRONG_ANSWER = Refusal(500, "internal_error", "The veto engine answered incorrectly.")
#: Anything else that went wrong (the application's catch-all).
UNEXPECTED = Refusal(500, "internal_error", "The service failed unexpectedly.")


def refusal(code: str) -> ApiError:
    """The table's answer for an engine error code (or UNAVAILABLE) that is known to be there."""
    return ENGINE_ERRORS[code].error()


def engine_refusal(error: EngineError) -> ApiError:
    """The HTTP answer to an engine failure."""
    if isinstance(error, EngineUnavailable):
        return ENGINE_ERRORS[UNAVAILABLE].error()
    if isinstance(error, EngineRpcError):
        row = ENGINE_ERRORS.get(error.code)
        if row is not None and error.code != UNAVAILABLE:
            return row.error(error.message)
        # The engine's messages reveal nothing of the catalog (protocol/README.md); the code is
        # what an operator needs to find the cause.
        log.error("unexpected engine error", extra={"engine_error": error.code})
    return ENGINE_FAILED.error()


# --- the answer check -------------------------------------------------------------------------
# WrongAnswer, is_ordered_subset, check_echo and checked_allow_list, imported above: they live in
# satveto.answer_check because the AP client library applies the same check and must not import
# the server.


# --- the freshness gate -----------------------------------------------------------------------


def catalog_age_s(catalog: Mapping[str, Any] | None, now_unix: float) -> float:
    """Age of a catalog (the ``catalog`` summary of the engine's ping) from its fetch time.

    +inf without a catalog, so that an alert on the age fires when there is none.  Measured from
    ``fetched_at_unix`` (passed through the engine), so reloading an old catalog into a
    restarted engine does not make it look new.
    """
    if not catalog:
        return math.inf
    fetched = catalog.get("fetched_at_unix") or catalog.get("loaded_at_unix") or 0.0
    return max(0.0, now_unix - float(fetched))


@dataclass(frozen=True)
class Freshness:
    """The gate's finding on one ping: ``problem`` None when the veto may be asked."""

    problem: Refusal | None
    age_s: float | None  # the catalog's age; None without a catalog

    def error(self) -> ApiError | None:
        return None if self.problem is None else self.problem.error()


def freshness(
    engine_error: str | None,
    catalog: Mapping[str, Any] | None,
    max_age_s: float,
    now_unix: float,
) -> Freshness:
    """The freshness gate on what a ping said (its failure, or its catalog summary).

    The age is recomputed from the fetch time at each call, so a catalog that crosses the limit
    between two pings is refused at once.
    """
    if engine_error is not None:
        return Freshness(ENGINE_ERRORS[UNAVAILABLE], None)
    if not catalog:
        return Freshness(ENGINE_ERRORS["no_catalog"], None)
    age = catalog_age_s(catalog, now_unix)
    return Freshness(CATALOG_TOO_OLD if age > max_age_s else None, age)
