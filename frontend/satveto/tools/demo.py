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
import math
import shutil
import ssl
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from satveto.astro import sky
from satveto.catalog.omm import OmmRecord, validate_catalog
from satveto.catalog.sources import DemoSource
from satveto.catalog.synthetic import build_demo_catalog
from satveto.engine.process import EngineProcess
from satveto.engine.rpc import EngineClient
from satveto.runtime.config import CatalogConfig, Config, EngineConfig, ServerConfig, SiteConfig
from satveto.services.catalog import CatalogService
from satveto.web.app import create_app, engine_settings
from satveto.web.tls import allowlist_listener, server_ssl_context, write_self_signed_certificate

PIXEL_SCALE_DEG = 0.2 / 3600.0  # LSSTCam: 0.2 arcsec per 10 um pixel
DETECTOR = 94  # an E2V science detector, 4096 x 4004 pixels
DETECTOR_PIXELS = (4096, 4004)


def tangent_pixel(ra: float, dec: float, ra0: float, dec0: float) -> tuple[float, float]:
    """0-based pixel of (ra, dec) under a TAN WCS centred on (ra0, dec0) at the detector's middle,
    north up and east left (degrees in, standard gnomonic projection)."""
    r, d, r0, d0 = map(math.radians, (ra, dec, ra0, dec0))
    cos_c = math.sin(d0) * math.sin(d) + math.cos(d0) * math.cos(d) * math.cos(r - r0)
    xi = math.degrees(math.cos(d) * math.sin(r - r0) / cos_c)
    eta = math.degrees(
        (math.cos(d0) * math.sin(d) - math.sin(d0) * math.cos(d) * math.cos(r - r0)) / cos_c
    )
    cx, cy = DETECTOR_PIXELS[0] / 2 - 0.5, DETECTOR_PIXELS[1] / 2 - 0.5
    return cx - xi / PIXEL_SCALE_DEG, cy + eta / PIXEL_SCALE_DEG


#: The demo site's latitude (Rubin's); its longitude is chosen where it is night (demo_site).
DEMO_LATITUDE_DEG = -30.244639
#: The sample satellite is taken this high at least (the service refuses below 15 degrees).
SAMPLE_MIN_ALTITUDE_DEG = 25.0


def demo_site(now_unix: float) -> SiteConfig:
    """Rubin's latitude at the longitude where it is the middle of the night now.

    The service refuses visits by day and below 15 degrees (docs/design.md "Security model"),
    strictly, in the demo too; so that `make run` works at any hour, the demo moves its site
    into the night instead of relaxing the checks.  At latitude -30 the Sun at lower
    culmination is at least 36 degrees below the horizon in every season.
    """
    return SiteConfig(
        latitude_deg=DEMO_LATITUDE_DEG,
        longitude_deg=round(sky.longitude_of_midnight_deg(now_unix), 4),
        height_m=2663.0,
    )


async def sample_requests(
    socket_path: Path, records: list[OmmRecord], now_unix: float, config: Config
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A visit pointed at a demo satellite's predicted position, and a DIASource request with
    sources on its track (to be vetoed) and sources elsewhere (to be allowed).

    Uses the engine's diagnostic `observe` on the local socket: the demo is an operator tool.
    MJDs are TAI, as AP sends them.
    """
    start = sky.unix_to_mjd(now_unix, "tai")
    mid = start + 15 / 86400
    site = config.site
    client = EngineClient(socket_path, timeout_s=30.0, connections=1)
    seen: dict[str, Any] | None = None
    try:
        # The frontend configures the engine too; doing it here first makes `observe` see the
        # demo site whatever the order of start-up.
        await client.call("configure", engine_settings(config))
        # A geostationary object well above the horizon: its 30 s track crosses a detector
        # slowly, and its corridor at ~37,000 km is about 60 pixels wide: the picture is clear.
        instants = [mid + k / 86400 for k in range(-15, 16, 3)]
        for record in records:
            if not record["OBJECT_NAME"].startswith("DEMO-GEO"):
                continue
            candidate = await client.call("observe", {"elements": record, "mjd": instants})
            if candidate["errors"][5] != 0:
                continue
            altitude = sky.boresight_altitude_deg(
                candidate["ra_deg"][5],
                candidate["dec_deg"][5],
                sky.mjd_to_unix(mid, "tai"),
                site.latitude_deg,
                site.longitude_deg,
            )
            if altitude >= SAMPLE_MIN_ALTITUDE_DEG:
                seen = candidate
                break
    finally:
        await client.close()
    if seen is None:
        raise RuntimeError("no demo GEO object is high enough above the demo site")
    ra0, dec0 = seen["ra_deg"][5], seen["dec_deg"][5]
    visit = {
        "visit_id": int(time.strftime("%Y%m%d", time.gmtime(now_unix))) * 100000 + 1,
        "exposure_start_mjd": start,
        "exposure_end_mjd": start + 30.0 / 86400.0,
        "boresight_ra": ra0,
        "boresight_dec": dec0,
        "rotation_deg": 0.0,
        "time_scale": "tai",
    }
    sources = []
    for ra, dec in zip(seen["ra_deg"], seen["dec_deg"], strict=True):
        x, y = tangent_pixel(ra, dec, ra0, dec0)
        if 10 <= x < DETECTOR_PIXELS[0] - 10 and 10 <= y < DETECTOR_PIXELS[1] - 10:
            sources.append([round(x) - 4, round(y) - 4, round(x) + 4, round(y) + 4])
    on_track = len(sources)
    # Off the track: 400 pixels (80 arcsec) to either side of it, well outside the corridor.
    for k, (ra, dec) in enumerate(zip(seen["ra_deg"][::2], seen["dec_deg"][::2], strict=True)):
        x, y = tangent_pixel(ra, dec, ra0, dec0)
        y += 400 if k % 2 else -400
        if 10 <= x < DETECTOR_PIXELS[0] - 10 and 10 <= y < DETECTOR_PIXELS[1] - 10:
            sources.append([round(x) - 6, round(y) - 6, round(x) + 6, round(y) + 6])
    diasources = {
        "visit_id": visit["visit_id"],
        "detector_id": DETECTOR,
        "diasources": [{"diasource_id": i + 1, "bbox": box} for i, box in enumerate(sources)],
        "wcs": {
            "crval": [ra0, dec0],
            "crpix": [DETECTOR_PIXELS[0] / 2 + 0.5, DETECTOR_PIXELS[1] / 2 + 0.5],
            "cd": [[-PIXEL_SCALE_DEG, 0.0], [0.0, PIXEL_SCALE_DEG]],
        },
    }
    print(
        f"\nsample: a visit pointed at a synthetic satellite; sources 1-{on_track} lie on its "
        f"predicted track, sources {on_track + 1}-{len(sources)} do not"
    )
    return visit, diasources


async def _show(session: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> None:
    async with session.request(method, url, json=body) as response:
        text = await response.text()
    try:
        shown = json.dumps(json.loads(text), indent=2)
    except ValueError:
        shown = text
    print(f"\n{method} {url} -> {response.status}\n{shown}", flush=True)


async def load_demo_catalog(socket_path: Path) -> list[OmmRecord]:
    """Builds the synthetic catalog in memory, installs it in the engine, and returns it."""
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
    return validated.records


async def run_demo(port: int = 8443, keep_serving: bool = True) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="satveto-demo-"))
    engine = EngineProcess(workdir / "engine.sock")
    runner: web.AppRunner | None = None
    try:
        cert_file, key_file, ca_file = write_self_signed_certificate(workdir)
        engine.start()
        await engine.wait_ready()
        records = await load_demo_catalog(engine.socket_path)
        site = demo_site(time.time())
        config = Config(
            server=ServerConfig(port=port, tls_cert=cert_file, tls_key=key_file),
            engine=EngineConfig(socket=workdir / "engine.sock"),
            catalog=CatalogConfig(source="demo"),
            site=site,
        )
        print(
            f"demo site: latitude {site.latitude_deg:g}, longitude {site.longitude_deg:g} "
            "(where it is night now; the service refuses daytime and low visits)"
        )
        # The refresher adopts the catalog pushed above and rebuilds it every hour.
        app = create_app(config, catalog_source=DemoSource())
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        listener = allowlist_listener("127.0.0.1", port, config.server.allow_networks)
        https = web.SockSite(runner, listener, ssl_context=server_ssl_context(cert_file, key_file))
        await https.start()
        base = f"https://localhost:{port}"
        print(f"satveto demo serving on {base} (engine socket in a private temporary directory)")

        client_tls = ssl.create_default_context(cafile=str(ca_file))
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_tls)) as session:
            await _show(session, "GET", f"{base}/v1")
            await _show(session, "GET", f"{base}/v1/ready")
            visit, diasources = await sample_requests(
                engine.socket_path, records, time.time(), config
            )
            await _show(session, "POST", f"{base}/v1/visits", visit)
            await _show(session, "POST", f"{base}/v1/diasources", diasources)

        if keep_serving:
            print(
                f"\nserving on {base} until Ctrl-C; try: curl --cacert {ca_file} {base}/v1/ready",
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
