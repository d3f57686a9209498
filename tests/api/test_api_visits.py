"""POST /v1/visits over real TLS: registration, idempotency, conflicts, validation, limits."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from fake_engine import (
    MJD_UNIX_EPOCH,
    EngineHarness,
    FakeHarness,
    Frontend,
    api_config,
    sample_visit,
    start_frontend,
)

pytest_plugins = ["test_api_fixtures"]  # the engine and frontend fixtures

JSON = {"Content-Type": "application/json"}  # the only media type the API accepts


async def post(session: aiohttp.ClientSession, url: str, body: Any) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body)
    async with session.post(url, data=data, headers=JSON) as response:
        return response.status, await response.json()


async def test_visit_is_registered(
    frontend: Frontend, engine: EngineHarness, http_session: aiohttp.ClientSession
) -> None:
    visit = sample_visit()
    status, body = await post(http_session, f"{frontend.base}/v1/visits", visit)
    assert (status, body) == (200, {"visit_id": visit["visit_id"], "status": "ok"})
    if isinstance(engine, FakeHarness):
        assert engine.fake.visits[visit["visit_id"]] == visit


async def test_same_visit_again_is_idempotent(
    frontend: Frontend, http_session: aiohttp.ClientSession
) -> None:
    visit = sample_visit()
    for _ in range(3):
        status, body = await post(http_session, f"{frontend.base}/v1/visits", visit)
        assert (status, body["status"]) == (200, "ok")
    without_rotation = sample_visit(visit_id=7, ago_s=120.0)  # one camera: no overlap
    del without_rotation["rotation_deg"]
    for _ in range(2):
        status, _body = await post(http_session, f"{frontend.base}/v1/visits", without_rotation)
        assert status == 200


async def test_conflicting_visit_is_409(
    frontend: Frontend, http_session: aiohttp.ClientSession
) -> None:
    visit = sample_visit()
    assert (await post(http_session, f"{frontend.base}/v1/visits", visit))[0] == 200
    for change in ({"boresight_ra": 150.2}, {"rotation_deg": None}, {"rotation_deg": 13.0}):
        other = {**visit, **change}
        if other["rotation_deg"] is None:
            del other["rotation_deg"]
        status, body = await post(http_session, f"{frontend.base}/v1/visits", other)
        assert status == 409
        assert body["error"]["code"] == "visit_conflict"


async def test_conflict_reported_by_the_engine_is_409(
    fake_frontend: Frontend, fake_harness: FakeHarness, http_session: aiohttp.ClientSession
) -> None:
    """A visit another frontend registered with other parameters: the engine says so."""
    visit = sample_visit()
    fake_harness.fake.visits[visit["visit_id"]] = {**visit, "boresight_dec": -31.0}
    status, body = await post(http_session, f"{fake_frontend.base}/v1/visits", visit)
    assert (status, body["error"]["code"]) == (409, "visit_conflict")


def _without(key: str) -> dict[str, Any]:
    visit = sample_visit()
    del visit[key]
    return visit


INVALID_VISITS = [
    (b"", "body: empty"),
    (b"{not json", "body: not valid JSON"),
    (b'{"visit_id": NaN}', "body: not valid JSON"),
    ([1, 2], "body: expected a JSON object"),
    (_without("visit_id"), "visit_id: required"),
    (_without("boresight_dec"), "boresight_dec: required"),
    (sample_visit(visit_id=-1), "visit_id: expected an integer >= 0"),
    (sample_visit(visit_id=1 << 63), "visit_id: expected an integer <= 92233"),
    (sample_visit(visit_id=True), "visit_id: expected an integer"),
    (sample_visit(visit_id=12.0), "visit_id: expected an integer"),
    (sample_visit(visit_id="12"), "visit_id: expected an integer"),
    (sample_visit(exposure_start_mjd="61365.0"), "exposure_start_mjd: expected a number"),
    (sample_visit(boresight_ra=360.0), "boresight_ra: expected a number < 360.0"),
    (sample_visit(boresight_ra=-0.1), "boresight_ra: expected a number >= 0.0"),
    (sample_visit(boresight_dec=90.5), "boresight_dec: expected a number <= 90.0"),
    (sample_visit(rotation_deg="north"), "rotation_deg: expected a number or null, got a string"),
    (sample_visit(rotation_deg=1e400), "body: not valid JSON"),  # json.dumps writes Infinity
    ({**sample_visit(), "rotation": 12.0}, "rotation: unknown field"),
]


@pytest.mark.parametrize(("body", "message"), INVALID_VISITS)
async def test_invalid_visit_is_400_naming_the_field(
    fake_frontend: Frontend, http_session: aiohttp.ClientSession, body: Any, message: str
) -> None:
    status, answer = await post(http_session, f"{fake_frontend.base}/v1/visits", body)
    assert status == 400
    assert answer["error"]["code"] == "invalid_request"
    assert answer["error"]["message"].startswith(message), answer


async def test_exposure_times_are_checked(
    fake_frontend: Frontend, http_session: aiohttp.ClientSession
) -> None:
    visit = sample_visit()
    start = visit["exposure_start_mjd"]
    cases = [
        (sample_visit(exposure_end_mjd=start), "exposure_end_mjd: must be later"),
        (sample_visit(exposure_end_mjd=start - 1e-4), "exposure_end_mjd: must be later"),
        (
            sample_visit(exposure_end_mjd=start + 41 / 86400),
            "exposure_end_mjd: the exposure lasts",
        ),
        (  # shorter than limits.min_exposure_s (15 s): not an exposure of this camera
            sample_visit(exposure_end_mjd=start + 14 / 86400),
            "exposure_end_mjd: the exposure lasts 14.000 s, outside [limits.min_exposure_s",
        ),
    ]
    for body, message in cases:
        status, answer = await post(http_session, f"{fake_frontend.base}/v1/visits", body)
        assert status == 400
        assert answer["error"]["message"].startswith(message)
    longest = sample_visit(exposure_end_mjd=start + 39.99 / 86400)
    assert (await post(http_session, f"{fake_frontend.base}/v1/visits", longest))[0] == 200


async def test_exposures_outside_the_time_window_are_refused(
    fake_frontend: Frontend, http_session: aiohttp.ClientSession
) -> None:
    now_mjd = MJD_UNIX_EPOCH + time.time() / 86400.0
    old = sample_visit(exposure_start_mjd=now_mjd - 2.0, exposure_end_mjd=now_mjd - 2.0 + 3e-4)
    future = sample_visit(exposure_start_mjd=now_mjd + 0.5, exposure_end_mjd=now_mjd + 0.5003)
    for body, field in ((old, "exposure_start_mjd"), (future, "exposure_end_mjd")):
        status, answer = await post(http_session, f"{fake_frontend.base}/v1/visits", body)
        assert status == 400
        assert answer["error"]["code"] == "outside_time_window"
        assert answer["error"]["message"].startswith(f"{field}: ")


async def test_reprocessing_accepts_old_exposures(
    fake_harness: FakeHarness, tls_files: tuple[Path, Path], http_session: aiohttp.ClientSession
) -> None:
    config = api_config(tls_files, fake_harness.socket_path, limits={"allow_reprocessing": True})
    front = await start_frontend(config)
    try:
        await front.install_catalog(fake_harness)
        old = sample_visit(ago_s=3 * 86400.0)  # three nights ago, at this hour: still night
        status, _ = await post(http_session, f"{front.base}/v1/visits", old)
        assert status == 200
    finally:
        await front.stop()


async def test_engine_invalid_params_message_is_passed_through(
    fake_frontend: Frontend, fake_harness: FakeHarness, http_session: aiohttp.ClientSession
) -> None:
    fake_harness.fake.errors["register_visit"] = (
        "invalid_params",
        "boresight_dec: below the horizon",
    )
    status, body = await post(http_session, f"{fake_frontend.base}/v1/visits", sample_visit())
    assert status == 400
    assert body == {
        "error": {"code": "invalid_request", "message": "boresight_dec: below the horizon"}
    }


async def test_malformed_register_answer_is_500(
    fake_frontend: Frontend, fake_harness: FakeHarness, http_session: aiohttp.ClientSession
) -> None:
    fake_harness.fake.results["register_visit"] = {"visit_id": 99}  # another visit's answer
    status, body = await post(http_session, f"{fake_frontend.base}/v1/visits", sample_visit())
    assert (status, body["error"]["code"]) == (500, "internal_error")
    # Counted like a malformed veto answer, so that one alert covers both.
    async with http_session.get(f"{fake_frontend.base}/metrics") as response:
        text = (await response.text()).splitlines()
    counter = 'satveto_engine_rpc_failures_total{kind="malformed",method="register_visit"} 1.0'
    assert counter in text


async def test_body_over_the_limit_is_413(
    fake_harness: FakeHarness, tls_files: tuple[Path, Path], http_session: aiohttp.ClientSession
) -> None:
    config = api_config(tls_files, fake_harness.socket_path, server={"max_body_bytes": 4096})
    front = await start_frontend(config)
    try:
        padded = json.dumps(sample_visit()).encode() + b" " * 5000
        for path in ("/v1/visits", "/v1/diasources"):
            status, body = await post(http_session, f"{front.base}{path}", padded)
            assert status == 413
            assert body["error"]["code"] == "body_too_large"
    finally:
        await front.stop()
