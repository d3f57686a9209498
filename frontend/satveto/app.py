"""Builds the aiohttp application: dependencies, middlewares, and routes."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from satveto.app_keys import CATALOG, CONFIG, ENGINE, METRICS, READINESS
from satveto.config import Config
from satveto.engine_client import EngineClient
from satveto.errors import ApiError, error_response
from satveto.handlers import ops
from satveto.metrics import Metrics
from satveto.services.catalog import CatalogService
from satveto.services.readiness import ReadinessService

log = logging.getLogger("satveto.http")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Gives each request an id, turns every failure into a JSON error, and logs one line."""
    request_id = uuid.uuid4().hex
    started = time.perf_counter()
    try:
        response = await handler(request)
    except ApiError as error:
        response = error_response(error.status, error.code, error.message)
    except web.HTTPException as error:
        response = error_response(error.status, _http_code(error.status), error.reason)
    except Exception:
        log.exception("unexpected error", extra={"request_id": request_id})
        response = error_response(500, "internal_error", "The service failed unexpectedly.")
    response.headers["X-Request-Id"] = request_id
    log.info(
        "request",
        extra={
            "request_id": request_id,
            "method": request.method,
            "path": request.path,
            "status": response.status,
            "duration_ms": round(1000 * (time.perf_counter() - started), 2),
            "peer": request.remote,
        },
    )
    return response


def _http_code(status: int) -> str:
    return {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
        status, "http_error"
    )


def create_app(config: Config, engine: EngineClient | None = None) -> web.Application:
    app = web.Application(
        middlewares=[request_context], client_max_size=config.server.max_body_bytes
    )
    engine = engine or EngineClient(
        config.engine.socket, config.engine.timeout_s, config.engine.connections
    )
    app[CONFIG] = config
    app[ENGINE] = engine
    app[READINESS] = ReadinessService(engine, config.catalog.max_age_s)
    app[METRICS] = Metrics()
    app[CATALOG] = CatalogService(engine, config.catalog.min_fraction)
    ops.add_routes(app)

    async def close_engine(app: web.Application) -> None:
        await app[ENGINE].close()

    app.on_cleanup.append(close_engine)
    return app
