"""Reading request bodies safely, and HTTP-level errors in the JSON error shape.

Defects an external fuzzer found (issue 14), fixed here:

* a body whose ``Content-Encoding`` cannot be decoded, or that ends early because the client
  hung up, surfaced as an exception from ``request.read()`` and became a 500 with a logged
  traceback.  The guard turns the first into a 400 ``invalid_body`` and the second into a quiet
  499-style close (logged as one line, counted under status 499, never a 5xx);
* a 405 lost aiohttp's ``Allow`` header on its way through the JSON error middleware;
* errors aiohttp produces before any handler runs (a malformed request line or header, a
  header too long) were plain text; they are now the JSON error body every client expects.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web, web_protocol
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler, Middleware

from satveto.errors import ApiError

log = logging.getLogger("satveto.http")

CLIENT_CLOSED = 499  # nginx's convention for "the client went away before the answer"


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    """The JSON error body every error answer has, never with an allow list."""
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status, headers=headers
    )


class ClientGone(Exception):
    """The client closed the connection before its body arrived: nobody to answer."""


def body_guard(max_bytes: int, timeout_s: float) -> Middleware:
    """Reads every request body before the handler, bounded in size and time.

    413 for a body declared too large (before reading it), 408 for one that does not arrive
    within `timeout_s` (an admitted client cannot hold a connection by trickling bytes), 400
    for one that cannot be decoded, and a quiet close when the client aborts mid-body.
    """

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method in ("POST", "PUT", "PATCH"):
            if request.content_length is not None and request.content_length > max_bytes:
                raise ApiError(
                    413, "body_too_large", f"The body exceeds the {max_bytes}-byte limit."
                )
            try:
                async with asyncio.timeout(timeout_s):
                    await request.read()  # kept by aiohttp: the handler's read() returns it
            except TimeoutError:
                raise ApiError(
                    408, "body_timeout", f"The request body did not arrive within {timeout_s:g} s."
                ) from None
            except web_protocol.RequestPayloadError as error:
                if request.transport is None or request.transport.is_closing():
                    raise ClientGone from None
                # The rest of the body is unreadable: mark it ended (aiohttp would otherwise
                # try to drain it after the answer and log the same error as unhandled) and
                # close the connection after the answer, so no leftover bytes are read as a
                # next request.
                request.content.feed_eof()
                response = error_response(
                    400, "invalid_body", f"The request body cannot be read ({error})."
                )
                response.force_close()
                return response
            except ConnectionError:
                raise ClientGone from None
        return await handler(request)

    return guard


def http_error_response(error: web.HTTPException) -> web.Response:
    """The JSON error for an aiohttp HTTP exception, keeping the headers that matter (Allow)."""
    codes = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}
    response = error_response(error.status, codes.get(error.status, "http_error"), error.reason)
    if "Allow" in error.headers:
        response.headers["Allow"] = error.headers["Allow"]
    return response


def client_gone_response() -> web.Response:
    """What the request-context middleware records for a client that hung up mid-body."""
    response = web.Response(status=CLIENT_CLOSED)
    response.force_close()
    return response


_PROTOCOL_CODES = {400: "bad_request", 413: "body_too_large", 431: "headers_too_large"}


def _json_handle_error(
    self: web_protocol.RequestHandler,
    request: Any,
    status: int = 500,
    exc: BaseException | None = None,
    message: str | None = None,
) -> web.StreamResponse:
    """aiohttp's protocol-level error answer, as the JSON error body and without a traceback.

    These errors come from bytes that are not HTTP (or too large to parse); one log line says
    so.  A 500 keeps aiohttp's traceback in the log: that one is a bug.
    """
    if status >= 500:
        return _ORIGINAL_HANDLE_ERROR(self, request, status, exc, message)
    log.warning(
        "malformed HTTP request",
        extra={"status": status, "problem": type(exc).__name__ if exc else None},
    )
    if request.writer.output_size > 0:
        raise ConnectionError("the response has begun; the connection is closed instead")
    reason = exc.message if isinstance(exc, HttpProcessingError) else None
    response = error_response(
        status,
        _PROTOCOL_CODES.get(status, "http_error"),
        f"The request is not valid HTTP ({reason or message or 'unreadable'}).",
    )
    response.force_close()
    return response


_ORIGINAL_HANDLE_ERROR = web_protocol.RequestHandler.handle_error


def install_json_protocol_errors() -> None:
    """Makes aiohttp answer its own protocol-level errors with the JSON error body.

    aiohttp builds those answers in ``RequestHandler.handle_error`` before any application
    code runs and offers no hook, so the method is replaced (once, process-wide: every server
    of this process is a satveto one or a test fake).
    """
    # mypy refuses assigning to a method; replacing it is the point (no hook, see above).
    web_protocol.RequestHandler.handle_error = _json_handle_error  # type: ignore[method-assign]
