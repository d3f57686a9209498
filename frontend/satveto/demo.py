"""`make run`: the whole service on localhost, a sample visit, then serving until Ctrl-C.

Everything it creates lives in a private temporary directory removed at exit: the engine's
socket and a self-signed certificate.  The demo catalog is built in memory and pushed to the
engine; it never touches the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import shutil
import ssl
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from satveto.app import create_app
from satveto.catalog.demo import build_demo_catalog
from satveto.catalog.omm import validate_catalog
from satveto.catalog.sources import DemoSource
from satveto.config import CatalogConfig, Config, EngineConfig, ServerConfig
from satveto.engine_client import EngineClient
from satveto.engine_process import EngineProcess
from satveto.services.catalog import CatalogService
from satveto.tls import server_ssl_context, write_self_signed_certificate

MJD_UNIX_EPOCH = 40587.0  # MJD of 1970-01-01T00:00:00 UTC


def sample_visit(now_unix: float) -> dict[str, Any]:
    """A 30 s exposure starting now, pointed well above the horizon of Rubin."""
    start_mjd = MJD_UNIX_EPOCH + now_unix / 86400.0
    return {
        "visit_id": int(time.strftime("%Y%m%d", time.gmtime(now_unix))) * 100000 + 1,
        "exposure_start_mjd": start_mjd,
        "exposure_end_mjd": start_mjd + 30.0 / 86400.0,
        "boresight_ra": 150.1,
        "boresight_dec": -30.2,
        "rotation_deg": 12.5,
    }


def sample_diasources(visit_id: int) -> dict[str, Any]:
    sources = [
        {"diasource_id": i + 1, "bbox": [100 + 97 * i, 200 + 89 * i, 112 + 97 * i, 213 + 89 * i]}
        for i in range(40)
    ]
    return {"visit_id": visit_id, "detector_id": 94, "diasources": sources}


async def _show(session: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> None:
    async with session.request(method, url, json=body) as response:
        text = await response.text()
    try:
        shown = json.dumps(json.loads(text), indent=2)
    except ValueError:
        shown = text
    print(f"\n{method} {url} -> {response.status}\n{shown}", flush=True)


async def load_demo_catalog(socket_path: Path) -> None:
    """Builds the synthetic catalog in memory and installs it in the engine."""
    now = time.time()
    records = build_demo_catalog(dt.datetime.fromtimestamp(now, dt.UTC))
    validated = validate_catalog(records, now=dt.datetime.fromtimestamp(now, dt.UTC))
    client = EngineClient(socket_path, timeout_s=60.0, connections=1)
    try:
        report = await CatalogService(client, min_fraction=0.0).install(
            validated.records, now, source="demo"
        )
    finally:
        await client.close()
    print(f"demo catalog: {report.accepted} synthetic objects in the engine ({report.generation})")


async def run_demo(port: int = 8443, keep_serving: bool = True) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="satveto-demo-"))
    engine = EngineProcess(workdir / "engine.sock")
    runner: web.AppRunner | None = None
    try:
        cert_file, key_file = write_self_signed_certificate(workdir)
        engine.start()
        await engine.wait_ready()
        await load_demo_catalog(engine.socket_path)
        config = Config(
            server=ServerConfig(port=port, tls_cert=cert_file, tls_key=key_file),
            engine=EngineConfig(socket=workdir / "engine.sock"),
            catalog=CatalogConfig(source="demo"),
        )
        # The refresher adopts the catalog pushed above and rebuilds it every hour.
        app = create_app(config, catalog_source=DemoSource())
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(
            runner, "127.0.0.1", port, ssl_context=server_ssl_context(cert_file, key_file)
        )
        await site.start()
        base = f"https://localhost:{port}"
        print(f"satveto demo serving on {base} (engine socket in a private temporary directory)")

        client_tls = ssl.create_default_context(cafile=str(cert_file))
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_tls)) as session:
            visit = sample_visit(time.time())
            await _show(session, "GET", f"{base}/v1")
            await _show(session, "GET", f"{base}/v1/ready")
            await _show(session, "POST", f"{base}/v1/visits", visit)
            await _show(
                session, "POST", f"{base}/v1/diasources", sample_diasources(visit["visit_id"])
            )

        if keep_serving:
            print(
                f"\nserving on {base} until Ctrl-C; try: curl --cacert {cert_file} {base}/v1/ready",
                flush=True,
            )
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.Event().wait()
        return 0
    finally:
        if runner is not None:
            await runner.cleanup()
        engine.stop()
        shutil.rmtree(workdir, ignore_errors=True)
