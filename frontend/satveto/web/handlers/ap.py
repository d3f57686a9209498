"""The AP protocol (docs/design.md, "AP protocol"): what lsst.ip.diffim sends to `SATTLE_URI_BASE`.

Two request and response shapes over the native API's code path: the same decoding rules,
visit registration and veto services, fail-safe answers, metrics and logs.  Only the shapes
differ: the AP visit has no rotation and is always TAI, its sources' ``bbox`` is four ICRS
sky corners, and the answer's key is ``allow_list``.
"""

from __future__ import annotations

import time

from aiohttp import web

from satveto.web.app_keys import CONFIG, VETO
from satveto.web.handlers.body import json_body
from satveto.web.handlers.diasources import json_answer
from satveto.web.handlers.visits import register_and_forward
from satveto.web.validation import decode_ap_diasource_request, decode_ap_visit


async def put_visit_cache(request: web.Request) -> web.Response:
    """200 on success (idempotent), 409 on conflicting parameters; AP reads only the status."""
    body = await json_body(request)
    visit = decode_ap_visit(body, request.app[CONFIG].limits, time.time())
    await register_and_forward(request, visit)
    return web.json_response({"visit_id": visit.visit_id, "status": "ok"})


async def put_diasource_allow_list(request: web.Request) -> web.Response:
    """200 ``{"visit_id", "detector_id", "allow_list"}``; 404 for an unknown visit."""
    body = await json_body(request)
    parsed = decode_ap_diasource_request(body, request.app[CONFIG].limits, time.time())
    allowed = await request.app[VETO].filter_sources(parsed)
    return json_answer(
        {"visit_id": parsed.visit_id, "detector_id": parsed.detector_id, "allow_list": allowed}
    )


def add_routes(app: web.Application) -> None:
    # Only PUT: `GET /visit_cache` (which the earlier service answered with every predicted
    # satellite position) is a 405 that reveals nothing.
    app.router.add_put("/visit_cache", put_visit_cache)
    app.router.add_put("/diasource_allow_list", put_diasource_allow_list)
