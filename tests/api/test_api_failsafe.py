"""Every row of docs/design.md's fail-safe table, over real TLS: errors, never an allow list.

The rows that a real engine can produce (killed, hung, no catalog, old catalog, restarted) run
against the ``engine`` harness; the engine's error codes and malformed answers need the fake.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from fake_engine import (
    EngineHarness,
    FakeHarness,
    Frontend,
    api_config,
    sample_sources,
    sample_visit,
    start_frontend,
)
from satveto.web.app_keys import SUPERVISOR

pytest_plugins = ["test_api_fixtures"]  # the engine and frontend fixtures

JSON = {"Content-Type": "application/json"}  # the only media type the API accepts


async def post(session: aiohttp.ClientSession, url: str, body: Any) -> tuple[int, Any]:
    async with session.post(url, data=json.dumps(body), headers=JSON) as response:
        return response.status, await response.json()


async def veto(front: Frontend, session: aiohttp.ClientSession, **extra: Any) -> tuple[int, Any]:
    body = {"visit_id": 2026112100123, "detector_id": 94, "diasources": sample_sources(50)}
    return await post(session, f"{front.base}/v1/diasources", {**body, **extra})


def assert_refused(status: int, body: Any, expected_status: int, code: str) -> None:
    assert status == expected_status, body
    assert body == {"error": {"code": code, "message": body["error"]["message"]}}
    assert "id_allow_list" not in body


async def registered(front: Frontend, session: aiohttp.ClientSession) -> dict[str, Any]:
    visit = sample_visit()
    status, body = await post(session, f"{front.base}/v1/visits", visit)
    assert status == 200, body
    return visit


async def test_engine_killed(
    frontend: Frontend, engine: EngineHarness, http_session: aiohttp.ClientSession
) -> None:
    visit = await registered(frontend, http_session)
    assert (await veto(frontend, http_session))[0] == 200
    await engine.kill()
    assert_refused(*await veto(frontend, http_session), 503, "engine_unavailable")
    assert_refused(*await veto(frontend, http_session, visit=visit), 503, "engine_unavailable")
    status, body = await post(http_session, f"{frontend.base}/v1/visits", visit)
    assert_refused(status, body, 503, "engine_unavailable")


async def test_engine_hung_past_the_timeout(
    frontend: Frontend, engine: EngineHarness, http_session: aiohttp.ClientSession
) -> None:
    await registered(frontend, http_session)
    await engine.hang()
    started = time.monotonic()
    assert_refused(*await veto(frontend, http_session), 503, "engine_unavailable")
    assert time.monotonic() - started < 3.0  # engine.timeout_s is 0.5 s in these tests


async def test_engine_hangs_on_the_veto_only(
    fake_frontend: Frontend, fake_harness: FakeHarness, http_session: aiohttp.ClientSession
) -> None:
    """Pings answer (the freshness gate passes) but filter_sources never does."""
    await registered(fake_frontend, http_session)
    fake_harness.fake.hang.add("filter_sources")
    assert_refused(*await veto(fake_frontend, http_session), 503, "engine_unavailable")
    fake_harness.fake.clear_faults()
    assert (await veto(fake_frontend, http_session))[0] == 200  # the pool recovered


async def test_engine_drops_the_connection(
    fake_frontend: Frontend, fake_harness: FakeHarness, http_session: aiohttp.ClientSession
) -> None:
    await registered(fake_frontend, http_session)
    fake_harness.fake.close.add("filter_sources")
    assert_refused(*await veto(fake_frontend, http_session), 503, "engine_unavailable")


async def test_no_catalog(
    engine: EngineHarness, tls_files: tuple[Path, Path], http_session: aiohttp.ClientSession
) -> None:
    front = await start_frontend(api_config(tls_files, engine.socket_path))
    try:
        status, body = await post(http_session, f"{front.base}/v1/visits", sample_visit())
        assert_refused(status, body, 503, "no_catalog")
        assert_refused(*await veto(front, http_session, visit=sample_visit()), 503, "no_catalog")
    finally:
        await front.stop()


async def test_a_catalog_installed_a_moment_ago_is_seen_at_once(
    engine: EngineHarness, tls_files: tuple[Path, Path], http_session: aiohttp.ClientSession
) -> None:
    """A refusal is decided on a ping sent after the cached one that looked bad: a catalog
    installed since is used at once, not after the cached ping expires (2 s)."""
    front = await start_frontend(api_config(tls_files, engine.socket_path))
    supervisor = front.app[SUPERVISOR]
    try:
        await supervisor.stop()  # only requests ping now: nothing refreshes the cache meanwhile
        assert (await supervisor.poll()).catalog is None  # the cached ping: no catalog
        await front.install_catalog(engine)
        status, body = await post(http_session, f"{front.base}/v1/visits", sample_visit())
        assert status == 200, body
    finally:
        await front.stop()


async def test_catalog_older_than_max_age(
    engine: EngineHarness, tls_files: tuple[Path, Path], http_session: aiohttp.ClientSession
) -> None:
    config = api_config(tls_files, engine.socket_path, catalog={"max_age_s": 3600.0})
    front = await start_frontend(config)
    try:
        await front.install_catalog(engine, fetched_at_unix=time.time() - 3700.0)
        status, body = await post(http_session, f"{front.base}/v1/visits", sample_visit())
        assert_refused(status, body, 503, "catalog_too_old")
        assert_refused(
            *await veto(front, http_session, visit=sample_visit()), 503, "catalog_too_old"
        )
    finally:
        await front.stop()


async def test_catalog_turning_old_between_requests_is_refused_at_once(
    engine: EngineHarness, tls_files: tuple[Path, Path], http_session: aiohttp.ClientSession
) -> None:
    """The cached ping is not a licence: the age is recomputed at every request."""
    config = api_config(tls_files, engine.socket_path, catalog={"max_age_s": 3600.0})
    front = await start_frontend(config)
    try:
        await front.install_catalog(engine, fetched_at_unix=time.time() - 3600.0 + 0.6)
        await registered(front, http_session)
        assert (await veto(front, http_session))[0] == 200
        await asyncio.sleep(0.7)
        assert_refused(*await veto(front, http_session), 503, "catalog_too_old")
    finally:
        await front.stop()


async def test_engine_restarted_between_visit_and_diasources(
    frontend: Frontend, engine: EngineHarness, http_session: aiohttp.ClientSession
) -> None:
    """The restarted engine has no catalog and no visit; the frontend restores both, and the
    answer is exactly the one the engine gave before it restarted."""
    await registered(frontend, http_session)
    status, before = await veto(frontend, http_session)
    assert status == 200, before
    await engine.restart()
    status, body = await veto(frontend, http_session)  # at once, before the next supervisor ping
    assert status == 200, body
    assert body == before
    text = (await (await http_session.get(f"{frontend.base}/metrics")).text()).splitlines()
    assert "satveto_engine_restarts_detected_total 1.0" in text


async def test_supervisor_restores_a_restarted_engine_by_itself(
    fake_frontend: Frontend, fake_harness: FakeHarness, http_session: aiohttp.ClientSession
) -> None:
    visit = await registered(fake_frontend, http_session)
    await fake_harness.restart()
    fake = fake_harness.fake
    for _ in range(60):
        if fake.catalog is not None and visit["visit_id"] in fake.visits:
            break
        await asyncio.sleep(0.05)
    assert fake.catalog is not None
    assert fake.catalog["generation"].startswith("test-")
    assert fake.visits[visit["visit_id"]] == visit


async def test_engine_hanging_in_the_reload_after_a_restart_is_503(
    fake_frontend: Frontend, fake_harness: FakeHarness, http_session: aiohttp.ClientSession
) -> None:
    """The reload goes on in the background; requests do not wait for it past the timeout."""
    await registered(fake_frontend, http_session)
    await fake_harness.restart()
    fake_harness.fake.hang.add("load_catalog")
    started = time.monotonic()
    status, body = await veto(fake_frontend, http_session)
    assert status == 503, body
    assert "id_allow_list" not in body
    assert time.monotonic() - started < 3.0  # engine.timeout_s is 0.5 s in these tests


async def test_restarted_engine_without_a_catalog_in_memory_is_503(
    fake_harness: FakeHarness, tls_files: tuple[Path, Path], http_session: aiohttp.ClientSession
) -> None:
    """A catalog loaded behind the frontend's back cannot be restored after a restart."""
    front = await start_frontend(api_config(tls_files, fake_harness.socket_path))
    try:
        fake_harness.fake.set_catalog(time.time())
        visit = await registered(front, http_session)
        await fake_harness.restart()
        assert_refused(*await veto(front, http_session), 503, "no_catalog")
        assert_refused(*await veto(front, http_session, visit=visit), 503, "no_catalog")
    finally:
        await front.stop()


ENGINE_ERRORS = [
    ("invalid_params", 400, "invalid_request"),
    ("unknown_visit", 404, "unknown_visit"),
    ("visit_conflict", 409, "visit_conflict"),
    ("no_catalog", 503, "no_catalog"),
    ("internal", 500, "internal_error"),
    ("resource_exhausted", 500, "internal_error"),
    ("unknown_method", 500, "internal_error"),
]


@pytest.mark.parametrize(("engine_code", "status", "code"), ENGINE_ERRORS)
async def test_engine_error_codes_map_to_http(
    fake_frontend: Frontend,
    fake_harness: FakeHarness,
    http_session: aiohttp.ClientSession,
    engine_code: str,
    status: int,
    code: str,
) -> None:
    await registered(fake_frontend, http_session)
    fake_harness.fake.errors["filter_sources"] = (engine_code, "ids: something")
    assert_refused(*await veto(fake_frontend, http_session), status, code)
    retried = engine_code in ("unknown_visit", "no_catalog")
    assert fake_harness.fake.count("filter_sources") == (2 if retried else 1)


def _malformed_answers() -> list[Any]:
    ids = [source["diasource_id"] for source in sample_sources(50)]
    return [
        None,
        [],
        {"allowed": None},
        {"allowed": "1,2"},
        {"vetoed": ids},
        {"allowed": [*ids, 10_000]},  # an id not asked about
        {"allowed": [ids[1], ids[0]]},  # reordered
        {"allowed": [ids[0], ids[0]]},  # repeated
        {"allowed": [True]},  # 1 == True in Python, not on the wire
        {"allowed": [float(ids[0])]},
    ]


@pytest.mark.parametrize("answer", _malformed_answers())
async def test_malformed_engine_answer_is_500(
    fake_frontend: Frontend,
    fake_harness: FakeHarness,
    http_session: aiohttp.ClientSession,
    answer: Any,
) -> None:
    await registered(fake_frontend, http_session)
    fake_harness.fake.results["filter_sources"] = answer
    assert_refused(*await veto(fake_frontend, http_session), 500, "internal_error")
