"""Request admission: client IP allowlist, bearer secret, per-client rate limit.

They run in that order, inside the request-context middleware (so refusals are logged and
counted like any response) and before any handler reads a body:

1. allowlist (403 ``forbidden``): the peer address must lie in ``server.allow_networks``.
   Nothing else is looked at for a stranger, and it costs it no rate-limit tokens of others.
2. secret (401 ``unauthorized``), when ``server.secret_file`` is set: ``Authorization: Bearer
   <secret>``, compared in constant time.
3. rate limit (429 ``rate_limited`` with ``Retry-After``): a token bucket per client address,
   ``limits.rate_per_s`` tokens a second up to ``limits.burst``.

``GET /v1/health`` is exempt from the secret and the rate limit (not from the allowlist): it
says only that the process is up, costs nothing, and a liveness probe must not fail because AP
is busy.  ``/v1/ready`` and ``/metrics`` do work (an engine ping, a rendering) and are not exempt.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import os
import stat
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from satveto.runtime.config import ConfigError
from satveto.web.http_input import error_response

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

EXEMPT_PATHS = frozenset({"/v1/health"})


def client_address(request: web.Request) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The peer's address (an IPv4-mapped IPv6 address counts as the IPv4 one)."""
    if request.remote is None:
        return None
    try:
        address = ipaddress.ip_address(request.remote.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_networks(networks: Iterable[str]) -> list[IPNetwork]:
    return [ipaddress.ip_network(cidr, strict=False) for cidr in networks]


def address_in(remote: str, networks: list[IPNetwork]) -> bool:
    """Whether a peer address (text, possibly IPv4-mapped or with a zone) is in ``networks``."""
    try:
        address = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == network.version and address in network for network in networks)


def allowlist_middleware(networks: Iterable[str]) -> Middleware:
    allowed = parse_networks(networks)

    @web.middleware
    async def allowlist(request: web.Request, handler: Handler) -> web.StreamResponse:
        address = client_address(request)
        if address is None or not any(
            address.version == network.version and address in network for network in allowed
        ):
            return error_response(403, "forbidden", "This client address is not allowed.")
        return await handler(request)

    return allowlist


def read_secret_file(path: Path) -> bytes:
    """The shared secret; refuses a file that group or others could read (as credentials)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as error:
        raise ConfigError(f"server.secret_file: cannot open {path}: {error.strerror}") from None
    with os.fdopen(descriptor, "rb") as stream:
        mode = os.fstat(stream.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise ConfigError(f"server.secret_file: {path} is not a regular file")
        if mode & 0o077:
            raise ConfigError(
                f"server.secret_file: {path} is readable or writable by group or others "
                f"(mode {stat.S_IMODE(mode):04o}); make it 0600 or 0400"
            )
        secret = stream.read().strip()
    if len(secret) < 16:
        raise ConfigError("server.secret_file: the secret must be at least 16 characters")
    return secret


def offered_token(header: str) -> bytes:
    """The credentials of an ``Authorization: Bearer <token>`` header, b"" for any other.

    The scheme is case-insensitive (RFC 9110, section 11.1): ``bearer`` and ``BEARER`` are
    ``Bearer``.  Spaces around the token are not part of it.
    """
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return b""
    return token.strip().encode("utf-8", "replace")


def secret_middleware(secret: bytes) -> Middleware:
    # Digests of equal length are compared, so not even the secret's length leaks in timing.
    expected = hashlib.sha256(secret).digest()

    @web.middleware
    async def require_secret(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path not in EXEMPT_PATHS:
            offered = offered_token(request.headers.get("Authorization", ""))
            if not offered or not hmac.compare_digest(hashlib.sha256(offered).digest(), expected):
                response = error_response(
                    401, "unauthorized", "A valid `Authorization: Bearer` secret is required."
                )
                response.headers["WWW-Authenticate"] = 'Bearer realm="satveto"'
                return response
        return await handler(request)

    return require_secret


class TokenBuckets:
    """One token bucket per client key, bounded in number (full buckets are forgotten first)."""

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate_per_s
        self._burst = float(burst)
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated_at)

    def take(self, key: str) -> float:
        """0 when a token was taken; otherwise the seconds until one is available."""
        now = self._clock()
        tokens, updated = self._buckets.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - updated) * self._rate)
        if tokens >= 1.0:
            self._store(key, tokens - 1.0, now)
            return 0.0
        self._store(key, tokens, now)
        return (1.0 - tokens) / self._rate

    def _store(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self._max_clients:
            self._forget_full(now)

    def _forget_full(self, now: float) -> None:
        """Drops buckets that have refilled (they hold no state worth keeping)."""
        for key, (tokens, updated) in list(self._buckets.items()):
            if tokens + (now - updated) * self._rate >= self._burst:
                del self._buckets[key]
        while len(self._buckets) > self._max_clients:  # all busy: forget the oldest
            del self._buckets[next(iter(self._buckets))]


def rate_limit_middleware(buckets: TokenBuckets) -> Middleware:
    @web.middleware
    async def rate_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path not in EXEMPT_PATHS:
            wait_s = buckets.take(str(client_address(request)))
            if wait_s > 0.0:
                response = error_response(
                    429, "rate_limited", "Too many requests from this client; retry later."
                )
                response.headers["Retry-After"] = str(max(1, math.ceil(wait_s)))
                return response
        return await handler(request)

    return rate_limit
