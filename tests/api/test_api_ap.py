"""The AP protocol (`PUT /visit_cache`, `PUT /diasource_allow_list`) over TLS, on the fake engine
and the real one: shapes, status codes, the shared fail-safe rules, and the client's replay."""

from __future__ import annotations

import json
import ssl
import time
from typing import Any

import aiohttp
import pytest

from ap_client import ApClient, ApVisitInfo, HttpStatusError
from fake_engine import (
    MJD_UNIX_EPOCH,
    EngineHarness,
    FakeHarness,
    Frontend,
    fake_veto_allows_corners,
    night_zenith,
    sample_visit,
)

pytest_plugins = ["test_api_fixtures"]

JSON = {"Content-Type": "application/json"}


def ap_visit(visit_id: int = 7001) -> ApVisitInfo:
    """A 30 s visit whose midpoint was 45 s ago, overhead at the test's night site (the
    service refuses low and daytime visits)."""
    mid = MJD_UNIX_EPOCH + (time.time() - 45.0) / 86400.0
    ra, dec = night_zenith(time.time() - 45.0)
    return ApVisitInfo(visit_id, mid, 30.0, ra, dec)


def corner_sources(count: int, first_id: int = 1) -> list[tuple[int, list[list[float]]]]:
    """Small footprints near the boresight of :func:`ap_visit`; the fake engine vetoes about
    half of them."""
    ra0, dec0 = night_zenith(time.time() - 45.0)
    sources = []
    for i in range(count):
        ra, dec = (ra0 - 0.1 + i * 2.7e-4) % 360.0, dec0 - 0.05 + (i % 17) * 1e-3
        side = 3e-4
        corners = [[ra, dec], [ra + side, dec], [ra + side, dec + side], [ra, dec + side]]
        sources.append((first_id + i, corners))
    return sources


async def put(
    session: aiohttp.ClientSession, url: str, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body)
    async with session.put(url, data=data, headers=headers or JSON) as response:
        return response.status, await response.json(content_type=None)


async def test_ap_client_sequence(
    frontend: Frontend, engine: EngineHarness, client_tls: ssl.SSLContext
) -> None:
    client = ApClient(frontend.base, client_tls)
    visit = ap_visit()
    await client.populate_visit_cache(visit)
    sources = corner_sources(300)
    allowed = await client.allow_list(visit, 94, sources)
    ids = [source_id for source_id, _ in sources]
    assert allowed == [i for i in ids if i in set(allowed)]  # a subset, in input order
    if isinstance(engine, FakeHarness):
        expected = [i for i, corners in sources if fake_veto_allows_corners(corners)]
        assert allowed == expected
        assert 0 < len(expected) < len(ids)
        method, params = engine.fake.calls[-1]
        assert method == "filter_sources"
        assert "bboxes" not in params  # every source has corners
        assert params["sky_corners"][0] == sources[0][1]
    assert client.log.calls == [("PUT", "/visit_cache", 200), ("PUT", "/diasource_allow_list", 200)]


async def test_unknown_visit_is_re_sent_and_retried_once(
    frontend: Frontend, engine: EngineHarness, client_tls: ssl.SSLContext
) -> None:
    client = ApClient(frontend.base, client_tls)
    visit = ap_visit(7002)
    sources = corner_sources(40)
    allowed = await client.allow_list(visit, 10, sources)
    ids = [source_id for source_id, _ in sources]
    assert allowed == [i for i in ids if i in set(allowed)]  # a subset, in input order
    if isinstance(engine, FakeHarness):
        expected = [i for i, corners in sources if fake_veto_allows_corners(corners)]
        assert allowed == expected
        assert 0 < len(expected) < len(ids)
    assert client.log.calls == [
        ("PUT", "/diasource_allow_list", 404),
        ("PUT", "/visit_cache", 200),
        ("PUT", "/diasource_allow_list", 200),
    ]


async def test_unknown_visit_answer_is_404_without_a_list(
    fake_frontend: Frontend, http_session: aiohttp.ClientSession
) -> None:
    body = {"visit_id": 99, "detector_id": 3, "diasources": [], "historical": False}
    status, answer = await put(http_session, f"{fake_frontend.base}/diasource_allow_list", body)
    assert status == 404
    assert answer["error"]["code"] == "unknown_visit"
    assert "allow_list" not in answer


async def test_historical_is_refused_while_reprocessing_is_off(
    fake_frontend: Frontend, fake_harness: FakeHarness, client_tls: ssl.SSLContext
) -> None:
    client = ApClient(fake_frontend.base, client_tls, historical=True)
    registrations = fake_harness.fake.count("register_visit")
    old = ApVisitInfo(7003, 60000.2, 30.0, 150.1, -30.2)  # 2023: reprocessing
    with pytest.raises(HttpStatusError) as raised:
        await client.populate_visit_cache(old)
    assert raised.value.status == 400  # reprocessing_disabled (limits.allow_reprocessing)
    with pytest.raises(HttpStatusError) as raised:
        await client.allow_list(old, 5, corner_sources(3))
    assert raised.value.status == 400  # its 404 -> re-send -> the same refusal
    # Never today's elements: the engine was not asked to register the visit.
    assert fake_harness.fake.count("register_visit") == registrations


async def test_visit_cache_is_idempotent_and_conflicts_are_409(
    fake_frontend: Frontend, http_session: aiohttp.ClientSession
) -> None:
    visit = ap_visit(7004)
    half = visit.exposure_time_s / 86400.0 / 2.0
    body = {
        "visit_id": visit.visit_id,
        "exposure_start_mjd": visit.mid_mjd_tai - half,
        "exposure_end_mjd": visit.mid_mjd_tai + half,
        "boresight_ra": visit.boresight_ra,
        "boresight_dec": visit.boresight_dec,
        "historical": False,
    }
    url = f"{fake_frontend.base}/visit_cache"
    assert (await put(http_session, url, body))[0] == 200
    assert (await put(http_session, url, body))[0] == 200
    status, answer = await put(http_session, url, {**body, "boresight_ra": 151.0})
    assert (status, answer["error"]["code"]) == (409, "visit_conflict")


AP_INVALID = [
    (
        {"visit_id": 1, "detector_id": 3, "diasources": [{"diasource_id": 1}]},
        "diasources[0].bbox: required",
    ),
    (
        {
            "visit_id": 1,
            "detector_id": 3,
            "diasources": [{"diasource_id": 1, "bbox": [[1, 2]] * 3}],
        },
        "diasources[0].bbox: expected an array of at least length 4",
    ),
    (
        {
            "visit_id": 1,
            "detector_id": 3,
            "diasources": [{"diasource_id": 1, "bbox": [[1, 91]] * 4}],
        },
        "diasources[0].bbox[0][1]: expected a number <= 90.0",
    ),
    (
        {"visit_id": 1, "detector_id": 3, "diasources": [], "historical": "no"},
        "historical: expected true or false",
    ),
    (
        {"visit_id": 1, "detector_id": 3, "diasources": [], "rotation_deg": 3},
        "rotation_deg: unknown",
    ),
]


@pytest.mark.parametrize(("body", "message"), AP_INVALID)
async def test_invalid_ap_request_is_400_naming_the_field(
    fake_frontend: Frontend, http_session: aiohttp.ClientSession, body: Any, message: str
) -> None:
    url = f"{fake_frontend.base}/diasource_allow_list"
    status, answer = await put(http_session, url, body)
    assert status == 400, answer
    assert answer["error"]["message"].startswith(message), answer
    assert "allow_list" not in answer


async def test_get_visit_cache_is_405_and_reveals_nothing(
    fake_frontend: Frontend, http_session: aiohttp.ClientSession
) -> None:
    body = sample_visit()
    del body["rotation_deg"]
    await put(http_session, f"{fake_frontend.base}/visit_cache", body)
    async with http_session.get(f"{fake_frontend.base}/visit_cache") as response:
        raw = await response.read()
        assert response.status == 405
        assert response.headers["Allow"] == "PUT"
    answer = json.loads(raw)
    assert set(answer) == {"error"}
    assert answer["error"]["code"] == "method_not_allowed"
    assert str(body["visit_id"]) not in raw.decode()


async def test_ap_and_native_share_metrics(
    fake_frontend: Frontend, client_tls: ssl.SSLContext, http_session: aiohttp.ClientSession
) -> None:
    client = ApClient(fake_frontend.base, client_tls)
    visit = ap_visit(7005)
    await client.populate_visit_cache(visit)
    await client.allow_list(visit, 1, corner_sources(4))
    async with http_session.get(f"{fake_frontend.base}/metrics") as response:
        text = await response.text()
    assert 'satveto_http_requests_total{endpoint="/visit_cache",status="200"} 1.0' in text
    assert 'satveto_http_requests_total{endpoint="/diasource_allow_list",status="200"} 1.0' in text
    assert 'satveto_engine_rpc_seconds_count{method="filter_sources"}' in text
