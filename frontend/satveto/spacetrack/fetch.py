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
import datetime as dt
import json
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from yarl import URL

from satveto.spacetrack.budget import RequestBudget
from satveto.spacetrack.credentials import Credentials
from satveto.spacetrack.errors import (
    RequestBudgetExhausted,
    SpacetrackBadResponse,
    SpacetrackCuiError,
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
T = TypeVar("T")

LOGIN_PATH = "/ajaxauth/login"
LOGOUT_PATH = "/ajaxauth/logout"
#: Every GP element set of an object not decayed, with an epoch in the last 30 days.
GP_QUERY_PATH = (
    "/basicspacedata/query/class/gp/decay_date/null-val/epoch/%3Enow-30"
    "/orderby/norad_cat_id/format/json"
)
#: login + query + logout.
REQUESTS_PER_FETCH = 3
#: The CUI element files: space-track's fileshare folder 59 ("satf"), newest first.
FILESHARE_LIST_PATH = (
    "/fileshare/query/class/file/predicates/file_id,file_name,file_uploaded/folder_id/59"
    "/orderby/file_uploaded%20desc/format/json/emptyresult/show"
)
#: login + GP query + folder listing + download + logout (the download is skipped when the
#: newest file is the one already held, but the budget is reserved for it).
REQUESTS_PER_CUI_FETCH = 5
#: login + gp_history query + folder listing + download + logout.
REQUESTS_PER_HISTORY_FETCH = 5
#: What the CUI download may be served as; an HTML or JSON answer is an error page.
CUI_CONTENT_TYPES = frozenset({"text/plain", "application/octet-stream"})
_LISTING_BODY_BYTES = 4 * 1024 * 1024


def fileshare_download_path(file_id: int) -> str:
    return f"/fileshare/query/class/download/file_id/{file_id}"


def gp_history_path(start: dt.datetime, end: dt.datetime) -> str:
    """Every GP element set with an epoch strictly inside (start, end), ISO 8601 UTC times."""
    fmt = "%Y-%m-%dT%H:%M:%S"
    lo = start.astimezone(dt.UTC).strftime(fmt)
    hi = end.astimezone(dt.UTC).strftime(fmt)
    return (
        f"/basicspacedata/query/class/gp_history/epoch/%3E{lo},%3C{hi}"
        "/orderby/norad_cat_id/format/json"
    )


@dataclass(frozen=True)
class CuiFileInfo:
    """One row of the fileshare listing."""

    file_id: int
    uploaded: dt.datetime  # UTC


@dataclass(frozen=True)
class CuiDownload:
    """A downloaded CUI element file: memory only, never logged (the text is CUI)."""

    info: CuiFileInfo
    text: str = field(repr=False)


@dataclass(frozen=True)
class CatalogFetch:
    """What one refresh session brought back."""

    gp: list[Any]
    cui_newest: CuiFileInfo | None = None  # the newest file listed (None without CUI)
    cui: CuiDownload | None = None  # downloaded only when newer than the file held


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
        # One session at a time: a refresh and a historical fetch never hold two logins, and
        # a session that checked the budget for all its requests gets all of them.
        self._session_lock = asyncio.Lock()

    def _url(self, path: str) -> URL:
        # encoded=True keeps "%3Enow-30" exactly as space-track documents it.
        return URL(self._base + path, encoded=True)

    async def fetch_gp(self) -> list[Any]:
        """Returns the parsed GP records (unvalidated); raises a SpacetrackError subclass."""
        body = await self._in_session(REQUESTS_PER_FETCH, self._query)
        return await asyncio.to_thread(parse_gp_body, body)

    async def fetch_catalog(
        self, *, include_cui: bool, held_cui_id: int | None = None
    ) -> CatalogFetch:
        """The GP records and, with ``include_cui``, the CUI file in the same login session.

        The newest file of folder 59 is downloaded unless its id is ``held_cui_id`` (the
        caller already holds it).  A failure of the CUI part raises SpacetrackCuiError.
        """
        if not include_cui:
            return CatalogFetch(await self.fetch_gp())

        async def work(session: aiohttp.ClientSession) -> tuple[bytes, CatalogFetch]:
            body = await self._query(session)
            files = await self._cui_listing(session)
            newest = max(files, key=lambda f: (f.uploaded, f.file_id))
            cui = None
            if newest.file_id != held_cui_id:
                cui = await self._cui_download(session, newest)
            return body, CatalogFetch([], newest, cui)

        body, fetched = await self._in_session(REQUESTS_PER_CUI_FETCH, work)
        gp = await asyncio.to_thread(parse_gp_body, body)
        return CatalogFetch(gp, fetched.cui_newest, fetched.cui)

    async def fetch_history(
        self, start: dt.datetime, end: dt.datetime, near: dt.datetime | None
    ) -> tuple[list[Any], CuiDownload | None]:
        """gp_history for epochs in (start, end), and the CUI file uploaded closest to ``near``.

        ``near`` None skips the CUI part (an account without CUI access, include_cui off).
        """

        async def work(session: aiohttp.ClientSession) -> tuple[bytes, CuiDownload | None]:
            body = await self._query(session, gp_history_path(start, end), "gp_history query")
            cui = None
            if near is not None:
                files = await self._cui_listing(session)
                closest = min(
                    files, key=lambda f: (abs((f.uploaded - near).total_seconds()), -f.file_id)
                )
                cui = await self._cui_download(session, closest)
            return body, cui

        body, cui = await self._in_session(REQUESTS_PER_HISTORY_FETCH, work)
        return await asyncio.to_thread(parse_gp_body, body), cui

    async def _in_session(
        self, requests: int, work: Callable[[aiohttp.ClientSession], Awaitable[T]]
    ) -> T:
        """Login, ``work``, logout in one fresh cookie session; the budget covers all of it."""
        async with self._session_lock:
            delay = self.budget.delay_for(requests)
            if delay > 0:
                raise RequestBudgetExhausted(
                    f"the request budget allows the next fetch in {delay:.0f} s",
                    retry_after_s=delay,
                )
            timeout = aiohttp.ClientTimeout(total=self._timeout_s, sock_connect=self._timeout_s)
            # unsafe=True only lets the jar accept cookies from a host given as an IP address
            # (a mirror, the test server); the jar lives for this one fetch against one host.
            jar = aiohttp.CookieJar(unsafe=True)
            connector = aiohttp.TCPConnector(ssl=self._ssl, limit=1)
            async with aiohttp.ClientSession(
                connector=connector, cookie_jar=jar, timeout=timeout, trust_env=False
            ) as session:
                await self._login(session)
                try:
                    return await work(session)
                finally:
                    await self._logout(session)

    async def _cui_listing(self, session: aiohttp.ClientSession) -> list[CuiFileInfo]:
        """The files of folder 59; raises SpacetrackCuiError (never quotes the listing)."""
        try:
            status, body = await self._request(
                session, "GET", FILESHARE_LIST_PATH, max_bytes=_LISTING_BODY_BYTES
            )
        except SpacetrackError as error:
            raise _cui_error(error) from None
        if status in (401, 403):
            raise SpacetrackCuiError(
                f"the account may not list the CUI folder (HTTP {status}); it needs CUI access",
                outcome="cui_forbidden",
            )
        if status != 200:
            raise SpacetrackCuiError(
                f"the CUI folder listing answered HTTP {status}", outcome="cui_server_error"
            )
        files = parse_cui_listing(body)
        if not files:
            raise SpacetrackCuiError("the CUI folder holds no file", outcome="cui_empty")
        return files

    async def _cui_download(self, session: aiohttp.ClientSession, info: CuiFileInfo) -> CuiDownload:
        try:
            status, body = await self._request(
                session,
                "GET",
                fileshare_download_path(info.file_id),
                max_bytes=self._max_body_bytes,
                content_types=CUI_CONTENT_TYPES,
            )
        except SpacetrackError as error:
            raise _cui_error(error) from None
        if status in (401, 403):
            raise SpacetrackCuiError(
                f"the CUI file download was refused (HTTP {status}); the account needs CUI access",
                outcome="cui_forbidden",
            )
        if status != 200:
            raise SpacetrackCuiError(
                f"the CUI file download answered HTTP {status}", outcome="cui_server_error"
            )
        if body.lstrip()[:1] in (b"<", b"{", b"["):
            raise SpacetrackCuiError(
                "the CUI file download is not element-set text", outcome="cui_bad_response"
            )
        # Element sets are ASCII; a stray byte in a name line must not fail the whole file
        # (the column checks refuse it wherever it matters).
        return CuiDownload(info, body.decode("ascii", errors="replace"))

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

    async def _query(
        self, session: aiohttp.ClientSession, path: str = GP_QUERY_PATH, what: str = "GP query"
    ) -> bytes:
        status, body = await self._request(session, "GET", path, max_bytes=self._max_body_bytes)
        if status in (401, 403):
            raise SpacetrackLoginFailed(f"the {what} was refused as unauthenticated ({status})")
        _raise_for_status(status, what)
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
        content_types: frozenset[str] | None = None,
    ) -> tuple[int, bytes]:
        """One request drawn from the budget; returns (status, body) read under the cap.

        With ``content_types``, a 200 of another type is a bad response (body not read).
        """
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
                if content_types is not None and response.content_type not in content_types:
                    await response.release()
                    raise SpacetrackBadResponse(
                        f"{path} answered with content type {response.content_type}"
                    )
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


def _cui_error(error: SpacetrackError) -> SpacetrackCuiError:
    """A transport failure of the CUI part, relabelled so metrics tell it from the GP part."""
    if isinstance(error, SpacetrackCuiError):
        return error
    return SpacetrackCuiError(
        f"the CUI element file: {error}",
        outcome=f"cui_{error.outcome}",
        retry_after_s=error.retry_after_s,
    )


def parse_cui_listing(body: bytes) -> list[CuiFileInfo]:
    """The rows of a fileshare listing (``FILE_ID``, ``FILE_UPLOADED``); bad ones fail it all.

    A listing we cannot read means we cannot tell which file is newest: the CUI part fails
    rather than guessing.  Names are not kept (they are not needed and may be CUI).
    """
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise SpacetrackCuiError(
            "the CUI folder listing is not valid JSON", outcome="cui_bad_response"
        ) from None
    if not isinstance(document, list):
        raise SpacetrackCuiError(
            "the CUI folder listing is not a JSON list", outcome="cui_bad_response"
        )
    files = []
    for row in document:
        try:
            raw_id = row["FILE_ID"]
            if isinstance(raw_id, bool) or not isinstance(raw_id, int | str):
                raise TypeError
            file_id = int(raw_id)
            uploaded = dt.datetime.strptime(row["FILE_UPLOADED"], "%Y-%m-%d %H:%M:%S")
        except (KeyError, TypeError, ValueError):
            raise SpacetrackCuiError(
                "the CUI folder listing has a row without a usable FILE_ID or FILE_UPLOADED",
                outcome="cui_bad_response",
            ) from None
        if file_id <= 0:
            raise SpacetrackCuiError(
                "the CUI folder listing has a non-positive FILE_ID", outcome="cui_bad_response"
            )
        files.append(CuiFileInfo(file_id, uploaded.replace(tzinfo=dt.UTC)))
    return files
