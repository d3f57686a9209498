"""Property tests of HTTP request validation (Hypothesis), against the frontend on the fake engine.

Any body sent to ``POST /v1/visits`` or ``POST /v1/diasources`` must get one of:

* 200, and for DIASources exactly the allow list the fake engine's rule gives (even ``x_min``);
* 400 whose message starts with the offending field (``diasources[3].bbox: ...``);
* 404 ``unknown_visit``, 409 ``visit_conflict`` or 413 ``body_too_large``;

never a 5xx, and never an ``id_allow_list`` outside a 200.  Bodies are drawn from three
families: valid requests with fields replaced by arbitrary JSON, structurally plausible
requests with hostile numbers, and arbitrary bytes.  Examples are derandomized (the same on
every run) and bounded: ``make test`` runs a few hundred, ``make soak`` thousands.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import shutil
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_engine import (
    RELAXED_LIMITS,
    TEST_CATALOG,
    FakeHarness,
    api_config,
    fake_veto_allows,
    sample_visit,
    start_frontend,
)
from reliability.scale import scaled
from reliability.stack import UNLIMITED

EXAMPLES = scaled(500, 10_000)
KNOWN_FIELDS = (
    "body",
    "visit_id",
    "detector_id",
    "diasources",
    "visit",
    "wcs",
    "exposure_start_mjd",
    "exposure_end_mjd",
    "boresight_ra",
    "boresight_dec",
    "rotation_deg",
)
ALLOWED_REFUSALS = {404: "unknown_visit", 409: "visit_conflict", 413: "body_too_large"}


class Service:
    """The fake engine and a frontend over TLS, in an event loop of their own thread."""

    def __init__(self, tls_files: tuple[Path, Path]) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="svhyp"))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.harness = FakeHarness(self.directory / "engine.sock")
        # Hypothesis registers thousands of visits at the same instants: the one-camera rules
        # are relaxed explicitly (test-only switches, allowed with a test catalog source).
        config = api_config(
            tls_files,
            self.harness.socket_path,
            limits={**UNLIMITED, **RELAXED_LIMITS},
            catalog=TEST_CATALOG,
            server={"max_body_bytes": 65536},
        )
        self.front = self.run(self._start(config))
        self.port = int(self.front.base.rsplit(":", 1)[1])

    async def _start(self, config: Any) -> Any:
        await self.harness.start()
        front = await start_frontend(config)
        await front.install_catalog(self.harness)
        return front

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    def close(self) -> None:
        self.run(self.front.stop())
        self.run(self.harness.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="module")
def service(tls_files: tuple[Path, Path]) -> Iterator[Service]:
    running = Service(tls_files)
    yield running
    running.close()


@pytest.fixture(scope="module")
def tls(tls_ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    tls_ca.configure_trust(context)
    return context


def send(service: Service, tls: ssl.SSLContext, path: str, body: bytes) -> tuple[int, Any]:
    connection = http.client.HTTPSConnection("localhost", service.port, context=tls, timeout=30)
    try:
        connection.request("POST", path, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


# --- strategies ---------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
hostile_numbers = st.sampled_from(
    [0, -1, 1, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63), 0.5, -0.0, 1e300, 4095, 4096, 4071, 3999]
)


def bbox_strategy() -> st.SearchStrategy[Any]:
    small = st.integers(min_value=-3, max_value=4200) | hostile_numbers
    return st.lists(small, min_size=4, max_size=4) | st.lists(small, max_size=6) | json_values


def source_strategy() -> st.SearchStrategy[Any]:
    ident = st.integers(min_value=-3, max_value=60) | hostile_numbers
    return st.fixed_dictionaries({"diasource_id": ident, "bbox": bbox_strategy()}) | json_values


def now_visit(visit_id: int) -> dict[str, Any]:
    return sample_visit(visit_id=visit_id)


@st.composite
def diasource_bodies(draw: st.DrawFn) -> Any:
    visit_id = draw(st.integers(min_value=1, max_value=4) | hostile_numbers)
    body: dict[str, Any] = {
        "visit_id": visit_id,
        "detector_id": draw(st.integers(min_value=-2, max_value=200) | hostile_numbers),
        "diasources": draw(st.lists(source_strategy(), max_size=25)),
    }
    if draw(st.booleans()) and isinstance(visit_id, int) and visit_id >= 0:
        visit = now_visit(visit_id if visit_id < 2**63 else 1)
        if draw(st.booleans()):
            visit[draw(st.sampled_from(sorted(visit)))] = draw(json_values | hostile_numbers)
        body["visit"] = visit
    if draw(st.booleans()):
        body["wcs"] = draw(
            st.fixed_dictionaries(
                {
                    "crval": st.lists(st.floats(-400, 400), min_size=2, max_size=2),
                    "crpix": st.lists(st.floats(-10, 5000), min_size=2, max_size=2),
                    "cd": st.just([[-5.5e-5, 0.0], [0.0, 5.5e-5]]) | json_values,
                }
            )
            | json_values
        )
    for _ in range(draw(st.integers(0, 2))):  # any field replaced, removed or added
        key = draw(st.sampled_from([*body, "extra", "detector", "diasource"]))
        if draw(st.booleans()):
            body.pop(key, None)
        else:
            body[key] = draw(json_values)
    return body


@st.composite
def visit_bodies(draw: st.DrawFn) -> Any:
    visit = now_visit(draw(st.integers(min_value=100, max_value=104)))
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from([*visit, "rotation", "extra"]))
        if draw(st.booleans()):
            visit.pop(key, None)
        else:
            visit[key] = draw(json_values | hostile_numbers)
    return visit


def encoded(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    return strategy.map(lambda body: json.dumps(body).encode()) | st.binary(max_size=64)


# --- the property --------------------------------------------------------------------------------


def expected_allow_list(raw: bytes) -> list[int]:
    """The fake engine's answer to a request the frontend accepted."""
    body = json.loads(raw)
    return [s["diasource_id"] for s in body["diasources"] if fake_veto_allows(s["bbox"])]


def names_a_field(message: str, raw: bytes) -> bool:
    """The message starts with `field: problem`, the field a path into the request: a known
    field, or (for an unknown one) a key the client sent, named back as it was sent."""
    if ": " not in message:
        return False
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    keys = set(body) if isinstance(body, dict) else set()
    if isinstance(body, dict) and isinstance(body.get("visit"), dict):
        keys |= {f"visit.{key}" for key in body["visit"]}
    return any(message.startswith(f"{name}") for name in (*KNOWN_FIELDS, *keys) if name)


def check(status: int, answer: Any, path: str, raw: bytes) -> None:
    assert status < 500, (status, answer)
    if status == 200:
        if path == "/v1/diasources":
            assert answer["id_allow_list"] == expected_allow_list(raw)
        return
    assert "id_allow_list" not in answer
    error = answer["error"]
    if status == 400:
        assert names_a_field(error["message"], raw), error
    else:
        assert ALLOWED_REFUSALS.get(status) == error["code"], (status, error)


SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@SETTINGS
@given(raw=encoded(diasource_bodies()))
def test_any_diasource_body_is_answered_or_refused_naming_a_field(
    service: Service, tls: ssl.SSLContext, raw: bytes
) -> None:
    check(*send(service, tls, "/v1/diasources", raw), "/v1/diasources", raw)


@SETTINGS
@given(raw=encoded(visit_bodies()))
def test_any_visit_body_is_answered_or_refused_naming_a_field(
    service: Service, tls: ssl.SSLContext, raw: bytes
) -> None:
    check(*send(service, tls, "/v1/visits", raw), "/v1/visits", raw)


def test_the_strategies_reach_every_outcome(service: Service, tls: ssl.SSLContext) -> None:
    """A control: the families above do produce 200s, 400s, 404s and 409s (so the property
    is not vacuous); a fixed sample of bodies, checked like the rest."""
    statuses = set()
    started = time.monotonic()
    for raw in (
        json.dumps(now_visit(200)).encode(),
        json.dumps(now_visit(200) | {"boresight_dec": 10.0}).encode(),
        json.dumps({"visit_id": 200, "detector_id": 3, "diasources": []}).encode(),
        json.dumps({"visit_id": 201, "detector_id": 3, "diasources": []}).encode(),
        b"{",
    ):
        path = "/v1/visits" if b"exposure" in raw else "/v1/diasources"
        status, answer = send(service, tls, path, raw)
        check(status, answer, path, raw)
        statuses.add(status)
    assert statuses == {200, 400, 404, 409}
    assert time.monotonic() - started < 60
