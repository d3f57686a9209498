"""The space-track.org GP fetch: login, one query, logout, in one short-lived cookie session.

Design points, each for a reason:

* One fresh session (cookie jar, connection) per fetch and exactly one login: space-track
  counts logins, and a session that outlives the fetch would be one more secret in memory.
* TLS verification is always on.  ``ca_file`` *adds* a CA (a mirror, the test server) to the
  system store; there is no switch to turn verification off.
* No redirects are followed: a redirected login would re-send the password to wherever the
  ``Location`` points.  A 3xx is reported as a server error.
* ``trust_env`` stays off, so no proxy variable and no ``~/.netrc`` from the environment can
  redirect the request or add credentials.
* Every request draws from a :class:`RequestBudget`; a fetch starts only when the budget can
  cover all of its requests, so a session is never left logged in for lack of budget.
* The body is streamed against a size cap and parsed in a worker thread (a full catalog is
  tens of MB; parsing it on the event loop would stall the API).  Nothing is written to disk,
  and no error message quotes the body.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from satveto.credentials import Credentials
from satveto.spacetrack.budget import RequestBudget
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

log = logging.getLogger("satveto.spacetrack")

LOGIN_PATH = "/ajaxauth/login"
LOGOUT_PATH = "/ajaxauth/logout"
#: Every GP element set of an object not decayed, with an epoch in the last 30 days.
GP_QUERY_PATH = (
    "/basicspacedata/query/class/gp/decay_date/null-val/epoch/%3Enow-30"
    "/orderby/norad_cat_id/format/json"
)
#: login + query + logout.
REQUESTS_PER_FETCH = 3

#: A full GP catalog is some tens of MB of JSON; the cap only stops a runaway body.
DEFAULT_MAX_BODY_BYTES = 256 * 1024 * 1024
# Login and logout answers are a few bytes; anything long is not what we expect.
_SMALL_BODY_BYTES = 64 * 1024
_CHUNK_BYTES = 1 << 16


def client_ssl_context(ca_file: Path | None) -> ssl.SSLContext:
    """System trust store plus, optionally, one extra CA file; verification always on."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


class SpacetrackClient:
    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        ca_file: Path | None = None,
        timeout_s: float = 120.0,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        budget: RequestBudget | None = None,
    ) -> None:
        if not base_url.startswith("https://"):
            raise ValueError("spacetrack base_url must be an https:// URL")
        self._base = base_url.rstrip("/")
        self._credentials = credentials
        self._ssl = client_ssl_context(ca_file)
        self._timeout_s = timeout_s
        self._max_body_bytes = max_body_bytes
        self.budget = budget or RequestBudget()

    def _url(self, path: str) -> URL:
        # encoded=True keeps "%3Enow-30" exactly as space-track documents it.
        return URL(self._base + path, encoded=True)

    async def fetch_gp(self) -> list[Any]:
        """Returns the parsed GP records (unvalidated); raises a SpacetrackError subclass."""
        delay = self.budget.delay_for(REQUESTS_PER_FETCH)
        if delay > 0:
            raise RequestBudgetExhausted(
                f"the request budget allows the next fetch in {delay:.0f} s", retry_after_s=delay
            )
        timeout = aiohttp.ClientTimeout(total=self._timeout_s, sock_connect=self._timeout_s)
        # unsafe=True only lets the jar accept cookies from a host given as an IP address (a
        # mirror, the test server); the jar lives for this one fetch against one host.
        jar = aiohttp.CookieJar(unsafe=True)
        connector = aiohttp.TCPConnector(ssl=self._ssl, limit=1)
        async with aiohttp.ClientSession(
            connector=connector, cookie_jar=jar, timeout=timeout, trust_env=False
        ) as session:
            await self._login(session)
            try:
                body = await self._query(session)
            finally:
                await self._logout(session)
        return await asyncio.to_thread(parse_gp_body, body)

    async def _login(self, session: aiohttp.ClientSession) -> None:
        form = {"identity": self._credentials.identity, "password": self._credentials.password}
        status, body = await self._request(session, "POST", LOGIN_PATH, data=form)
        if status in (401, 403):
            raise SpacetrackLoginFailed(f"login refused (HTTP {status})")
        _raise_for_status(status, "login")
        # space-track answers a wrong password with 200 and {"Login": "Failed"}.
        if b"failed" in body.lower():
            raise SpacetrackLoginFailed("login refused (the server reported a failed login)")
        if len(session.cookie_jar) == 0:
            raise SpacetrackLoginFailed("login answered without a session cookie")

    async def _query(self, session: aiohttp.ClientSession) -> bytes:
        status, body = await self._request(
            session, "GET", GP_QUERY_PATH, max_bytes=self._max_body_bytes
        )
        if status in (401, 403):
            raise SpacetrackLoginFailed(f"the GP query was refused as unauthenticated ({status})")
        _raise_for_status(status, "GP query")
        return body

    async def _logout(self, session: aiohttp.ClientSession) -> None:
        """Best effort: the session expires on its own, and the data is already in hand."""
        try:
            await self._request(session, "GET", LOGOUT_PATH)
        except SpacetrackError as error:
            log.warning("space-track logout failed", extra={"outcome": error.outcome})

    async def _request(
        self,
        session: aiohttp.ClientSession,
        method: str,
        path: str,
        *,
        data: dict[str, str] | None = None,
        max_bytes: int = _SMALL_BODY_BYTES,
    ) -> tuple[int, bytes]:
        """One request drawn from the budget; returns (status, body) read under the cap."""
        self.budget.take()
        try:
            async with session.request(
                method, self._url(path), data=data, allow_redirects=False
            ) as response:
                retry_after = _retry_after_s(response.headers.get("Retry-After"))
                if response.status == 429:
                    raise SpacetrackRateLimited(
                        "space-track answered 429 (too many requests)", retry_after_s=retry_after
                    )
                if response.status != 200:
                    await response.release()
                    return response.status, b""
                return 200, await _read_capped(response, max_bytes)
        except aiohttp.ClientConnectorCertificateError as error:
            raise SpacetrackTlsError(
                f"TLS verification failed: {error.certificate_error}"
            ) from None
        except aiohttp.ClientSSLError as error:
            raise SpacetrackTlsError(f"TLS failed: {type(error).__name__}") from None
        except TimeoutError:
            raise SpacetrackTimeout(f"{method} {path} exceeded {self._timeout_s:g} s") from None
        except aiohttp.ClientPayloadError:
            raise SpacetrackBadResponse("the response body was cut short") from None
        except aiohttp.ClientConnectorError as error:
            # Names host, port and the OS reason (refused, no route, DNS); nothing secret.
            raise SpacetrackUnreachable(f"cannot connect: {error}") from None
        except aiohttp.ClientError as error:
            raise SpacetrackUnreachable(f"connection failed: {type(error).__name__}") from None


def _raise_for_status(status: int, what: str) -> None:
    if status == 200:
        return
    if 300 <= status < 400:
        raise SpacetrackServerError(f"{what} answered with a redirect ({status}); not followed")
    raise SpacetrackServerError(f"{what} answered HTTP {status}")


def _retry_after_s(value: str | None) -> float | None:
    """Retry-After in seconds; the HTTP-date form is rare enough to ignore (backoff applies)."""
    if value is None:
        return None
    with contextlib.suppress(ValueError):
        seconds = float(value)
        if 0 <= seconds <= 86400:
            return seconds
    return None


async def _read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    declared = response.content_length
    if declared is not None and declared > max_bytes:
        raise SpacetrackTooLarge(f"the body announces {declared} bytes (cap {max_bytes})")
    body = bytearray()
    async for chunk in response.content.iter_chunked(_CHUNK_BYTES):
        body += chunk
        if len(body) > max_bytes:
            raise SpacetrackTooLarge(f"the body exceeds the cap of {max_bytes} bytes")
    return bytes(body)


def parse_gp_body(body: bytes) -> list[Any]:
    """The JSON list space-track returns; anything else is a bad response (body not quoted)."""
    stripped = body.lstrip()
    if stripped[:1] == b"<":
        raise SpacetrackBadResponse("space-track answered with an HTML page instead of JSON")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise SpacetrackBadResponse(
            f"the GP answer is not valid JSON ({len(body)} bytes; truncated?)"
        ) from None
    if isinstance(document, dict):
        raise SpacetrackBadResponse("the GP answer is a JSON object (an error?), not a list")
    if not isinstance(document, list):
        raise SpacetrackBadResponse("the GP answer is not a JSON list")
    return document
