"""catalog.max_age_s: an old catalog turns /v1/ready into 503 (the gauge: test_supervision.py)."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from fake_spacetrack import Rig, gp_catalog
from satveto.catalog.sources import FileSource
from satveto.catalog.synthetic import build_demo_catalog
from satveto.engine.rpc import EngineClient
from satveto.runtime.config import CatalogConfig, Config, EngineConfig, ServerConfig
from satveto.services.catalog import CatalogService
from satveto.web.app import create_app
from satveto.web.tls import server_ssl_context

MAX_AGE = 3600.0


async def get_ready(
    tls_files: tuple[Path, Path], engine_socket: Path, session: aiohttp.ClientSession
) -> tuple[int, dict]:
    cert, key = tls_files
    config = Config(
        server=ServerConfig(tls_cert=cert, tls_key=key),
        engine=EngineConfig(socket=engine_socket, timeout_s=2.0),
        # A source that cannot deliver: if the application runs a refresher, it leaves the
        # catalog under test alone (the fetch fails and backs off for minutes).
        catalog=CatalogConfig(source="file", file=cert.parent / "absent.json", max_age_s=MAX_AGE),
    )
    runner = web.AppRunner(create_app(config), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ssl_context(cert, key))
    await site.start()
    try:
        port = runner.addresses[0][1]
        async with session.get(f"https://localhost:{port}/v1/ready") as response:
            return response.status, await response.json()
    finally:
        await runner.cleanup()


async def test_ready_is_503_once_the_catalog_is_older_than_max_age(
    tls_files: tuple[Path, Path], engine_socket: Path, http_session: aiohttp.ClientSession
) -> None:
    records = build_demo_catalog(dt.datetime.now(dt.UTC), count=200)
    engine = EngineClient(engine_socket, timeout_s=5.0)
    catalog = CatalogService(engine, 0.8)
    try:
        await catalog.install(records, time.time() - MAX_AGE - 120.0, "spacetrack")
        status, body = await get_ready(tls_files, engine_socket, http_session)
        assert status == 503
        assert body["error"]["code"] == "not_ready"
        assert body["error"]["message"].startswith("catalog is ")
        assert f"(limit {MAX_AGE:.0f} s)" in body["error"]["message"]
        # A fresh fetch makes it ready again.
        await catalog.install(records, time.time(), "spacetrack")
        status, body = await get_ready(tls_files, engine_socket, http_session)
        assert status == 200
        assert body["status"] == "ready"
    finally:
        await engine.close()


async def test_a_file_nobody_updates_ages_like_a_catalog_nobody_fetched(
    engine_socket: Path, tmp_path: Path
) -> None:
    path = tmp_path / "gp.json"
    path.write_text(json.dumps(gp_catalog(dt.datetime.now(dt.UTC), 100)))
    old = time.time() - MAX_AGE - 60.0
    os.utime(path, (old, old))
    rig = Rig(engine_socket, FileSource(path), max_age_s=MAX_AGE)
    try:
        assert await rig.refresher.refresh_once() == "ok"
        held = await rig.ping_catalog()
        assert held is not None
        assert held["fetched_at_unix"] == pytest.approx(old)
        assert not (await rig.readiness.check()).ready
    finally:
        await rig.close()
