"""`POST /v1/diasources`: the veto of one detector's sources for one visit."""

from __future__ import annotations

import time

import msgspec
from aiohttp import web

from satveto.web.app_keys import CONFIG, VETO
from satveto.web.handlers.body import json_body
from satveto.web.validation import decode_diasource_request, gc_paused

_ENCODER = msgspec.json.Encoder()


def json_answer(answer: dict[str, object]) -> web.Response:
    with gc_paused():
        body = _ENCODER.encode(answer)
    return web.Response(body=body, content_type="application/json")


async def post_diasources(request: web.Request) -> web.Response:
    """200 with the engine's allow list, in input order; any failure is an error without one."""
    body = await json_body(request)
    parsed = decode_diasource_request(body, request.app[CONFIG].limits, time.time())
    allowed = await request.app[VETO].filter_sources(parsed)
    return json_answer(
        {"visit_id": parsed.visit_id, "detector_id": parsed.detector_id, "id_allow_list": allowed}
    )


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/diasources", post_diasources)
