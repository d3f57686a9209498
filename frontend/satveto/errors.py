"""The error services and handlers raise for an HTTP client, free of HTTP types.

The application's error middleware (satveto.web.app) turns it into the JSON error body
(satveto.web.http_input.error_response): ``{"error": {"code": "<snake_case>", "message":
"<sentence>"}}``, which never carries an allow list (docs/design.md, fail-safe rule).
"""

from __future__ import annotations

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
