"""POST /v1/diasources over real TLS: the allow list, embedded visit and WCS, validation."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from msgspec.structs import astuple

from fake_engine import (
    EngineHarness,
    FakeHarness,
    Frontend,
    api_config,
    sample_sources,
    sample_visit,
    start_frontend,
)
from oracle import camera
from satveto.runtime.config import LimitsConfig
from satveto.web.validation import decode_diasource_request

pytest_plugins = ["test_api_fixtures"]  # the engine and frontend fixtures

WCS = {"crval": [150.2, -30.1], "crpix": [2036.0, 2000.0], "cd": [[-5.5e-5, 0.0], [0.0, 5.5e-5]]}

JSON = {"Content-Type": "application/json"}  # the only media type the API accepts


def honest_wcs(visit: dict[str, Any], detector: int = 94) -> dict[str, Any]:
    """The detector's TAN WCS fitted to the camera model at the visit's pointing (what the
    engine accepts: it checks a `wcs` against the camera model)."""
    fitted = camera.detector_tan_wcs(
        detector, visit["boresight_ra"], visit["boresight_dec"], visit["rotation_deg"]
    )
    return {key: fitted[key] for key in ("crval", "crpix", "cd")}


async def post(session: aiohttp.ClientSession, url: str, body: Any) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body)
    async with session.post(url, data=data, headers=JSON) as response:
        return response.status, await response.json()


def request_body(visit_id: int, sources: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"visit_id": visit_id, "detector_id": 94, "diasources": sources, **extra}


async def register(front: Frontend, session: aiohttp.ClientSession, visit: dict) -> None:
    status, body = await post(session, f"{front.base}/v1/visits", visit)
    assert status == 200, body


async def test_allow_list_is_the_engines_in_input_order(
    frontend: Frontend, engine: EngineHarness, http_session: aiohttp.ClientSession
) -> None:
    visit = sample_visit()
    await register(frontend, http_session, visit)
    sources = sample_sources(500)[::-1]  # input order is not id order
    status, body = await post(
        http_session, f"{frontend.base}/v1/diasources", request_body(visit["visit_id"], sources)
    )
    assert status == 200
    assert set(body) == {"visit_id", "detector_id", "id_allow_list"}
    assert (body["visit_id"], body["detector_id"]) == (visit["visit_id"], 94)
    ids = [source["diasource_id"] for source in sources]
    positions = [ids.index(source_id) for source_id in body["id_allow_list"]]
    assert positions == sorted(set(positions))
    expected = engine.expected_allowed(ids, [source["bbox"] for source in sources])
    if expected is not None:
        assert body["id_allow_list"] == expected
        assert 0 < len(expected) < len(ids)


async def test_empty_source_list_is_answered(
    frontend: Frontend, http_session: aiohttp.ClientSession
) -> None:
    visit = sample_visit()
    await register(frontend, http_session, visit)
    status, body = await post(
        http_session, f"{frontend.base}/v1/diasources", request_body(visit["visit_id"], [])
    )
    assert (status, body["id_allow_list"]) == (200, [])


async def test_unknown_visit_is_404(
    frontend: Frontend, http_session: aiohttp.ClientSession
) -> None:
    status, body = await post(
        http_session, f"{frontend.base}/v1/diasources", request_body(424242, sample_sources(3))
    )
    assert status == 404
    assert body["error"]["code"] == "unknown_visit"
    assert "id_allow_list" not in body


async def test_embedded_visit_answers_an_unregistered_visit(
    frontend: Frontend, engine: EngineHarness, http_session: aiohttp.ClientSession
) -> None:
    visit = sample_visit(visit_id=31)
    wcs = honest_wcs(visit)
    body = request_body(31, sample_sources(20), visit=visit, wcs=wcs)
    status, answer = await post(http_session, f"{frontend.base}/v1/diasources", body)
    assert status == 200, answer
    if isinstance(engine, FakeHarness):
        method, params = engine.fake.calls[-1]
        assert method == "filter_sources"
        assert params["visit"] == visit
        assert params["wcs"] == wcs
    # The embedded visit is now known here: a later plain request (for another detector: one
    # answer per detector) needs no embedding.
    plain = request_body(31, sample_sources(5), detector_id=95)
    assert (await post(http_session, f"{frontend.base}/v1/diasources", plain))[0] == 200


async def test_embedded_visit_conflicting_with_the_registered_one_is_409(
    frontend: Frontend, http_session: aiohttp.ClientSession
) -> None:
    visit = sample_visit()
    await register(frontend, http_session, visit)
    other = {**visit, "boresight_ra": 10.0}
    body = request_body(visit["visit_id"], sample_sources(3), visit=other)
    status, answer = await post(http_session, f"{frontend.base}/v1/diasources", body)
    assert (status, answer["error"]["code"]) == (409, "visit_conflict")
    assert "id_allow_list" not in answer


def _source(**bbox_or_id: Any) -> list[dict[str, Any]]:
    sources = sample_sources(5)
    sources[3] = {**sources[3], **bbox_or_id}
    return sources


INVALID_REQUESTS = [
    ({"detector_id": 94, "diasources": []}, "visit_id: required"),
    (request_body(1, [], detector_id=-1), "detector_id: expected an integer >= 0"),
    (request_body(1, [], detector_id="94"), "detector_id: expected an integer"),
    (request_body(1, {"diasource_id": 1}), "diasources: expected an array"),
    (request_body(1, [], extra=1), "extra: unknown field"),
    (
        request_body(1, _source(bbox=[1, 2, 3])),
        "diasources[3].bbox: expected an array of at least length 4",
    ),
    (request_body(1, _source(bbox=[5, 2, 3, 4])), "diasources[3].bbox: x_min exceeds x_max"),
    (request_body(1, _source(bbox=[1, 5, 3, 4])), "diasources[3].bbox: y_min exceeds y_max"),
    (
        request_body(1, _source(bbox=[-1, 2, 3, 4])),
        "diasources[3].bbox[0]: expected an integer >= 0",
    ),
    (
        request_body(1, _source(bbox=[1.5, 2, 3, 4])),
        "diasources[3].bbox[0]: expected an integer, got a number",
    ),
    (
        request_body(1, _source(bbox=[1, 2, 3, 1 << 40])),
        "diasources[3].bbox[3]: expected an integer <= 2147483647",
    ),
    (request_body(1, _source(bbox="1,2,3,4")), "diasources[3].bbox: expected an array"),
    (request_body(1, _source(diasource_id=2)), "diasources[3].diasource_id: duplicate id 2"),
    (request_body(1, _source(diasource_id=True)), "diasources[3].diasource_id: expected an"),
    (
        request_body(1, _source(diasource_id=1 << 64)),
        "diasources[3].diasource_id: expected an integer <= 9223372036854775807",
    ),
    (request_body(1, _source(flux=3.0)), "diasources[3].flux: unknown field"),
    (request_body(1, [*sample_sources(2), 7]), "diasources[2]: expected a JSON object"),
    (request_body(1, [{"bbox": [1, 2, 3, 4]}]), "diasources[0].diasource_id: required"),
    (request_body(1, [], visit=sample_visit(visit_id=2)), "visit.visit_id: differs"),
    (request_body(1, [], visit=sample_visit(visit_id=1, boresight_dec=-91)), "visit.boresight_dec"),
    (request_body(1, [], wcs={**WCS, "cd": [[0, 0], [0, 0]]}), "wcs.cd: the matrix is singular"),
    (request_body(1, [], wcs={**WCS, "crpix": [1]}), "wcs.crpix: expected an array of length 2"),
    (request_body(1, [], wcs={"crval": [1, 2]}), "wcs.crpix: required"),
]


@pytest.mark.parametrize(("body", "message"), INVALID_REQUESTS)
async def test_invalid_request_is_400_naming_the_field(
    fake_frontend: Frontend, http_session: aiohttp.ClientSession, body: Any, message: str
) -> None:
    status, answer = await post(http_session, f"{fake_frontend.base}/v1/diasources", body)
    assert status == 400, answer
    assert answer["error"]["code"] == "invalid_request"
    assert answer["error"]["message"].startswith(message), answer
    assert "id_allow_list" not in answer


async def test_unknown_detector_is_400_with_the_engines_message(
    fake_frontend: Frontend, http_session: aiohttp.ClientSession
) -> None:
    visit = sample_visit()
    await register(fake_frontend, http_session, visit)
    body = request_body(visit["visit_id"], sample_sources(3), detector_id=999)
    status, answer = await post(http_session, f"{fake_frontend.base}/v1/diasources", body)
    assert status == 400
    assert answer["error"] == {
        "code": "invalid_request",
        "message": "detector_id: unknown detector 999",
    }


async def test_too_many_sources_is_400(
    fake_harness: FakeHarness, tls_files: tuple[Path, Path], http_session: aiohttp.ClientSession
) -> None:
    config = api_config(tls_files, fake_harness.socket_path, limits={"max_sources": 10})
    front = await start_frontend(config)
    try:
        await front.install_catalog(fake_harness)
        visit = sample_visit()
        await register(front, http_session, visit)
        url = f"{front.base}/v1/diasources"
        status, _ = await post(
            http_session, url, request_body(visit["visit_id"], sample_sources(10))
        )
        assert status == 200
        status, answer = await post(
            http_session, url, request_body(visit["visit_id"], sample_sources(11))
        )
        assert status == 400
        assert answer["error"]["code"] == "too_many_sources"
        assert answer["error"]["message"].startswith("diasources: 11 sources exceed")
    finally:
        await front.stop()


async def test_hundred_thousand_sources(
    fake_frontend: Frontend, fake_harness: FakeHarness, http_session: aiohttp.ClientSession
) -> None:
    """The largest request allowed by default goes through, and so is its worst error."""
    visit = sample_visit()
    await register(fake_frontend, http_session, visit)
    sources = sample_sources(100_000)
    url = f"{fake_frontend.base}/v1/diasources"
    status, body = await post(http_session, url, request_body(visit["visit_id"], sources))
    assert status == 200
    ids = [source["diasource_id"] for source in sources]
    assert body["id_allow_list"] == fake_harness.expected_allowed(
        ids, [source["bbox"] for source in sources]
    )
    sources[-1] = {**sources[-1], "diasource_id": 5}
    status, body = await post(http_session, url, request_body(visit["visit_id"], sources))
    assert status == 400
    assert body["error"]["message"] == "diasources[99999].diasource_id: duplicate id 5"


def test_a_hundred_thousand_sources_decode_in_process() -> None:
    """Decoding plus validation of 100,000 sources, in-process (no HTTP); speed is measured in
    benchmarks/ap_protocol.py, not asserted here."""
    sources = sample_sources(100_000)
    body = json.dumps(request_body(1, sources)).encode()
    parsed = decode_diasource_request(body, LimitsConfig(), time.time())
    assert parsed.ids == [source["diasource_id"] for source in sources]
    assert parsed.bboxes is not None
    assert [list(astuple(box)) for box in parsed.bboxes] == [s["bbox"] for s in sources]
    assert parsed.sky_corners is None


async def test_one_answer_per_visit_and_detector(
    frontend: Frontend, engine: EngineHarness, http_session: aiohttp.ClientSession
) -> None:
    """A repeat with the same sources is answered identically; other sources are refused, and
    a refused or failed request does not fix the detector's content."""
    visit = sample_visit()
    await register(frontend, http_session, visit)
    url = f"{frontend.base}/v1/diasources"
    sources = sample_sources(40)
    first = await post(http_session, url, request_body(visit["visit_id"], sources))
    assert first[0] == 200
    assert await post(http_session, url, request_body(visit["visit_id"], sources)) == first
    shifted = [{**s, "bbox": [b + 1 for b in s["bbox"]]} for s in sources]  # a shifted lattice
    fewer = sources[:-1]
    for other in (shifted, fewer, [{**sources[0], "diasource_id": 999}, *sources[1:]]):
        status, body = await post(http_session, url, request_body(visit["visit_id"], other))
        assert (status, body["error"]["code"]) == (409, "detector_conflict")
        assert body["error"]["message"].startswith("detector_id: ")
        assert "id_allow_list" not in body
    # The same boxes under another WCS are other footprints.
    status, body = await post(http_session, url, request_body(visit["visit_id"], sources, wcs=WCS))
    assert (status, body["error"]["code"]) == (409, "detector_conflict")
    # Another detector of the same visit is its own answer.
    other_detector = request_body(visit["visit_id"], shifted, detector_id=95)
    assert (await post(http_session, url, other_detector))[0] == 200
    if isinstance(engine, FakeHarness):
        return
    # A request the engine refuses (box outside the detector) fixes nothing: a corrected one
    # for that detector is answered.
    outside = [{"diasource_id": 1, "bbox": [0, 0, 5000, 5000]}]
    refused = request_body(visit["visit_id"], outside, detector_id=96)
    assert (await post(http_session, url, refused))[0] == 400
    corrected = request_body(visit["visit_id"], sources[:3], detector_id=96)
    assert (await post(http_session, url, corrected))[0] == 200
