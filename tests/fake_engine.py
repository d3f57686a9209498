"""A scriptable stand-in for satveto-engine, and the engine harnesses the API tests run against.

:class:`FakeEngine` is an asyncio msgpack-RPC server on a Unix socket speaking the protocol of
``protocol/README.md`` (``ping``, ``load_catalog``, ``register_visit``, ``filter_sources``,
``drop_visit``), with faults on demand: never answer, close the connection, answer an error,
answer a malformed result, restart with a new ``instance_id`` and no catalog.  Its veto rule is
deterministic and trivial: a source is vetoed when its ``x_min`` is odd.

The API tests take an :class:`EngineHarness`, so that the same test can run against the fake or
against the real engine binary (``SATVETO_API_ENGINES``, both by default).  Tests that need
fault injection take the fake directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import math
import os
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
from aiohttp import web

from satveto.astro import sky
from satveto.engine.process import EngineProcess
from satveto.runtime.config import Config, EngineConfig, LimitsConfig, ServerConfig, SiteConfig
from satveto.web.app import create_app
from satveto.web.app_keys import CATALOG
from satveto.web.tls import allowlist_listener, server_ssl_context
from support import stop_process

VISIT_KEYS = (
    "visit_id",
    "exposure_start_mjd",
    "exposure_end_mjd",
    "boresight_ra",
    "boresight_dec",
    "rotation_deg",
    "time_scale",
)
DETECTORS = range(189)  # LSSTCam science detectors


class RpcFault(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def fake_veto_allows(bbox: list[int]) -> bool:
    """The fake engine's rule: a source is allowed when its x_min is even."""
    return bbox[0] % 2 == 0


def fake_veto_allows_corners(corners: list[list[float]]) -> bool:
    """The rule for sky corners: allowed when the first corner's RA in whole arcseconds is even."""
    return int(corners[0][0] * 3600.0) % 2 == 0


class FakeEngine:
    """The engine's RPC on a Unix socket, in the test's own event loop.

    Faults are keyed by method name and last until cleared (``clear_faults``):
    ``hang`` (never answer), ``close`` (drop the connection on receipt), ``errors``
    (answer ``{"code", "message"}``), ``results`` (answer this result instead).
    """

    def __init__(self, socket_path: Path) -> None:
        self.socket_path = socket_path
        self.instance_id = uuid.uuid4().hex
        self.started_at = time.monotonic()
        self.catalog: dict[str, Any] | None = None
        self.visits: dict[int, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.hang: set[str] = set()
        self.close: set[str] = set()
        self.errors: dict[str, tuple[str, str]] = {}
        self.results: dict[str, Any] = {}
        self.configured: dict[str, Any] | None = None  # the last `configure` params
        self.revealed_last_hour = 0  # what `stats` reports of the disclosure budget
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._release = asyncio.Event()

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        self._release = asyncio.Event()
        self._server = await asyncio.start_unix_server(self._serve, path=str(self.socket_path))

    async def stop(self) -> None:
        """Like a killed engine: the socket goes away and every connection drops."""
        if self._server is not None:
            self._server.close()
            self._server = None
        self._release.set()
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        await asyncio.sleep(0)

    async def restart(self) -> None:
        """A new process: new instance_id, no catalog, no visits, connections dropped."""
        await self.stop()
        self.instance_id = uuid.uuid4().hex
        self.started_at = time.monotonic()
        self.catalog = None
        self.visits.clear()
        self.clear_faults()
        await self.start()

    def clear_faults(self) -> None:
        self.hang.clear()
        self.close.clear()
        self.errors.clear()
        self.results.clear()
        self._release.set()
        self._release = asyncio.Event()

    def set_catalog(self, fetched_at_unix: float, objects: int = 100, generation: str = "fake"):
        self.catalog = {
            "generation": generation,
            "objects": objects,
            "loaded_at_unix": time.time(),
            "oldest_epoch_mjd": 61000.0,
            "fetched_at_unix": fetched_at_unix,
        }

    def count(self, method: str) -> int:
        return sum(1 for name, _ in self.calls if name == method)

    # --- serving ---------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, max_buffer_size=1 << 31)
        try:
            while chunk := await reader.read(1 << 16):
                unpacker.feed(chunk)
                for message in unpacker:
                    if not await self._answer(message, writer):
                        return
        except (ConnectionError, msgpack.UnpackException, ValueError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _answer(self, message: Any, writer: asyncio.StreamWriter) -> bool:
        """Answers one request; False when the connection must be dropped."""
        _, msgid, method, params = message
        self.calls.append((method, params))
        if method in self.close:
            return False
        if method in self.hang:
            await self._release.wait()  # released only by clear_faults/stop: never, in effect
            return False
        error: dict[str, str] | None = None
        result: Any = None
        if method in self.errors:
            code, text = self.errors[method]
            error = {"code": code, "message": text}
        elif method in self.results:
            result = self.results[method]
        else:
            try:
                result = self._dispatch(method, params)
            except RpcFault as fault:
                error = {"code": fault.code, "message": fault.message}
        writer.write(msgpack.packb([1, msgid, error, result], use_bin_type=True))
        await writer.drain()
        return True

    def _dispatch(self, method: str, params: dict[str, Any]) -> Any:
        handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "ping": self._ping,
            "load_catalog": self._load_catalog,
            "register_visit": self._register_visit,
            "filter_sources": self._filter_sources,
            "drop_visit": self._drop_visit,
            "configure": self._configure,
            "stats": self._stats,
        }
        if method not in handlers:
            raise RpcFault("unknown_method", f"no method {method}")
        return handlers[method](params)

    def _ping(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "version": "fake",
            "instance_id": self.instance_id,
            "uptime_s": time.monotonic() - self.started_at,
            "catalog": self.catalog,
        }

    def _load_catalog(self, params: dict[str, Any]) -> dict[str, Any]:
        objects = params["objects"]
        if not objects:
            raise RpcFault("invalid_params", "objects: no object accepted")
        self.set_catalog(params["fetched_at_unix"], len(objects), params["generation"])
        return {"accepted": len(objects), "rejected": []}

    def _checked_visit(self, visit: Any, prefix: str) -> dict[str, Any]:
        if not isinstance(visit, dict):
            raise RpcFault("invalid_params", f"{prefix}: expected a map")
        for key in VISIT_KEYS[:5]:
            if key not in visit:
                raise RpcFault("invalid_params", f"{prefix}{key}: missing")
        unknown = set(visit) - set(VISIT_KEYS)
        if unknown:
            raise RpcFault("invalid_params", f"{prefix}{sorted(unknown)[0]}: unknown")
        return {key: visit.get(key) for key in VISIT_KEYS}

    def _register(self, visit: dict[str, Any]) -> None:
        if self.catalog is None:
            raise RpcFault("no_catalog", "no catalog is loaded")
        known = self.visits.get(visit["visit_id"])
        if known is not None and known != visit:
            raise RpcFault("visit_conflict", "visit_id: registered with other parameters")
        self.visits[visit["visit_id"]] = visit

    def _register_visit(self, params: dict[str, Any]) -> dict[str, Any]:
        visit = self._checked_visit(params, "")
        self._register(visit)
        return {"visit_id": visit["visit_id"], "elapsed_ms": 0.1}

    def _filter_sources(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.catalog is None:
            raise RpcFault("no_catalog", "no catalog is loaded")
        if params.get("detector_id") not in DETECTORS:
            raise RpcFault(
                "invalid_params", f"detector_id: unknown detector {params['detector_id']}"
            )
        ids = params["ids"]
        bboxes = params.get("bboxes") or [None] * len(ids)
        corners = params.get("sky_corners") or [None] * len(ids)
        if len(ids) != len(bboxes):
            raise RpcFault("invalid_params", "bboxes: not as many as ids")
        if len(ids) != len(corners):
            raise RpcFault("invalid_params", "sky_corners: not as many as ids")
        if any(
            (box is None) == (corner is None) for box, corner in zip(bboxes, corners, strict=True)
        ):
            raise RpcFault("invalid_params", "sky_corners: not exactly one footprint per source")
        if params.get("visit") is not None:
            self._register(self._checked_visit(params["visit"], "visit."))
        elif params["visit_id"] not in self.visits:
            raise RpcFault("unknown_visit", "visit_id: unknown visit")
        allowed = [
            i
            for i, box, corner in zip(ids, bboxes, corners, strict=True)
            if (fake_veto_allows(box) if box is not None else fake_veto_allows_corners(corner))
        ]
        return {"allowed": allowed}

    def _drop_visit(self, params: dict[str, Any]) -> dict[str, Any]:
        self.visits.pop(params["visit_id"], None)
        return {}

    def _configure(self, params: dict[str, Any]) -> dict[str, Any]:
        self.configured = params
        return {}

    def _stats(self, params: dict[str, Any]) -> dict[str, Any]:
        """Only the disclosure budget's figures (settable as ``revealed_last_hour``)."""
        limit = (self.configured or {}).get("max_revealed_per_hour", 300)
        return {
            "disclosure": {
                "revealed_last_hour": self.revealed_last_hour,
                "max_revealed_per_hour": limit,
                "refusals": 0,
            }
        }


# --- harnesses: one interface over the fake and the real engine ------------------------------


class EngineHarness:
    """What a fail-safe test does to an engine, whichever engine it is."""

    name = "abstract"
    socket_path: Path

    async def kill(self) -> None:
        raise NotImplementedError

    async def restart(self) -> None:
        raise NotImplementedError

    async def hang(self) -> None:
        """Every method stops answering (the process is alive but stuck)."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    def catalog_records(self) -> list[dict[str, Any]]:
        """Records the engine accepts in load_catalog."""
        raise NotImplementedError

    def expected_allowed(self, ids: list[int], bboxes: list[list[int]]) -> list[int] | None:
        """The exact allow list when the engine's rule is known, else None."""
        return None


class FakeHarness(EngineHarness):
    name = "fake"

    def __init__(self, socket_path: Path) -> None:
        self.socket_path = socket_path
        self.fake = FakeEngine(socket_path)

    async def start(self) -> None:
        await self.fake.start()

    async def kill(self) -> None:
        await self.fake.stop()

    async def restart(self) -> None:
        await self.fake.restart()

    async def hang(self) -> None:
        self.fake.hang.update({"ping", "register_visit", "filter_sources", "load_catalog"})

    async def close(self) -> None:
        await self.fake.stop()

    def catalog_records(self) -> list[dict[str, Any]]:
        return [{"NORAD_CAT_ID": n} for n in range(1, 51)]

    def expected_allowed(self, ids: list[int], bboxes: list[list[int]]) -> list[int]:
        return [i for i, box in zip(ids, bboxes, strict=True) if fake_veto_allows(box)]


class RealHarness(EngineHarness):
    """The satveto-engine binary; hung with SIGSTOP, killed with SIGKILL."""

    name = "real"

    def __init__(self, socket_path: Path) -> None:
        self.socket_path = socket_path
        self.process = EngineProcess(socket_path)
        self._stopped = False

    async def start(self) -> None:
        self.process.start()
        await self.process.wait_ready()

    def _pid(self) -> int:
        assert self.process.process is not None
        return self.process.process.pid

    async def kill(self) -> None:
        os.kill(self._pid(), signal.SIGKILL)
        self.process.process.wait()  # type: ignore[union-attr]

    async def restart(self) -> None:
        self.process.stop()
        await self.start()

    async def hang(self) -> None:
        stop_process(self._pid())
        self._stopped = True

    async def close(self) -> None:
        if self._stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid(), signal.SIGCONT)
        self.process.stop()

    def catalog_records(self) -> list[dict[str, Any]]:
        from satveto.catalog.synthetic import build_demo_catalog

        return build_demo_catalog(dt.datetime.now(dt.UTC), count=200)


def engines_under_test() -> list[str]:
    """``SATVETO_API_ENGINES`` (comma-separated: fake, real); both by default."""
    return [name.strip() for name in os.environ.get("SATVETO_API_ENGINES", "fake,real").split(",")]


async def start_harness(name: str, socket_path: Path) -> EngineHarness:
    harness: FakeHarness | RealHarness
    harness = FakeHarness(socket_path) if name == "fake" else RealHarness(socket_path)
    await harness.start()
    return harness


# --- frontends ----------------------------------------------------------------------------------

MJD_UNIX_EPOCH = 40587.0


#: Latitude of the test site; its longitude is wherever it is night when the test runs.
NIGHT_SITE_LATITUDE_DEG = -30.2


#: The process's test site, fixed at its first use: every frontend and reference engine of a
#: test run must see the same site (allow lists depend on it).  At latitude -30 the Sun stays
#: below -30 deg for hours either side of midnight, longer than any test run.
_SESSION_SITE: dict[str, float] = {}


def night_site(now_unix: float | None = None) -> dict[str, float]:
    """A ``site`` section where it is the middle of the night (now, or at ``now_unix``), so
    that strict defaults admit a visit at any hour of the day the tests run."""
    if now_unix is None:
        if not _SESSION_SITE:
            _SESSION_SITE.update(night_site(time.time()))
        return dict(_SESSION_SITE)
    now = now_unix
    return {
        "latitude_deg": NIGHT_SITE_LATITUDE_DEG,
        "longitude_deg": sky.longitude_of_midnight_deg(now),
        "height_m": 2663.0,
    }


def night_zenith(unix: float) -> tuple[float, float]:
    """(RA, Dec) near the zenith of :func:`night_site` at ``unix``: the anti-Sun's meridian."""
    sun_ra, _ = sky.sun_radec_rad(unix)
    return (math.degrees(float(sun_ra)) + 180.0) % 360.0, NIGHT_SITE_LATITUDE_DEG


#: The test-only relaxations of the one-camera gate (docs/design.md "Security model"), for
#: tests that register many overlapping or arbitrary visits on purpose; allowed only with a test
#: source.
RELAXED_LIMITS = {
    "enforce_one_camera": False,
    "enforce_visible_sky": False,
    # Many fast arbitrary visits reveal far more than one telescope's hour: the budget is lifted
    # to its largest value (allowed with any source: an operator may raise it too).
    "max_revealed_per_hour": 1_000_000,
}
TEST_CATALOG = {"source": "demo"}


def sample_visit(
    visit_id: int = 2026112100123, *, ago_s: float = 60.0, **changes: Any
) -> dict[str, Any]:
    """A valid 30 s visit that started ``ago_s`` seconds ago (a minute by default), pointed at
    the zenith of the night site; the MJDs are TAI, as docs/design.md's API."""
    start_unix = time.time() - ago_s
    start = sky.unix_to_mjd(start_unix, "tai")
    ra, dec = night_zenith(start_unix + 15.0)
    visit = {
        "visit_id": visit_id,
        "exposure_start_mjd": start,
        "exposure_end_mjd": start + 30.0 / 86400.0,
        "boresight_ra": round(ra, 6),
        "boresight_dec": dec,
        "rotation_deg": 12.5,
        "time_scale": "tai",
    }
    visit.update(changes)
    return visit


def sample_sources(count: int, first_id: int = 1) -> list[dict[str, Any]]:
    """Sources spread over a detector; every third has an odd x_min (vetoed by the fake)."""
    return [
        {
            "diasource_id": first_id + i,
            "bbox": [(7 * i) % 4000 + (i % 3 == 0), (13 * i) % 3900, (7 * i) % 4000 + 12, 3990],
        }
        for i in range(count)
    ]


def api_config(
    tls_files: tuple[Path, Path], socket_path: Path, **sections: dict[str, Any]
) -> Config:
    """A test configuration: short engine timeout; sections override keys by name."""
    cert, key = tls_files
    server = ServerConfig(tls_cert=cert, tls_key=key)
    engine = EngineConfig(socket=socket_path, timeout_s=0.5, connections=4)
    limits = LimitsConfig()
    site = SiteConfig(**night_site())
    config = Config(server=server, engine=engine, limits=limits, site=site)
    replaced = {
        name: dataclasses.replace(getattr(config, name), **values)
        for name, values in sections.items()
    }
    return dataclasses.replace(config, **replaced)


@dataclass
class Frontend:
    app: web.Application
    runner: web.AppRunner
    base: str

    async def install_catalog(
        self, harness: EngineHarness, fetched_at_unix: float | None = None
    ) -> None:
        fetched = time.time() if fetched_at_unix is None else fetched_at_unix
        await self.app[CATALOG].install(harness.catalog_records(), fetched, source="test")

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_frontend(
    config: Config, host: str = "127.0.0.1", *, refuse_at_accept: bool = True
) -> Frontend:
    """The app served over TLS; ``refuse_at_accept=False`` leaves strangers to the HTTP
    allowlist middleware (its 403), which `satveto serve` only reaches past the listener."""
    app = create_app(config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    ssl_context = server_ssl_context(config.server.tls_cert, config.server.tls_key)
    networks = config.server.allow_networks if refuse_at_accept else ["0.0.0.0/0", "::/0"]
    listener = allowlist_listener(host, 0, networks)  # as `satveto serve`
    site = web.SockSite(runner, listener, ssl_context=ssl_context)
    await site.start()
    port = runner.addresses[0][1]
    name = "localhost" if host in ("127.0.0.1", "::1") else host
    return Frontend(app, runner, f"https://{name}:{port}")
