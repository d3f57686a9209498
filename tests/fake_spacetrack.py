"""A fake space-track.org: aiohttp over TLS on 127.0.0.1, with the faults the real one has.

It checks the login form, issues a session cookie, refuses the GP query without that cookie,
and serves GP JSON the way space-track does: every value a string (or null), many more keys
than the twelve the engine needs.  Set ``fault`` to make the next answers misbehave; requests
are counted by path (``requests``) and time-stamped (``log``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import math
import secrets
import ssl
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from satveto.catalog.omm import OmmRecord
from satveto.catalog.sources import CatalogSource, SpacetrackSource
from satveto.catalog.synthetic import build_demo_catalog
from satveto.engine.process import EngineProcess
from satveto.engine.rpc import EngineClient, EngineError
from satveto.runtime.config import CatalogConfig, Config, EngineConfig
from satveto.runtime.metrics import Metrics
from satveto.services.catalog import CatalogService
from satveto.services.readiness import ReadinessService
from satveto.services.refresh import CatalogRefresher, RefreshPolicy
from satveto.services.supervision import EngineSupervisor
from satveto.services.visit_registry import VisitRegistry
from satveto.spacetrack import RequestBudget, SpacetrackClient
from satveto.spacetrack.credentials import Credentials
from tle_writer import render_all

LOGIN = "/ajaxauth/login"
LOGOUT = "/ajaxauth/logout"
GP_QUERY = (
    "/basicspacedata/query/class/gp/decay_date/null-val/epoch/%3Enow-30"
    "/orderby/norad_cat_id/format/json"
)
COOKIE = "chocolatechip"
FILESHARE_LIST = (
    "/fileshare/query/class/file/predicates/file_id,file_name,file_uploaded/folder_id/59"
    "/orderby/file_uploaded%20desc/format/json/emptyresult/show"
)
DOWNLOAD_PREFIX = "/fileshare/query/class/download/file_id/"
GP_HISTORY_PREFIX = "/basicspacedata/query/class/gp_history/epoch/"

#: Faults the server can be told to show; all but the login ones apply to the GP query.
FAULTS = (
    "401",  # the query is refused as unauthenticated
    "429",
    "500",
    "html",  # 200 with an HTML error page
    "truncated",  # 200 with the JSON cut in the middle
    "slow",  # headers at once, the body slower than any sane client timeout
    "empty",  # 200 []
    "bad_records",  # some records with wrong types and out-of-range values
    "all_bad",  # every record unusable
    "duplicates",  # every record twice
    "small",  # a tenth of the catalog
    "login_500",  # the login itself fails
)

#: Faults of the fileshare (CUI) part, set with ``cui_fault``; the GP part answers normally.
CUI_FAULTS = (
    "403",  # an account without CUI access: listing and download refused
    "empty_folder",  # the listing is an empty list
    "cut",  # the file is cut in the middle of a line
    "content_type",  # the download is served as text/html
    "slow",  # the download body is slower than any sane client timeout
    "history_500",  # gp_history answers 500
)


@dataclass
class CuiFile:
    """One file of fileshare folder 59: its id, upload time and element-set text."""

    file_id: int
    uploaded: dt.datetime
    text: str


IDENTITY = "fake-identity-Q7x@example.org"
PASSWORD = "fake-password-Zr9!kP2#wV"


def gp_strings(record: OmmRecord, index: int) -> dict[str, Any]:
    """One validated-form record rendered the way space-track's GP JSON looks."""
    n = record["MEAN_MOTION"]
    e = record["ECCENTRICITY"]
    a = (398600.8 / (n * 2 * math.pi / 86400.0) ** 2) ** (1 / 3)
    return {
        "CCSDS_OMM_VERS": "3.0",
        "COMMENT": "GENERATED VIA SPACE-TRACK.ORG API",
        "CREATION_DATE": record["EPOCH"][:19],
        "ORIGINATOR": "18 SPCS",
        "OBJECT_NAME": record["OBJECT_NAME"],
        "OBJECT_ID": f"2026-{index % 999 + 1:03d}A",
        "CENTER_NAME": "EARTH",
        "REF_FRAME": "TEME",
        "TIME_SYSTEM": "UTC",
        "MEAN_ELEMENT_THEORY": "SGP4",
        "EPOCH": record["EPOCH"],
        "MEAN_MOTION": f"{n:.8f}",
        "ECCENTRICITY": f"{e:.7f}",
        "INCLINATION": f"{record['INCLINATION']:.4f}",
        "RA_OF_ASC_NODE": f"{record['RA_OF_ASC_NODE']:.4f}",
        "ARG_OF_PERICENTER": f"{record['ARG_OF_PERICENTER']:.4f}",
        "MEAN_ANOMALY": f"{record['MEAN_ANOMALY']:.4f}",
        "EPHEMERIS_TYPE": "0",
        "CLASSIFICATION_TYPE": "U",
        "NORAD_CAT_ID": str(record["NORAD_CAT_ID"]),
        "ELEMENT_SET_NO": "999",
        "REV_AT_EPOCH": str(index % 99999),
        "BSTAR": f"{record['BSTAR']:.10f}",
        "MEAN_MOTION_DOT": f"{record['MEAN_MOTION_DOT']:.8f}",
        "MEAN_MOTION_DDOT": f"{record['MEAN_MOTION_DDOT']:.13f}",
        "SEMIMAJOR_AXIS": f"{a:.3f}",
        "PERIOD": f"{1440.0 / n:.3f}",
        "APOAPSIS": f"{a * (1 + e) - 6378.135:.3f}",
        "PERIAPSIS": f"{a * (1 - e) - 6378.135:.3f}",
        "OBJECT_TYPE": "PAYLOAD",
        "RCS_SIZE": "MEDIUM",
        "COUNTRY_CODE": "TBD",
        "LAUNCH_DATE": "2026-01-01",
        "SITE": "AFETR",
        "DECAY_DATE": None,
        "FILE": "4800000",
        "GP_ID": str(280000000 + index),
        "TLE_LINE0": f"0 {record['OBJECT_NAME']}",
        "TLE_LINE1": "1 00000U 26001A   26001.00000000  .00000000  00000-0  00000-0 0  9990",
        "TLE_LINE2": "2 00000   0.0000   0.0000 0000000   0.0000   0.0000  1.00000000    09",
    }


def default_cui_file(records: list[dict[str, Any]], copies: int = 5) -> CuiFile:
    """File 9, uploaded ten days ago: the first `copies` GP objects, epochs three days older."""
    older = []
    for record in records[:copies]:
        epoch = dt.datetime.fromisoformat(record["EPOCH"]) - dt.timedelta(days=3)
        older.append({**record, "EPOCH": epoch.isoformat(timespec="microseconds")})
    uploaded = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    return CuiFile(9, uploaded, render_all(older))


def gp_catalog(now: dt.datetime, count: int) -> list[dict[str, Any]]:
    return [gp_strings(r, i) for i, r in enumerate(build_demo_catalog(now, count=count))]


def _corrupt(records: list[dict[str, Any]], every: int) -> list[dict[str, Any]]:
    """Every `every`-th record gets a wrong type or an out-of-range value, alternately."""
    out = [dict(r) for r in records]
    for i in range(0, len(out), every):
        if (i // every) % 2 == 0:
            out[i]["MEAN_MOTION"] = "fast"  # wrong type
        else:
            out[i]["ECCENTRICITY"] = "1.5"  # out of range (hyperbolic)
    return out


class FakeSpaceTrack:
    def __init__(
        self,
        cert_file: Path,
        key_file: Path,
        records: list[dict[str, Any]],
        *,
        identity: str = IDENTITY,
        password: str = PASSWORD,
        slow_s: float = 5.0,
    ) -> None:
        self._ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ssl.load_cert_chain(cert_file, key_file)
        self.records = records
        self.identity = identity
        self.password = password
        self.slow_s = slow_s
        self.fault: str | None = None
        self.cui_fault: str | None = None
        # By default folder 59 holds one old file: copies of a few GP objects with epochs
        # farther from now, so a CUI-enabled refresh merges to exactly the GP catalog.
        self.cui_files: list[CuiFile] = [default_cui_file(records)]
        # gp_history: records in the GP JSON shape with any epochs; served filtered by epoch.
        self.history: list[dict[str, Any]] = []
        self.history_windows: list[tuple[str, str]] = []  # (start, end) of each query
        self.requests: Counter[str] = Counter()
        self.log: list[tuple[float, str]] = []  # (monotonic time, path)
        self.bad_forms = 0
        self._sessions: set[str] = set()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    @property
    def queries(self) -> int:
        return self.requests[GP_QUERY]

    @property
    def logins(self) -> int:
        return self.requests[LOGIN]

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post(LOGIN, self._login)
        app.router.add_get(LOGOUT, self._logout)
        app.router.add_get("/basicspacedata/query/{tail:.*}", self._query)
        app.router.add_get("/fileshare/query/class/file/{tail:.*}", self._listing)
        app.router.add_get("/fileshare/query/class/download/file_id/{file_id}", self._download)

        @web.middleware
        async def count(request: web.Request, handler: Any) -> web.StreamResponse:
            # raw_path keeps %3E encoded, so the exact documented path is what is counted.
            self.requests[request.raw_path] += 1
            self.log.append((time.monotonic(), request.raw_path))
            return await handler(request)

        app.middlewares.append(count)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._ssl)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"https://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _login(self, request: web.Request) -> web.Response:
        if self.fault == "login_500":
            return web.Response(status=500, text="Internal Server Error")
        if request.content_type != "application/x-www-form-urlencoded":
            self.bad_forms += 1
            return web.json_response({"Login": "Failed"})
        form = await request.post()
        if set(form) != {"identity", "password"}:
            self.bad_forms += 1
        if form.get("identity") != self.identity or form.get("password") != self.password:
            return web.json_response({"Login": "Failed"})  # what space-track answers: 200
        token = secrets.token_hex(16)
        self._sessions.add(token)
        response = web.Response(text="")
        response.set_cookie(COOKIE, token, secure=True, httponly=True)
        return response

    async def _logout(self, request: web.Request) -> web.Response:
        self._sessions.discard(request.cookies.get(COOKIE, ""))
        return web.json_response("Successfully logged out")

    @property
    def fileshare_requests(self) -> int:
        return sum(n for path, n in self.requests.items() if path.startswith("/fileshare/"))

    @property
    def downloads(self) -> int:
        return sum(n for path, n in self.requests.items() if path.startswith(DOWNLOAD_PREFIX))

    def _logged_in(self, request: web.Request) -> bool:
        return request.cookies.get(COOKIE) in self._sessions

    async def _listing(self, request: web.Request) -> web.Response:
        if request.raw_path != FILESHARE_LIST:
            return web.json_response({"error": "unexpected query"}, status=400)
        if not self._logged_in(request):
            return web.json_response({"error": "You must be logged in"}, status=401)
        if self.cui_fault == "403":
            return web.json_response({"error": "no access to this folder"}, status=403)
        files = [] if self.cui_fault == "empty_folder" else self.cui_files
        rows = [
            {
                "FILE_ID": str(f.file_id),
                "FILE_NAME": f"satf_{f.file_id}.txt",
                "FILE_UPLOADED": f.uploaded.strftime("%Y-%m-%d %H:%M:%S"),
            }
            for f in sorted(files, key=lambda f: f.uploaded, reverse=True)
        ]
        return web.json_response(rows)

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if not self._logged_in(request):
            return web.json_response({"error": "You must be logged in"}, status=401)
        if self.cui_fault == "403":
            return web.json_response({"error": "no access to this file"}, status=403)
        wanted = request.match_info["file_id"]
        found = next((f for f in self.cui_files if str(f.file_id) == wanted), None)
        if found is None:
            return web.json_response({"error": "no such file"}, status=404)
        body = found.text.encode()
        if self.cui_fault == "cut":
            lines = found.text.splitlines(keepends=True)
            cut = sum(len(line) for line in lines[: len(lines) // 2]) + 30  # inside a line
            return web.Response(body=body[:cut], content_type="text/plain")
        if self.cui_fault == "content_type":
            return web.Response(
                body=b"<html><body>Maintenance</body></html>", content_type="text/html"
            )
        if self.cui_fault == "slow":
            response = web.StreamResponse(headers={"Content-Type": "text/plain"})
            await response.prepare(request)
            await response.write(body[:100])
            await asyncio.sleep(self.slow_s)
            await response.write(body[100:])
            await response.write_eof()
            return response
        return web.Response(body=body, content_type="text/plain")

    async def _history(self, request: web.Request) -> web.Response:
        # .../epoch/%3E{start},%3C{end}/orderby/norad_cat_id/format/json
        tail = request.raw_path[len(GP_HISTORY_PREFIX) :]
        bounds, _, rest = tail.partition("/")
        if rest != "orderby/norad_cat_id/format/json" or not bounds.startswith("%3E"):
            return web.json_response({"error": "unexpected query"}, status=400)
        start, _, end = bounds[3:].partition(",%3C")
        try:
            lo, hi = dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)
        except ValueError:
            return web.json_response({"error": "bad epoch predicate"}, status=400)
        self.history_windows.append((start, end))
        if self.cui_fault == "history_500":
            return web.Response(status=500, text="Internal error")
        lo_s, hi_s = lo.isoformat(), hi.isoformat()
        rows = [r for r in self.history if lo_s < r["EPOCH"][:19] < hi_s]
        return web.json_response(sorted(rows, key=lambda r: int(r["NORAD_CAT_ID"])))

    async def _query(self, request: web.Request) -> web.StreamResponse:
        if request.raw_path.startswith(GP_HISTORY_PREFIX):
            if not self._logged_in(request):
                return web.json_response({"error": "You must be logged in"}, status=401)
            return await self._history(request)
        if request.raw_path != GP_QUERY:
            return web.json_response({"error": "unexpected query"}, status=400)
        if request.cookies.get(COOKIE) not in self._sessions or self.fault == "401":
            return web.json_response({"error": "You must be logged in"}, status=401)
        fault = self.fault
        if fault == "429":
            return web.Response(status=429, text="Too Many Requests", headers={"Retry-After": "2"})
        if fault == "500":
            return web.Response(status=500, text="<html><body>Internal error</body></html>")
        if fault == "html":
            return web.Response(
                text="<!DOCTYPE html><html><body>Scheduled maintenance</body></html>",
                content_type="text/html",
            )
        records = self.records
        if fault == "empty":
            records = []
        elif fault == "bad_records":
            records = _corrupt(records, every=10)
        elif fault == "all_bad":
            records = _corrupt(records, every=1)
        elif fault == "duplicates":
            records = [r for r in records for _ in (0, 1)]
        elif fault == "small":
            records = records[: len(records) // 10]
        body = json.dumps(records).encode()
        if fault == "truncated":
            return web.Response(body=body[: len(body) // 2], content_type="application/json")
        if fault == "slow":
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            await response.prepare(request)
            await response.write(body[:100])
            await asyncio.sleep(self.slow_s)
            await response.write(body[100:])
            await response.write_eof()
            return response
        return web.Response(body=body, content_type="application/json")


@contextlib.asynccontextmanager
async def running_fake(
    tls_files: tuple[Path, Path], count: int = 200, **kwargs: Any
) -> AsyncIterator[FakeSpaceTrack]:
    """A started fake with `count` GP records dated around now; stopped afterwards."""
    cert, key = tls_files
    fake = FakeSpaceTrack(cert, key, gp_catalog(dt.datetime.now(dt.UTC), count), **kwargs)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def write_ca_file(tls_ca: Any, directory: Path) -> Path:
    """The test CA as a PEM file: what spacetrack.ca_file points at for the fake."""
    path = directory / "spacetrack-ca.pem"
    tls_ca.cert_pem.write_to_path(str(path))
    return path


def source_for(
    fake: FakeSpaceTrack,
    ca_file: Path,
    *,
    timeout_s: float = 2.0,
    budget: RequestBudget | None = None,
    include_cui: bool = False,
) -> SpacetrackSource:
    """A spacetrack source pointed at the fake, with the fake's credentials (and, with
    `include_cui`, the CUI element file from its fileshare)."""
    client = SpacetrackClient(
        fake.base_url,
        Credentials(fake.identity, fake.password),
        ca_file=ca_file,
        timeout_s=timeout_s,
        budget=budget,
    )
    return SpacetrackSource(client, include_cui=include_cui)


class Rig:
    """A refresher and the engine's supervisor wired like the application wires them, against
    a real engine socket.  Neither runs until started: the supervisor pings when asked
    (``supervisor.poll()``, or ``start()`` for its loop every ``supervise_s``)."""

    def __init__(
        self,
        engine_socket: Path,
        source: CatalogSource,
        *,
        policy: RefreshPolicy | None = None,
        max_age_s: float = 172800.0,
        min_fraction: float = 0.8,
        interval_s: float = 3600.0,
        supervise_s: float = 1.0,
    ) -> None:
        self.config = Config(
            engine=EngineConfig(socket=engine_socket, timeout_s=5.0),
            catalog=CatalogConfig(
                source=source.name,
                file=Path("unused.json") if source.name == "file" else None,
                max_age_s=max_age_s,
                refresh_interval_s=interval_s,
                min_fraction=min_fraction,
            ),
        )
        self.engine = EngineClient(engine_socket, timeout_s=5.0)
        self.metrics = Metrics()
        self.catalog = CatalogService(self.engine, min_fraction)
        self.supervisor = EngineSupervisor(
            self.engine,
            self.catalog,
            VisitRegistry(),
            self.metrics,
            max_age_s,
            interval_s=supervise_s,
        )
        self.readiness = ReadinessService(self.supervisor)
        self.refresher = CatalogRefresher(
            self.config,
            self.catalog,
            self.metrics,
            self.supervisor.status,
            source=source,
            policy=policy,
        )
        self.supervisor.on_catalog_lost = self.refresher.request_refresh

    async def start(self) -> None:
        """Supervisor first, then the refresher: the application's start-up order."""
        await self.supervisor.start()
        await self.refresher.start()

    def metric(self, name: str, **labels: str) -> float:
        value = self.metrics.registry.get_sample_value(name, labels)
        return 0.0 if value is None else value

    def refreshes(self, outcome: str) -> float:
        return self.metric("satveto_catalog_refreshes_total", outcome=outcome)

    async def ping_catalog(self) -> dict[str, Any] | None:
        return (await self.engine.call("ping"))["catalog"]

    async def held_catalog(self) -> dict[str, Any] | None:
        """The engine's catalog summary across a restart: pooled sockets to a dead engine fail
        once each."""
        for _ in range(8):
            try:
                return await self.ping_catalog()
            except EngineError:
                continue
        raise AssertionError("the engine does not answer")

    async def close(self) -> None:
        await self.refresher.stop()
        await self.supervisor.stop()
        await self.engine.close()


async def kill_and_restart(engine: EngineProcess) -> None:
    """SIGKILL the engine (its catalog is gone with it) and start a fresh one on its socket."""
    assert engine.process is not None
    engine.process.kill()
    engine.process.wait()
    engine.start()
    await engine.wait_ready()


async def wait_for(predicate: Any, timeout_s: float = 5.0, step_s: float = 0.01) -> None:
    """Polls `predicate()` until it is true; fails the test after `timeout_s`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(step_s)
