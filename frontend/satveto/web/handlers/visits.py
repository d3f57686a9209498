"""`POST /v1/visits`: the visit request that pre-caches one exposure in the engine."""

from __future__ import annotations

import time

from aiohttp import web

from satveto.models import Visit
from satveto.services.peers import FORWARDED_HEADER
from satveto.web.app_keys import CONFIG, PEERS, VETO, VISITS
from satveto.web.handlers.body import json_body
from satveto.web.validation import decode_visit


async def register_and_forward(request: web.Request, visit: Visit) -> None:
    """Registers the visit and tells the peers, unless a peer sent it (no ping-pong).

    A repeat of a visit this replica already holds is what AP sends after another replica
    answered 404 (it lost the visit, e.g. it restarted): that forward is awaited (at most a
    second) so that AP's immediate retry finds the visit on the peer.  A new visit is
    forwarded in the background, never delaying the answer.
    """
    repeat = request.app[VISITS].get(visit.visit_id) == visit
    await request.app[VETO].register_visit(visit)
    if request.headers.get(FORWARDED_HEADER) is None:
        await request.app[PEERS].forward(visit, wait=repeat)


async def post_visit(request: web.Request) -> web.Response:
    """200 ``{"visit_id", "status": "ok"}``; the body says nothing about satellites."""
    body = await json_body(request)
    visit = decode_visit(body, request.app[CONFIG].limits, time.time())
    await register_and_forward(request, visit)
    return web.json_response({"visit_id": visit.visit_id, "status": "ok"})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/visits", post_visit)
