"""Builds the aiohttp application: dependencies, middlewares, and routes."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from satveto.astro.earth_orientation import EarthOrientationData, load_earth_orientation
from satveto.catalog.sources import CatalogSource
from satveto.engine.rpc import EngineClient
from satveto.errors import DISCLOSURE_BUDGET_CODE, ApiError
from satveto.runtime.config import Config, check_test_switches
from satveto.runtime.metrics import CURRENT_CLIENT, Metrics
from satveto.services.camera_gate import CameraGate
from satveto.services.catalog import CatalogService
from satveto.services.fail_safe import UNEXPECTED
from satveto.services.history import HistoricalCatalogs, HistorySource
from satveto.services.peers import PeerForwarder
from satveto.services.readiness import ReadinessService
from satveto.services.refresh import CatalogRefresher
from satveto.services.supervision import EngineSupervisor
from satveto.services.visit_registry import VisitRegistry
from satveto.services.visits import VetoService
from satveto.web import security
from satveto.web.app_keys import (
    CATALOG,
    CONFIG,
    ENGINE,
    HISTORY,
    METRICS,
    PEERS,
    READINESS,
    REFRESHER,
    SUPERVISOR,
    VETO,
    VISITS,
)
from satveto.web.handlers import ap, diasources, metrics, openapi, ops, visits
from satveto.web.http_input import (
    ClientGone,
    body_guard,
    client_gone_response,
    error_response,
    http_error_response,
    install_json_protocol_errors,
)

log = logging.getLogger("satveto.http")


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Gives each request an id, turns every failure into a JSON error, and logs one line."""
    request_id = uuid.uuid4().hex
    started = time.perf_counter()
    metrics = request.app[METRICS]
    # Per-client counters in the services (docs/design.md "Security model"); labelled only once
    # admitted.
    CURRENT_CLIENT.set(str(security.client_address(request)))
    error_code = None
    try:
        response = await handler(request)
    except ApiError as error:
        error_code = error.code
        response = error_response(error.status, error.code, error.message, error.headers)
    except web.HTTPException as error:
        error_code = _http_code(error.status)
        response = http_error_response(error)
    except ClientGone:
        response = client_gone_response()
    except Exception:
        log.exception("unexpected error", extra={"request_id": request_id})
        # The fail-safe rule's last line: a bug is a 500 without a list.
        refusal = UNEXPECTED.error()
        response = error_response(refusal.status, refusal.code, refusal.message)
    elapsed = time.perf_counter() - started
    response.headers["X-Request-Id"] = request_id
    endpoint = _endpoint(request)
    if 400 <= response.status < 500 or error_code in _REFUSALS_5XX:
        # Admission refusals are responses, not raised errors: their code follows the status.
        reason = error_code or _ADMISSION_CODES.get(response.status, _http_code(response.status))
        # A stranger is not given a label of its own: it could fill the capped set.
        label = "not_allowlisted" if reason == "forbidden" else metrics.current_client()
        metrics.client_refusals.labels(label, reason).inc()
    request.app[METRICS].http_requests.labels(endpoint, str(response.status)).inc()
    request.app[METRICS].http_latency.labels(endpoint).observe(elapsed)
    # One line per request: never a body, a source position or anything from the catalog.
    log.info(
        "request",
        extra={
            "request_id": request_id,
            "method": request.method,
            "path": request.path,
            "endpoint": endpoint,
            "status": response.status,
            "duration_ms": round(1000 * elapsed, 2),
            "peer": request.remote,
        },
    )
    return response


def _endpoint(request: web.Request) -> str:
    """The route template, never the raw path: metric labels must stay a small fixed set."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


_ADMISSION_CODES = {401: "unauthorized", 403: "forbidden", 429: "rate_limited"}
#: 5xx answers that are refusals all the same, counted per client with the 4xx: a client that
#: meets a spent disclosure budget is the one an operator wants to see.
_REFUSALS_5XX = frozenset({DISCLOSURE_BUDGET_CODE})


def _http_code(status: int) -> str:
    return {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
        status, "http_error"
    )


def admission_middlewares(config: Config) -> list[Middleware]:
    """Allowlist, then secret (when configured), then rate limit: see satveto.web.security.

    Raises ConfigError when the secret file is unusable, so the service refuses to start.
    """
    middlewares = [security.allowlist_middleware(config.server.allow_networks)]
    if config.server.secret_file is not None:
        secret = security.read_secret_file(config.server.secret_file)
        middlewares.append(security.secret_middleware(secret))
    buckets = security.TokenBuckets(config.limits.rate_per_s, config.limits.burst)
    middlewares.append(security.rate_limit_middleware(buckets))
    return middlewares


def engine_settings(
    config: Config, earth_orientation: EarthOrientationData | None = None
) -> dict[str, Any]:
    """The `configure` RPC params: the matching tolerance, the site, the largest sky-corner
    footprint and the disclosure budget, from this config, and the IERS Earth-orientation table
    when one was loaded."""
    m, site = config.matching, config.site
    settings: dict[str, Any] = {
        "tolerance": {
            "min_arcsec": m.min_arcsec,
            "a_km": m.a_km,
            "b_km_per_day": m.b_km_per_day,
            "c_km": m.c_km,
            "d_km_per_day": m.d_km_per_day,
            "margin_arcsec": m.margin_arcsec,
        },
        "require_sunlit": m.require_sunlit,
        "site": {
            "latitude_deg": site.latitude_deg,
            "longitude_deg": site.longitude_deg,
            "height_m": site.height_m,
        },
        "max_footprint_deg": config.limits.max_footprint_deg,
        "max_revealed_per_hour": config.limits.max_revealed_per_hour,
    }
    if earth_orientation is not None and earth_orientation.table is not None:
        settings["earth_orientation"] = earth_orientation.table.to_params()
    return settings


def create_app(
    config: Config,
    engine: EngineClient | None = None,
    *,
    catalog_source: CatalogSource | None = None,
    earth_orientation: EarthOrientationData | None = None,
) -> web.Application:
    """The application; with `catalog_source` it also fetches and refreshes the catalog.

    `earth_orientation`: the IERS table; by default read from the astropy-iers-data package.
    """
    check_test_switches(config)  # also for a Config built in code, not only one loaded
    app = web.Application(
        middlewares=[
            request_context,
            *admission_middlewares(config),
            body_guard(config.server.max_body_bytes, config.server.body_timeout_s),
        ],
        client_max_size=config.server.max_body_bytes,
    )
    engine = engine or EngineClient(
        config.engine.socket, config.engine.timeout_s, config.engine.connections
    )
    app[CONFIG] = config
    app[ENGINE] = engine
    earth_orientation = earth_orientation or load_earth_orientation(time.time())
    app[METRICS] = Metrics()
    app[METRICS].earth_orientation_age.set_function(lambda: earth_orientation.age_s(time.time()))
    app[CATALOG] = CatalogService(engine, config.catalog.min_fraction)
    app[VISITS] = VisitRegistry()
    # The supervisor owns the engine's lifecycle (pings, restarts, reloads, the catalog gauges)
    # and feeds the freshness gate and readiness; the refresher only fetches and installs.
    app[SUPERVISOR] = EngineSupervisor(
        engine,
        app[CATALOG],
        app[VISITS],
        app[METRICS],
        config.catalog.max_age_s,
        request_wait_s=config.engine.timeout_s,
        engine_settings=engine_settings(config, earth_orientation),
    )
    app[READINESS] = ReadinessService(app[SUPERVISOR], earth_orientation)
    refresher = None
    if catalog_source is not None:
        refresher = CatalogRefresher(
            config, app[CATALOG], app[METRICS], app[SUPERVISOR].status, source=catalog_source
        )
        app[SUPERVISOR].on_catalog_lost = refresher.request_refresh
        app[REFRESHER] = refresher
    gate = CameraGate(config.limits, config.site)  # one camera for every client and path
    app[VETO] = VetoService(engine, app[VISITS], app[SUPERVISOR], app[METRICS], gate)
    # Reprocessing: historical catalogs from the source's history (space-track only).
    app[HISTORY] = HistoricalCatalogs(
        engine,
        app[METRICS],
        catalog_source if isinstance(catalog_source, HistorySource) else None,
        enabled=config.limits.allow_reprocessing,
        capacity=config.catalog.max_history_catalogs,
    )
    app[VETO].history = app[SUPERVISOR].history = app[HISTORY]
    secret = None
    if config.server.secret_file is not None:
        secret = security.read_secret_file(config.server.secret_file)
    app[PEERS] = PeerForwarder(
        config.server.peers, app[METRICS], ca_file=config.server.peer_ca_file, secret=secret
    )
    install_json_protocol_errors()
    for module in (ops, visits, diasources, ap, metrics, openapi):
        module.add_routes(app)

    async def start_supervision(app: web.Application) -> None:
        await app[SUPERVISOR].start()

    async def stop_supervision(app: web.Application) -> None:
        await app[SUPERVISOR].stop()

    async def close_engine(app: web.Application) -> None:
        await app[ENGINE].close()

    app.on_startup.append(start_supervision)
    if refresher is not None:

        async def start_refresh(app: web.Application) -> None:
            await app[REFRESHER].start()

        async def stop_refresh(app: web.Application) -> None:
            await app[REFRESHER].stop()  # before the engine client is closed

        app.on_startup.append(start_refresh)
        app.on_cleanup.append(stop_refresh)
    app.on_cleanup.append(stop_supervision)
    app.on_cleanup.append(close_engine)

    async def close_peers(app: web.Application) -> None:
        await app[PEERS].close()

    app.on_cleanup.append(close_peers)
    return app
