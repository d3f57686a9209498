"""Forwarding accepted visit registrations to the other replicas (`server.peers`).

AP has one base URL and no failover: the replicas sit behind one name, so a DIASource request
may reach a replica that never saw the visit, and AP's single 404 -> re-send -> retry may land
on the wrong replica again.  Each replica therefore tells its peers of every visit it accepted,
over HTTPS (`POST /v1/visits`, trusting `server.peer_ca_file`, with the shared secret when
`server.secret_file` is set), marked with :data:`FORWARDED_HEADER` so that the peer registers it
through its ordinary validation and does not forward it again.

Best effort and bounded: each forward gives up after `timeout_s` (a second); failures are
counted (``satveto_peer_forwards{outcome}``), never surfaced to the client, and at most
`max_pending` forwards are in flight (beyond that they are dropped and counted).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import msgspec

from satveto.models import Visit
from satveto.runtime.metrics import Metrics

log = logging.getLogger("satveto.peers")

FORWARDED_HEADER = "Satveto-Forwarded"


class PeerForwarder:
    def __init__(
        self,
        peers: Sequence[str],
        metrics: Metrics,
        *,
        ca_file: Path | None = None,
        secret: bytes | None = None,
        timeout_s: float = 1.0,
        max_pending: int = 256,
    ) -> None:
        self._peers = [peer.rstrip("/") for peer in peers]
        self._metrics = metrics
        self._ca_file = ca_file
        self._secret = secret
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._max_pending = max_pending
        self._pending: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None

    async def forward(self, visit: Visit, *, wait: bool = False) -> None:
        """Sends the visit to every peer; with ``wait``, returns once they answered or gave up.

        Never raises: a peer that is down learns of the visit from AP's re-send instead.
        """
        if not self._peers:
            return
        if len(self._pending) >= self._max_pending:
            self._metrics.peer_forwards.labels("dropped").inc(len(self._peers))
            return
        task = asyncio.create_task(self._send_all(visit))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        if wait:
            await asyncio.shield(task)

    async def _send_all(self, visit: Visit) -> None:
        body = msgspec.json.encode(visit.to_http())
        await asyncio.gather(*(self._send(peer, body) for peer in self._peers))

    async def _send(self, peer: str, body: bytes) -> None:
        headers = {"Content-Type": "application/json", FORWARDED_HEADER: "1"}
        if self._secret is not None:
            headers["Authorization"] = "Bearer " + self._secret.decode("ascii", "replace")
        try:
            session = self._client()
            async with session.post(
                f"{peer}/v1/visits", data=body, headers=headers, timeout=self._timeout
            ) as response:
                await response.read()
                outcome = "ok" if response.status == 200 else "refused"
                if response.status != 200:
                    log.warning(
                        "peer refused a visit", extra={"peer": peer, "status": response.status}
                    )
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            outcome = "failed"
            log.warning("peer unreachable", extra={"peer": peer, "problem": type(error).__name__})
        self._metrics.peer_forwards.labels(outcome).inc()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            context = ssl.create_default_context(
                cafile=None if self._ca_file is None else str(self._ca_file)
            )
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=context, limit=16)
            )
        return self._session

    async def close(self) -> None:
        for task in list(self._pending):
            task.cancel()
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
