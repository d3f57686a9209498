"""Input decoding at the HTTP edge: the defects an external fuzzer found (issue 14), and the
strict decoding rules both protocols share (media type, UTF-8, duplicate keys, finite numbers,
sky corners beside pixel boxes).  Each defect test failed before its fix."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from fake_engine import (
    FakeHarness,
    Frontend,
    api_config,
    sample_sources,
    sample_visit,
    start_frontend,
)
from satveto.errors import ApiError
from satveto.runtime.config import LimitsConfig, ServerConfig
from satveto.web.app_keys import METRICS
from satveto.web.validation import decode_ap_diasource_request, decode_diasource_request

pytest_plugins = ["test_api_fixtures"]

JSON = {"Content-Type": "application/json"}
PATHS = ("/v1/visits", "/v1/diasources", "/visit_cache", "/diasource_allow_list")


async def send(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    method: str | None = None,
) -> tuple[int, Any]:
    if method is None:
        method = "POST" if "/v1/" in url else "PUT"
    async with session.request(method, url, data=body, headers=headers or JSON) as response:
        return response.status, json.loads(await response.read())


async def metric_text(front: Frontend, session: aiohttp.ClientSession) -> str:
    async with session.get(f"{front.base}/metrics") as response:
        return await response.text()


def five_hundreds(metrics: str) -> list[str]:
    return [line for line in metrics.splitlines() if 'status="5' in line]


def closed_by_client(front: Frontend) -> float:
    """Requests the frontend recorded as closed by their client (status 499)."""
    return sum(
        sample.value
        for metric in front.app[METRICS].registry.collect()
        for sample in metric.samples
        if sample.name == "satveto_http_requests_total" and sample.labels["status"] == "499"
    )


async def wait_until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


async def raw_exchange(front: Frontend, tls: ssl.SSLContext, data: bytes) -> bytes:
    """Sends raw bytes over TLS and returns everything the server answers until it closes."""
    port = int(front.base.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=tls, server_hostname="localhost"
    )
    writer.write(data)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(65536), 10)
    writer.close()
    return answer


# --- defects found by the fuzzer -----------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
async def test_deeply_nested_json_is_400(
    fake_frontend: Frontend, http_session: aiohttp.ClientSession, path: str
) -> None:
    """Was 500 (RecursionError in the decoder)."""
    for body in (b"[" * 1000 + b"]" * 1000, b'{"visit_id": ' + b"[" * 1000 + b"]" * 1000 + b"}"):
        status, answer = await send(http_session, fake_frontend.base + path, body)
        assert status == 400, answer
        assert answer["error"]["code"] == "invalid_request"
    assert five_hundreds(await metric_text(fake_frontend, http_session)) == []


async def test_undecodable_content_encoding_is_400_without_a_traceback(
    fake_frontend: Frontend,
    http_session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Was 500 with a logged traceback."""
    caplog.set_level(logging.INFO)
    for path in PATHS:
        headers = {**JSON, "Content-Encoding": "gzip"}
        status, answer = await send(
            http_session, fake_frontend.base + path, b"this is not gzip", headers
        )
        assert status == 400, answer
        assert answer["error"]["code"] == "invalid_body"
    assert five_hundreds(await metric_text(fake_frontend, http_session)) == []
    assert not [record for record in caplog.records if record.exc_info]


async def test_client_aborting_mid_body_is_a_quiet_close(
    fake_frontend: Frontend,
    http_session: aiohttp.ClientSession,
    client_tls: ssl.SSLContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Was a 500 counted in the metrics and a logged traceback."""
    caplog.set_level(logging.INFO)
    port = int(fake_frontend.base.rsplit(":", 1)[1])
    for path in PATHS:
        method = "POST" if "/v1/" in path else "PUT"
        _, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_tls, server_hostname="localhost"
        )
        writer.write(
            f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            'Content-Length: 100000\r\n\r\n{"visit_id": 1,'.encode()
        )
        await writer.drain()
        await asyncio.sleep(0.1)  # a client that hangs up after a while, mid-body
        writer.transport.abort()
    # Every aborted request has been handled to its end: counted as a 499.
    await wait_until(lambda: closed_by_client(fake_frontend) == len(PATHS))
    metrics = await metric_text(fake_frontend, http_session)
    assert five_hundreds(metrics) == []
    assert not [record for record in caplog.records if record.exc_info]


async def test_405_names_the_allowed_methods(
    fake_frontend: Frontend, http_session: aiohttp.ClientSession
) -> None:
    """Was a 405 without an ``Allow`` header."""
    for path, allowed in (("/visit_cache", "PUT"), ("/v1/visits", "POST"), ("/v1/health", "GET")):
        async with http_session.delete(fake_frontend.base + path) as response:
            assert response.status == 405
            assert set(response.headers["Allow"].split(",")) >= {allowed}
            answer = await response.json()
        assert answer["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /v1/health HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n",
        b"GET /v1/health HTTP/1.1\r\nHost: localhost\r\nX-Long: " + b"a" * 20000 + b"\r\n\r\n",
    ],
    ids=["request-line", "header-syntax", "header-too-long"],
)
async def test_protocol_level_errors_are_the_json_error_body(
    fake_frontend: Frontend, client_tls: ssl.SSLContext, request_bytes: bytes
) -> None:
    """Were plain text."""
    answer = await raw_exchange(fake_frontend, client_tls, request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith((b"HTTP/1.0 4", b"HTTP/1.1 4")), head
    assert b"content-type: application/json" in head.lower()
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message"}


def test_many_empty_objects_are_counted_before_they_are_materialised() -> None:
    """Was: a 32 MiB body of ``{}`` decoded to millions of dicts (903 MB RSS) before refusal."""
    body = b'{"visit_id": 1, "detector_id": 1, "diasources": [' + b"{}," * 2_000_000 + b"{}]}"
    for decode in (decode_diasource_request, decode_ap_diasource_request):
        tracemalloc.start()
        try:
            with pytest.raises(ApiError) as refused:
                decode(body, LimitsConfig(), time.time())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert refused.value.code == "too_many_sources"
        assert refused.value.message.startswith("diasources: ")
        assert peak < 1_000_000  # nothing the size of the body, let alone of its objects


LIMIT = 4096  # server.max_body_bytes of the body-limit tests


def padded(body: dict[str, Any], size: int) -> bytes:
    """`body` as JSON, padded with trailing spaces to exactly `size` bytes."""
    text = json.dumps(body).encode()
    assert len(text) <= size
    return text + b" " * (size - len(text))


async def in_chunks(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    """`data` as a body of unknown length: aiohttp sends it chunked, without Content-Length."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.fixture
async def small_limit_frontend(
    fake_harness: FakeHarness, tls_files: tuple[Path, Path]
) -> AsyncIterator[Frontend]:
    front = await start_frontend(
        api_config(tls_files, fake_harness.socket_path, server={"max_body_bytes": LIMIT})
    )
    await front.install_catalog(fake_harness)
    yield front
    await front.stop()


async def body_answers(
    front: Frontend, session: aiohttp.ClientSession, *, chunked: bool
) -> list[tuple[int, str | None]]:
    """(status, error code) for a visit and a DIASource request of exactly the limit and of
    one byte over it."""
    visit = sample_visit()
    requests = [
        ("/v1/visits", visit),
        (
            "/v1/diasources",
            {
                "visit_id": visit["visit_id"],
                "detector_id": 94,
                "diasources": sample_sources(3),
                "visit": visit,
            },
        ),
    ]
    answers = []
    for path, body in requests:
        for size in (LIMIT, LIMIT + 1):
            data = padded(body, size)
            async with session.post(
                front.base + path, data=in_chunks(data) if chunked else data, headers=JSON
            ) as response:
                assert ("Content-Length" in response.request_info.headers) is not chunked
                answer = json.loads(await response.read())
                answers.append((response.status, answer.get("error", {}).get("code")))
    return answers


async def test_the_declared_body_limit_is_inclusive(
    small_limit_frontend: Frontend, http_session: aiohttp.ClientSession
) -> None:
    """A declared length of exactly server.max_body_bytes is read; one byte more is refused."""
    answers = await body_answers(small_limit_frontend, http_session, chunked=False)
    assert answers == [(200, None), (413, "body_too_large")] * 2


async def test_a_chunked_body_over_the_limit_is_413(
    small_limit_frontend: Frontend, http_session: aiohttp.ClientSession
) -> None:
    """A body of undeclared length (chunked) is bounded by the same limit as it arrives."""
    answers = await body_answers(small_limit_frontend, http_session, chunked=True)
    assert answers == [(200, None), (413, "body_too_large")] * 2


def test_default_body_limit_fits_100000_sources_and_no_more_than_needed() -> None:
    """The default was 32 MiB; it is now what 100,000 sources need as AP's client writes them."""
    corner = [359.99999999999994, -89.99999999999999]
    largest = json.dumps(  # what `requests.put(json=...)` writes: ", " and ": " separators
        {
            "visit_id": (1 << 63) - 1,
            "detector_id": 188,
            "diasources": [{"diasource_id": (1 << 63) - 1, "bbox": [corner] * 4}]
            * LimitsConfig().max_sources,
            "historical": False,
        }
    ).encode()
    limit = ServerConfig().max_body_bytes
    assert len(largest) <= limit < 1.25 * len(largest)


# --- strict decoding -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
async def test_only_json_is_accepted(
    fake_frontend: Frontend, http_session: aiohttp.ClientSession, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    body = json.dumps(sample_visit()).encode()
    for path in PATHS:
        method = "POST" if "/v1/" in path else "PUT"
        async with http_session.request(
            method, fake_frontend.base + path, data=body, headers=headers
        ) as response:
            assert response.status == 415
            assert (await response.json())["error"]["code"] == "unsupported_media_type"


async def test_json_with_utf8_charset_is_accepted(
    fake_frontend: Frontend, http_session: aiohttp.ClientSession
) -> None:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    body = json.dumps(sample_visit()).encode()
    assert (await send(http_session, f"{fake_frontend.base}/v1/visits", body, headers))[0] == 200


def diasource_body(sources: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"visit_id": 2026112100123, "detector_id": 94, "diasources": sources, **extra}


STRICT = [
    (
        b'{"visit_id": 1, "visit_id": 2, "detector_id": 1, "diasources": []}',
        "visit_id: duplicate key",
    ),
    (
        b'{"visit_id": 1, "detector_id": 1, "diasources": [{"diasource_id": 1, "bbox": [0,0,1,1]},'
        b' {"diasource_id": 2, "bbox": [0,0,1,1], "bbox": [0,0,2,2]}]}',
        "diasources[1].bbox: duplicate key",
    ),
    (
        b'{"visit_id": 1, "detector_id": 1, "diasources": [], "visit": {"visit_id": 1,'
        b' "exposure_start_mjd": 61000, "exposure_end_mjd": 61000.0001, "boresight_ra": 1,'
        b' "boresight_dec": 2, "visit_id": 1}}',
        "visit.visit_id: duplicate key",
    ),
    (b'{"visit_id": 1, "detector_id": 1e400, "diasources": []}', "detector_id: "),
    (b'{"visit_id": 1, "detector_id": 1, "diasources": [], "wcs": {"crval": [NaN, 0]}}', "body: "),
    (
        b'{"visit_id": 1, "detector_id": 1, "diasources": [], "wcs": {"crval": [1, 2], '
        b'"crpix": [1e999, 1], "cd": [[1, 0], [0, 1]]}}',
        "wcs.crpix[0]: number out of range",
    ),
    (b'{"visit_id": 1, "detector_id": 1, "diasources": [], "x\xff": 1}', "body: not UTF-8"),
    (
        json.dumps(diasource_body([{"diasource_id": 1}])).encode(),
        "diasources[0]: give exactly one of bbox and sky_corners",
    ),
    (
        json.dumps(
            diasource_body([{"diasource_id": 1, "bbox": [0, 0, 1, 1], "sky_corners": [[1, 1]] * 4}])
        ).encode(),
        "diasources[0]: give exactly one of bbox and sky_corners",
    ),
    (
        json.dumps(diasource_body([{"diasource_id": 1, "sky_corners": [[360, 1]] * 4}])).encode(),
        "diasources[0].sky_corners[0][0]: expected a number < 360.0",
    ),
]


@pytest.mark.parametrize(("body", "message"), STRICT)
async def test_strict_decoding_names_the_field(
    fake_frontend: Frontend, http_session: aiohttp.ClientSession, body: bytes, message: str
) -> None:
    status, answer = await send(http_session, f"{fake_frontend.base}/v1/diasources", body)
    assert status == 400, answer
    assert answer["error"]["message"].startswith(message), answer


async def test_duplicate_keys_are_refused_in_ap_bodies_too(
    fake_frontend: Frontend, http_session: aiohttp.ClientSession
) -> None:
    body = (
        b'{"visit_id": 1, "exposure_start_mjd": 61000, "exposure_end_mjd": 61000.0001,'
        b' "boresight_ra": 1, "boresight_dec": 2, "historical": false, "historical": true}'
    )
    status, answer = await send(http_session, f"{fake_frontend.base}/visit_cache", body)
    assert (status, answer["error"]["message"]) == (400, "historical: duplicate key")


async def test_native_sources_may_mix_boxes_and_sky_corners(
    fake_frontend: Frontend, fake_harness: FakeHarness, http_session: aiohttp.ClientSession
) -> None:
    visit = sample_visit()
    assert (
        await send(http_session, f"{fake_frontend.base}/v1/visits", json.dumps(visit).encode())
    )[0] == 200
    sources: list[dict[str, Any]] = sample_sources(4)
    corners = [[150.2001, -30.1], [150.2004, -30.1], [150.2004, -30.0997], [150.2001, -30.0997]]
    sources[1] = {"diasource_id": 2, "sky_corners": corners}
    body = json.dumps(diasource_body(sources)).encode()
    status, answer = await send(http_session, f"{fake_frontend.base}/v1/diasources", body)
    assert status == 200, answer
    method, params = fake_harness.fake.calls[-1]
    assert method == "filter_sources"
    assert params["bboxes"] == [sources[0]["bbox"], None, sources[2]["bbox"], sources[3]["bbox"]]
    assert params["sky_corners"] == [None, corners, None, None]
    expected = [
        s["diasource_id"]
        for s in sources
        if ("bbox" in s and s["bbox"][0] % 2 == 0)
        or ("sky_corners" in s and int(s["sky_corners"][0][0] * 3600) % 2 == 0)
    ]
    assert answer["id_allow_list"] == expected


async def test_time_scale_and_historical_are_part_of_the_visit(
    fake_frontend: Frontend, fake_harness: FakeHarness, http_session: aiohttp.ClientSession
) -> None:
    url = f"{fake_frontend.base}/v1/visits"
    visit = sample_visit(visit_id=555)
    assert (await send(http_session, url, json.dumps({**visit, "time_scale": "tai"}).encode()))[
        0
    ] == 200
    assert (await send(http_session, url, json.dumps(visit).encode()))[0] == 200  # tai: default
    status, answer = await send(
        http_session, url, json.dumps({**visit, "time_scale": "utc"}).encode()
    )
    assert (status, answer["error"]["code"]) == (409, "visit_conflict")
    status, answer = await send(
        http_session, url, json.dumps({**visit, "time_scale": "tt"}).encode()
    )
    assert status == 400
    assert answer["error"]["message"].startswith("time_scale: ")
    historical = sample_visit(visit_id=556, exposure_start_mjd=60000.1, exposure_end_mjd=60000.1003)
    status, answer = await send(
        http_session, url, json.dumps({**historical, "historical": True}).encode()
    )
    # Reprocessing is off by default: refused before the engine is asked.
    assert (status, answer["error"]["code"]) == (400, "reprocessing_disabled")
    # The engine hears the historical flag only as the name of a catalog of the visit's epoch.
    registered = [
        params for method, params in fake_harness.fake.calls if method == "register_visit"
    ]
    assert registered
    assert all("historical" not in p for p in registered)
