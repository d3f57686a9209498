"""space-track.org client: one cookie session per refresh (login, GP query, logout)."""

from satveto.spacetrack.budget import PUBLISHED_LIMITS, RequestBudget
from satveto.spacetrack.errors import (
    RequestBudgetExhausted,
    SpacetrackBadResponse,
    SpacetrackError,
    SpacetrackLoginFailed,
    SpacetrackRateLimited,
    SpacetrackServerError,
    SpacetrackTimeout,
    SpacetrackTlsError,
    SpacetrackTooLarge,
    SpacetrackUnreachable,
)
from satveto.spacetrack.fetch import GP_QUERY_PATH, REQUESTS_PER_FETCH, SpacetrackClient

__all__ = [
    "GP_QUERY_PATH",
    "PUBLISHED_LIMITS",
    "REQUESTS_PER_FETCH",
    "RequestBudget",
    "RequestBudgetExhausted",
    "SpacetrackBadResponse",
    "SpacetrackClient",
    "SpacetrackError",
    "SpacetrackLoginFailed",
    "SpacetrackRateLimited",
    "SpacetrackServerError",
    "SpacetrackTimeout",
    "SpacetrackTlsError",
    "SpacetrackTooLarge",
    "SpacetrackUnreachable",
]
