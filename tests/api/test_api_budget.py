"""The disclosure budget over HTTP (docs/design.md "Security model", fail-safe rule): the
engine's ``disclosure_budget_exhausted`` is a 503 of its own code with Retry-After and no list,
on the native and AP protocols alike; it is counted per client and globally, and /metrics shows
the budget's use only as a quarter bucket.  The engine side is in test_disclosure_budget.py."""

from __future__ import annotations

import json
import ssl
from typing import Any

import aiohttp
import pytest

from ap_client import ApClient, HttpStatusError
from api.test_api_ap import ap_visit, corner_sources
from api.test_api_metrics import samples
from fake_engine import FakeHarness, Frontend, sample_sources, sample_visit
from satveto.runtime.metrics import budget_bucket
from satveto.web.app_keys import SUPERVISOR

pytest_plugins = ["test_api_fixtures"]

JSON = {"Content-Type": "application/json"}
CLIENT = 'client="127.0.0.1"'
REFUSAL = "disclosure_budget_exhausted"
ENGINE_MESSAGE = "max_revealed_per_hour: the answers of the last hour revealed as many ..."


async def send(
    session: aiohttp.ClientSession, method: str, url: str, body: Any
) -> tuple[int, Any, Any]:
    async with session.request(method, url, data=json.dumps(body), headers=JSON) as response:
        return response.status, await response.json(), response.headers


async def metrics(front: Frontend, session: aiohttp.ClientSession) -> tuple[str, dict[str, float]]:
    async with session.get(f"{front.base}/metrics") as response:
        text = await response.text()
    return text, samples(text)


def assert_budget_refusal(status: int, body: Any, headers: Any) -> None:
    assert status == 503, body
    assert body == {"error": {"code": REFUSAL, "message": body["error"]["message"]}}
    assert "limits.max_revealed_per_hour" in body["error"]["message"]
    assert headers["Retry-After"] == "60"


async def test_native_protocol_answers_503_without_a_list_and_counts_it(
    fake_frontend: Frontend, fake_harness: FakeHarness, http_session: aiohttp.ClientSession
) -> None:
    base = fake_frontend.base
    visit = sample_visit()
    status, _, _ = await send(http_session, "POST", f"{base}/v1/visits", visit)
    assert status == 200
    request = {"visit_id": visit["visit_id"], "detector_id": 94, "diasources": sample_sources(40)}
    fake_harness.fake.errors["filter_sources"] = (REFUSAL, ENGINE_MESSAGE)
    for _ in range(2):
        assert_budget_refusal(*await send(http_session, "POST", f"{base}/v1/diasources", request))
    assert fake_harness.fake.count("filter_sources") == 2  # no resync, no retry
    _, found = await metrics(fake_frontend, http_session)
    assert found["satveto_disclosure_budget_refusals_total"] == 2
    assert found[f'satveto_client_refusals_total{{{CLIENT},reason="{REFUSAL}"}}'] == 2
    assert found['satveto_http_requests_total{endpoint="/v1/diasources",status="503"}'] == 2
    # A refusal fixes nothing: once the budget reopens, the detector may be asked about other
    # sources (a refused request learnt nothing, so no one-answer rule is at stake).
    fake_harness.fake.clear_faults()
    other = {**request, "diasources": sample_sources(30, first_id=500)}
    status, body, _ = await send(http_session, "POST", f"{base}/v1/diasources", other)
    assert status == 200, body
    assert "id_allow_list" in body


async def test_ap_protocol_answers_the_same_503(
    fake_frontend: Frontend,
    fake_harness: FakeHarness,
    http_session: aiohttp.ClientSession,
    client_tls: ssl.SSLContext,
) -> None:
    base = fake_frontend.base
    info = ap_visit()
    client = ApClient(base, client_tls)
    await client.populate_visit_cache(info)
    fake_harness.fake.errors["filter_sources"] = (REFUSAL, ENGINE_MESSAGE)
    sources = corner_sources(20)
    body = {
        "visit_id": info.visit_id,
        "detector_id": 40,
        "diasources": [{"diasource_id": i, "bbox": corners} for i, corners in sources],
        "historical": False,
    }
    assert_budget_refusal(*await send(http_session, "PUT", f"{base}/diasource_allow_list", body))
    # lsst.ip.diffim's client raises on it like on any error: the detector gets no list.
    with pytest.raises(HttpStatusError) as caught:
        await client.allow_list(info, 41, sources)
    assert caught.value.status == 503
    _, found = await metrics(fake_frontend, http_session)
    assert found["satveto_disclosure_budget_refusals_total"] == 2
    assert found[f'satveto_client_refusals_total{{{CLIENT},reason="{REFUSAL}"}}'] == 2


@pytest.mark.parametrize(
    ("revealed", "bucket"), [(0, 0.0), (74, 0.0), (75, 0.25), (161, 0.5), (299, 0.75), (300, 1.0)]
)
async def test_metrics_show_the_budget_only_as_a_quarter_bucket(
    fake_frontend: Frontend,
    fake_harness: FakeHarness,
    http_session: aiohttp.ClientSession,
    revealed: int,
    bucket: float,
) -> None:
    fake_harness.fake.revealed_last_hour = revealed
    await fake_frontend.app[SUPERVISOR].refresh_budget_gauge()
    text, found = await metrics(fake_frontend, http_session)
    assert found["satveto_disclosure_budget_used_ratio"] == bucket
    # The frontend's configured budget (default 300) is what the engine was told.
    assert fake_harness.fake.configured is not None
    assert fake_harness.fake.configured["max_revealed_per_hour"] == 300
    # Nothing else about the budget: no exact count anywhere.
    assert {name for name in found if "disclosure" in name} <= {
        "satveto_disclosure_budget_used_ratio",
        "satveto_disclosure_budget_refusals_total",
        "satveto_disclosure_budget_refusals_created",
    }
    assert "revealed_last_hour" not in text


def test_bucket_rounds_down_and_caps() -> None:
    assert [budget_bucket(n, 300) for n in (0, 74, 75, 149, 150, 224, 225, 299, 300, 900)] == [
        0.0,
        0.0,
        0.25,
        0.25,
        0.5,
        0.5,
        0.75,
        0.75,
        1.0,
        1.0,
    ]


async def test_an_engine_that_cannot_say_leaves_the_gauge_nan(
    fake_frontend: Frontend, fake_harness: FakeHarness
) -> None:
    fake_harness.fake.errors["stats"] = ("unknown_method", "no method stats")
    await fake_frontend.app[SUPERVISOR].refresh_budget_gauge()
    value = fake_frontend.app[SUPERVISOR]._metrics.disclosure_budget_used._value.get()
    assert value != value  # NaN
