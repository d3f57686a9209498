"""The asynchronous Python client Alert Production uses to call a highly available satveto pair.

::

    async with SatvetoClient(
        ["https://satveto-a.example:443", "https://satveto-b.example:443"],
        ca_file="/etc/satveto/ca.pem",
        secret_file="/etc/satveto/secret",
    ) as satveto:
        await satveto.register_visit(visit)          # pre-caches the visit on both replicas
        allowed = await satveto.filter_diasources(visit_id, detector_id, sources)

Fail-safe on the client side too: :meth:`SatvetoClient.filter_diasources` returns an allow list
only when a replica answered 200 with a well-formed list that is an ordered subset of the ids
asked about; otherwise it raises.  When one replica fails (connection error, timeout, 5xx, 429,
or ``unknown_visit`` after its restart) the request goes to the other one with the visit's
parameters embedded, so the other replica can answer even if it never saw the visit request.
Definitive refusals (400, 401, 403, 409, 413) are raised at once: the other replica would say
the same.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

from satveto.answer_check import WrongAnswer, checked_allow_list

__all__ = [
    "SatvetoClient",
    "SatvetoError",
    "SatvetoProtocolError",
    "SatvetoRequestError",
    "SatvetoUnavailable",
]

# Statuses after which the other replica may well succeed.
_RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

JSON_HEADERS = {"Content-Type": "application/json"}


class SatvetoError(Exception):
    """Base class: no allow list was obtained."""


class SatvetoRequestError(SatvetoError):
    """The service refused the request itself (4xx); retrying elsewhere would not help."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class SatvetoProtocolError(SatvetoError):
    """A replica answered 200 with something that is not a valid answer to the request."""


class SatvetoUnavailable(SatvetoError):
    """No replica gave an answer; ``failures`` holds one line per attempt."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__("no satveto replica answered: " + "; ".join(failures))
        self.failures = failures


class _Attempt(Exception):
    """One replica's failure that the other replica may not share."""

    def __init__(self, text: str, status: int | None = None, code: str | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.code = code


class SatvetoClient:
    def __init__(
        self,
        base_urls: Sequence[str],
        *,
        ca_file: str | Path | None = None,
        ssl_context: ssl.SSLContext | None = None,
        secret: str | None = None,
        secret_file: str | Path | None = None,
        timeout_s: float = 30.0,
        remembered_visits: int = 1000,
        local_addr: tuple[str, int] | None = None,
    ) -> None:
        if not base_urls:
            raise ValueError("at least one base URL is required")
        self._bases = [url.rstrip("/") for url in base_urls]
        if ssl_context is None:
            ssl_context = ssl.create_default_context(
                cafile=str(ca_file) if ca_file is not None else None
            )
        self._ssl = ssl_context
        if secret is None and secret_file is not None:
            secret = Path(secret_file).read_text().strip()
        self._headers = {"Content-Type": "application/json"}
        if secret:
            self._headers["Authorization"] = f"Bearer {secret}"
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._local_addr = local_addr
        # visit_id -> (parameters, the replicas that accepted the visit request)
        self._visits: OrderedDict[int, tuple[dict[str, Any], set[str]]] = OrderedDict()
        self._remembered = remembered_visits
        self._preferred = 0
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SatvetoClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(ssl=self._ssl, local_addr=self._local_addr)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, headers=self._headers
            )
        return self._session

    # --- the two calls ---------------------------------------------------------------------

    async def register_visit(self, visit: Mapping[str, Any]) -> None:
        """Sends the visit request to every replica at once; succeeds if one accepted it.

        The visit is remembered so that DIASource requests can embed it when they fail over.
        """
        params = dict(visit)
        results = await asyncio.gather(
            *(self._post(base, "/v1/visits", params) for base in self._bases),
            return_exceptions=True,
        )
        failures = []
        accepted = set()
        for base, result in zip(self._bases, results, strict=True):
            if isinstance(result, SatvetoRequestError):
                raise result
            if isinstance(result, BaseException):
                failures.append(f"{base}: {result}")
            else:
                accepted.add(base)
        if not accepted:
            raise SatvetoUnavailable(failures)
        self._remember(params, accepted)

    async def filter_diasources(
        self,
        visit_id: int,
        detector_id: int,
        diasources: Sequence[Mapping[str, Any]],
        *,
        wcs: Mapping[str, Any] | None = None,
        visit: Mapping[str, Any] | None = None,
    ) -> list[int]:
        """The ids of the sources on no predicted satellite track, in input order.

        ``visit`` defaults to the parameters given to :meth:`register_visit` for this id; it is
        embedded in the request to any replica that did not accept that visit request (and
        always when given explicitly).
        Raises :class:`SatvetoError` (a subclass) instead of ever returning an unverified list.
        """
        body: dict[str, Any] = {
            "visit_id": visit_id,
            "detector_id": detector_id,
            "diasources": list(diasources),
        }
        if wcs is not None:
            body["wcs"] = dict(wcs)
        known = self._visits.get(visit_id)
        embedded, accepted = (dict(visit), set()) if visit is not None else known or (None, set())
        ids = [source["diasource_id"] for source in diasources]
        failures: list[str] = []
        codes: set[str | None] = set()
        order = self._bases[self._preferred :] + self._bases[: self._preferred]
        for base in order:
            # A replica that accepted the visit request has it; any other gets it embedded.
            if embedded is not None and base not in accepted:
                body["visit"] = embedded
            else:
                body.pop("visit", None)
            try:
                answer = await self._post(base, "/v1/diasources", body)
                allowed = _checked_allow_list(answer, visit_id, detector_id, ids)
            except _Attempt as error:
                failures.append(f"{base}: {error}")
                codes.add(error.code)
                continue
            except SatvetoProtocolError as error:
                failures.append(f"{base}: {error}")
                codes.add("protocol")
                continue
            self._preferred = self._bases.index(base)
            return allowed
        self._preferred = (self._preferred + 1) % len(self._bases)
        if codes == {"unknown_visit"}:
            raise SatvetoRequestError(404, "unknown_visit", "no replica knows this visit")
        raise SatvetoUnavailable(failures)

    # --- plumbing --------------------------------------------------------------------------

    def _remember(self, visit: dict[str, Any], accepted: set[str]) -> None:
        visit_id = visit.get("visit_id")
        if isinstance(visit_id, int):
            self._visits.pop(visit_id, None)
            self._visits[visit_id] = (visit, accepted)
            while len(self._visits) > self._remembered:
                self._visits.popitem(last=False)

    async def _post(self, base: str, path: str, body: dict[str, Any]) -> Any:
        """The decoded 200 body; raises SatvetoRequestError (definitive) or _Attempt."""
        try:
            async with self._http().post(
                base + path, data=json.dumps(body), headers=JSON_HEADERS
            ) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise _Attempt(f"{type(error).__name__}: {error}") from None
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if status == 200:
            if decoded is None:
                raise SatvetoProtocolError(f"{base}: a 200 answer that is not JSON")
            return decoded
        code, message = _error_of(decoded)
        if status in _RETRYABLE_STATUSES or code == "unknown_visit":
            raise _Attempt(f"{status} {code}: {message}", status, code)
        raise SatvetoRequestError(status, code, message)


def _error_of(decoded: Any) -> tuple[str, str]:
    if isinstance(decoded, dict) and isinstance(decoded.get("error"), dict):
        error = decoded["error"]
        return str(error.get("code", "unknown")), str(error.get("message", ""))
    return "unknown", "an error answer without an error object"


def _checked_allow_list(answer: Any, visit_id: int, detector_id: int, ids: list[int]) -> list[int]:
    """The answer's allow list if it answers this request and is an ordered subset of ``ids``.

    The service's own answer check on the engine's answers (services/fail_safe.py), here on
    the service's answers.
    """
    asked = {"visit_id": visit_id, "detector_id": detector_id}
    try:
        return checked_allow_list(answer, "id_allow_list", ids, asked)
    except WrongAnswer as error:
        raise SatvetoProtocolError(str(error)) from None
