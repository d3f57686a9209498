"""`POST /v1/diasources`: the veto of one detector's sources for one visit."""

from __future__ import annotations

import json
import time

from aiohttp import web

from satveto.app_keys import CONFIG, VETO
from satveto.validation import gc_paused, parse_diasource_request, parse_json


async def post_diasources(request: web.Request) -> web.Response:
    """200 with the engine's allow list, in input order; any failure is an error without one."""
    body = await request.read()  # 413 beyond server.max_body_bytes (aiohttp's client_max_size)
    with gc_paused():
        parsed = parse_diasource_request(parse_json(body), request.app[CONFIG].limits, time.time())
    allowed = await request.app[VETO].filter_sources(parsed)
    with gc_paused():
        text = json.dumps(
            {
                "visit_id": parsed.visit_id,
                "detector_id": parsed.detector_id,
                "id_allow_list": allowed,
            },
            separators=(",", ":"),
        )
    return web.Response(text=text, content_type="application/json")


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/diasources", post_diasources)
