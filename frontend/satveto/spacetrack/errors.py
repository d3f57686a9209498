"""Failures of a space-track fetch, one class per thing an operator would do differently.

Each class carries an ``outcome``: a fixed, log- and metric-safe label used for
``catalog_refreshes{outcome=...}``.  Messages are written by this package and never quote a
response body, a credential or a catalog value.
"""

from __future__ import annotations


class SpacetrackError(Exception):
    """Base class: the fetch failed and nothing was obtained."""

    outcome = "spacetrack_error"

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        # A server's (or the local budget's) own idea of when to try again, if it has one.
        self.retry_after_s = retry_after_s


class SpacetrackUnreachable(SpacetrackError):
    """No connection (DNS, refused, reset) or the connection broke before an answer."""

    outcome = "unreachable"


class SpacetrackTlsError(SpacetrackUnreachable):
    """The server's certificate did not verify (wrong CA, wrong name, expired)."""

    outcome = "tls_error"


class SpacetrackTimeout(SpacetrackError):
    """A request (connection, headers or body) took longer than spacetrack.timeout_s."""

    outcome = "timeout"


class SpacetrackLoginFailed(SpacetrackError):
    """The credentials were refused, or the session was not accepted by the query."""

    outcome = "login_failed"


class SpacetrackRateLimited(SpacetrackError):
    """space-track answered 429: the account went over its limits (maybe another client)."""

    outcome = "rate_limited"


class SpacetrackServerError(SpacetrackError):
    """An HTTP status other than 200, 401/403 or 429 (5xx, unexpected redirect...)."""

    outcome = "server_error"


class SpacetrackBadResponse(SpacetrackError):
    """A 200 whose body is not a JSON list: an HTML page, truncated JSON, an error object."""

    outcome = "bad_response"


class SpacetrackTooLarge(SpacetrackError):
    """The body exceeded the size cap; it was not read to the end."""

    outcome = "too_large"


class RequestBudgetExhausted(SpacetrackError):
    """The local request budget cannot cover a whole refresh now; nothing was sent."""

    outcome = "budget_exhausted"


class SpacetrackCuiError(SpacetrackError):
    """The CUI element-file part of a fetch failed (listing, download or its content).

    ``outcome`` says which: ``cui_forbidden`` (the account has no CUI access),
    ``cui_empty`` (no file in the folder), ``cui_bad_response`` (wrong content type, an
    unreadable listing or a file cut inside a set) or ``cui_`` + the transport failure's
    outcome (``cui_timeout``...).
    """

    outcome = "cui_failed"

    def __init__(
        self, message: str, *, outcome: str = "cui_failed", retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, retry_after_s=retry_after_s)
        self.outcome = outcome
