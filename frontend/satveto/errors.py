"""The error services and handlers raise for an HTTP client, free of HTTP types.

The application's error middleware (satveto.web.app) turns it into the JSON error body
(satveto.web.http_input.error_response): ``{"error": {"code": "<snake_case>", "message":
"<sentence>"}}``, which never carries an allow list (docs/design.md, fail-safe rule).
"""

from __future__ import annotations


class ApiError(Exception):
    """An HTTP error with a machine code and a human sentence."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
