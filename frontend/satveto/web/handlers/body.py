"""Reading a JSON request body: media type first, then the bytes (already bounded)."""

from __future__ import annotations

from aiohttp import web

from satveto.errors import ApiError


async def json_body(request: web.Request) -> bytes:
    """The raw body of a JSON request; 415 for any other media type.

    ``application/json`` only (a ``charset`` other than UTF-8 is refused too): both protocols'
    clients send exactly that, and a form or text body is a client mistake worth naming.
    The body guard (satveto.web.http_input) has already read and bounded the bytes.
    """
    charset = request.charset
    if request.content_type != "application/json" or (
        charset is not None and charset.lower().replace("-", "") != "utf8"
    ):
        raise ApiError(
            415,
            "unsupported_media_type",
            "Content-Type must be application/json (UTF-8).",
        )
    return await request.read()
