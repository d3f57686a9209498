"""GET /metrics and the request log: operational figures only, nothing per visit or source."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest

from fake_engine import FakeHarness, Frontend, sample_sources, sample_visit
from satveto.runtime.logs import JsonFormatter
from satveto.runtime.metrics import rounded_size

pytest_plugins = ["test_api_fixtures"]  # the engine and frontend fixtures


def samples(text: str) -> dict[str, float]:
    """Metric lines as {'name{labels}': value}."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            found[name] = float(value)
    return found


async def test_metrics_count_requests_engine_calls_and_sources(
    fake_frontend: Frontend, fake_harness: FakeHarness, http_session: aiohttp.ClientSession
) -> None:
    visit = sample_visit()
    sources = sample_sources(300)
    base = fake_frontend.base
    async with http_session.post(f"{base}/v1/visits", json=visit) as response:
        assert response.status == 200
    body = {"visit_id": visit["visit_id"], "detector_id": 94, "diasources": sources}
    async with http_session.post(f"{base}/v1/diasources", json=body) as response:
        allowed = (await response.json())["id_allow_list"]
    async with http_session.post(f"{base}/v1/diasources", json={**body, "visit_id": 3}) as response:
        assert response.status == 404
    overlapping = sample_visit(visit_id=5, ago_s=50.0)  # within the first one's exposure
    async with http_session.post(f"{base}/v1/visits", json=overlapping) as response:
        assert response.status == 400
    async with http_session.get(f"{base}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = await response.text()
    found = samples(text)
    assert found['satveto_http_requests_total{endpoint="/v1/diasources",status="200"}'] == 1
    assert found['satveto_http_requests_total{endpoint="/v1/diasources",status="404"}'] == 1
    assert found['satveto_http_requests_total{endpoint="/v1/visits",status="200"}'] == 1
    assert found['satveto_http_request_seconds_count{endpoint="/v1/diasources"}'] == 2
    assert found['satveto_engine_rpc_seconds_count{method="filter_sources"}'] == 2
    assert found['satveto_engine_rpc_seconds_count{method="ping"}'] >= 1
    assert found['satveto_engine_rpc_failures_total{kind="unknown_visit",method="filter_sources"}']
    # Per client (docs/design.md "Security model"): visits, sources submitted, refusals by reason.
    client = 'client="127.0.0.1"'
    assert found[f"satveto_client_visits_total{{{client}}}"] == 1
    assert found[f"satveto_client_sources_total{{{client}}}"] == 2 * len(sources)
    assert found[f'satveto_client_refusals_total{{{client},reason="unknown_visit"}}'] == 1
    assert found[f'satveto_client_refusals_total{{{client},reason="implausible_visit"}}'] == 1
    assert found[f'satveto_client_implausible_visits_total{{{client},rule="overlap"}}'] == 1
    # No global vetoed/allowed totals: between two scrapes they would give one answer's count.
    expected = fake_harness.expected_allowed(
        [s["diasource_id"] for s in sources], [s["bbox"] for s in sources]
    )
    assert allowed == expected
    assert 0 < len(expected) < len(sources)
    assert not any("vetoed" in name or "allowed" in name for name in found)
    # The catalog size only to two significant figures.
    assert found["satveto_catalog_objects"] == rounded_size(len(fake_harness.catalog_records()))
    assert 0 <= found["satveto_catalog_age_seconds"] < 60
    # No per-visit or per-object figure: neither the visit id nor a source id appears.
    assert str(visit["visit_id"]) not in text
    assert "diasource" not in text.replace("/v1/diasources", "")


async def test_unmatched_paths_share_one_label(
    fake_frontend: Frontend, http_session: aiohttp.ClientSession
) -> None:
    for path in ("/a", "/b/c", "/v1/visits/123"):
        async with http_session.get(f"{fake_frontend.base}{path}") as response:
            assert response.status == 404
    async with http_session.get(f"{fake_frontend.base}/metrics") as response:
        text = await response.text()
    assert samples(text)['satveto_http_requests_total{endpoint="unmatched",status="404"}'] == 3
    assert "/b/c" not in text


async def test_request_log_is_json_with_request_id_and_no_positions(
    fake_frontend: Frontend,
    http_session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    visit = sample_visit()
    sources = [{"diasource_id": 77, "bbox": [1234, 2345, 1240, 2350]}]
    caplog.set_level(logging.INFO, logger="satveto")
    async with http_session.post(f"{fake_frontend.base}/v1/visits", json=visit) as response:
        request_id = response.headers["X-Request-Id"]
    body = {"visit_id": visit["visit_id"], "detector_id": 94, "diasources": sources}
    async with http_session.post(f"{fake_frontend.base}/v1/diasources", json=body):
        pass
    lines = [JsonFormatter().format(record) for record in caplog.records]
    entries = [json.loads(line) for line in lines]
    requests = [entry for entry in entries if entry["msg"] == "request"]
    assert requests[0]["request_id"] == request_id
    assert requests[0]["endpoint"] == "/v1/visits"
    assert requests[1]["status"] == 200
    everything = "\n".join(lines)
    for secret_ish in ("1234", "2345", "150.1", "-30.2"):
        assert secret_ish not in everything


def test_catalog_size_is_rounded_to_two_significant_figures() -> None:
    assert [rounded_size(n) for n in (0, 99, 123, 987, 12_345, 29_999, 47_321)] == [
        0,
        99,
        120,
        980,
        12_000,
        29_000,
        47_000,
    ]
