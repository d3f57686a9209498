"""Operations endpoints: liveness, readiness, and the discovery document."""

from __future__ import annotations

from aiohttp import web

from satveto import __version__
from satveto.web.app_keys import READINESS
from satveto.web.http_input import error_response

API_ENDPOINTS = {
    "visits": {"method": "POST", "path": "/v1/visits"},
    "diasources": {"method": "POST", "path": "/v1/diasources"},
    "health": {"method": "GET", "path": "/v1/health"},
    "ready": {"method": "GET", "path": "/v1/ready"},
    "metrics": {"method": "GET", "path": "/metrics"},
    "openapi": {"method": "GET", "path": "/v1/openapi.json"},
    "ap_visit_cache": {"method": "PUT", "path": "/visit_cache"},
    "ap_diasource_allow_list": {"method": "PUT", "path": "/diasource_allow_list"},
}


async def get_health(request: web.Request) -> web.Response:
    """The process is up and its event loop turns; says nothing about the engine."""
    return web.json_response({"status": "ok"})


async def get_ready(request: web.Request) -> web.Response:
    """200 only when the engine answers and its catalog is fresh: what load balancers ask."""
    readiness = await request.app[READINESS].check()
    if not readiness.ready:
        return error_response(503, "not_ready", readiness.reason)
    return web.json_response(
        {"status": "ready", "catalog_age_s": round(readiness.catalog_age_s or 0.0, 1)}
    )


async def get_discovery(request: web.Request) -> web.Response:
    """Service name, version, endpoints, and catalog freshness (never its contents)."""
    readiness = await request.app[READINESS].check()
    return web.json_response(
        {
            "service": "satveto",
            "version": __version__,
            "endpoints": API_ENDPOINTS,
            "catalog": {
                "ready": readiness.ready,
                "reason": readiness.reason,
                "age_s": None
                if readiness.catalog_age_s is None
                else round(readiness.catalog_age_s, 1),
            },
        }
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/health", get_health)
    app.router.add_get("/v1/ready", get_ready)
    app.router.add_get("/v1", get_discovery)
