"""`POST /v1/visits`: the visit request that pre-caches one exposure in the engine."""

from __future__ import annotations

import time

from aiohttp import web

from satveto.app_keys import CONFIG, VETO
from satveto.validation import gc_paused, parse_json, parse_visit


async def post_visit(request: web.Request) -> web.Response:
    """200 ``{"visit_id", "status": "ok"}``; the body says nothing about satellites."""
    body = await request.read()  # 413 beyond server.max_body_bytes (aiohttp's client_max_size)
    with gc_paused():
        visit = parse_visit(parse_json(body), request.app[CONFIG].limits, time.time())
    await request.app[VETO].register_visit(visit)
    return web.json_response({"visit_id": visit.visit_id, "status": "ok"})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/visits", post_visit)
