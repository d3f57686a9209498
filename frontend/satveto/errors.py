"""Errors that handlers raise and the error middleware turns into JSON responses.

Every error body is ``{"error": {"code": "<snake_case>", "message": "<sentence>"}}`` and
never carries an allow list (docs/design.md, fail-safe rules).
"""

from __future__ import annotations

from aiohttp import web


class ApiError(Exception):
    """An HTTP error with a machine code and a human sentence."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)
