"""Errors that handlers raise and the error middleware turns into JSON responses.

Every error body is ``{"error": {"code": "<snake_case>", "message": "<sentence>"}}`` and
never carries an allow list (docs/design.md, fail-safe rules).
"""

from __future__ import annotations

from aiohttp import web

#: The engine's refusal once the disclosure budget is spent, and the HTTP error's code.
DISCLOSURE_BUDGET_CODE = "disclosure_budget_exhausted"


class ApiError(Exception):
    """An HTTP error with a machine code, a human sentence and extra headers (Retry-After)."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status, headers=headers
    )
