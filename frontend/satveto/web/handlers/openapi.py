"""`GET /v1/openapi.json`: the OpenAPI 3.1 description of the HTTP API, as shipped."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aiohttp import web

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.json"


@cache
def spec_bytes() -> bytes:
    """Read once: the file is part of the package and does not change while serving."""
    return SPEC_PATH.read_bytes()


async def get_openapi(request: web.Request) -> web.Response:
    return web.Response(body=spec_bytes(), content_type="application/json")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/openapi.json", get_openapi)
