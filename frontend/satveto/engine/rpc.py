"""Asynchronous msgpack-RPC client for the engine's Unix socket.

The engine answers the requests of one connection in order, so a connection carries one call
at a time and concurrency comes from a small pool of connections.  A connection on which
anything went wrong (timeout, broken pipe, undecodable bytes) is closed rather than reused:
a late answer to a timed-out call must never be read as the answer to the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from pathlib import Path
from typing import Any

import msgpack
import msgspec

REQUEST = 0
RESPONSE = 1
_READ_CHUNK = 1 << 16
# Requests are encoded by msgspec: faster than msgpack-python on 100,000 sources, and it encodes
# the validated footprint Structs (satveto.models) as the plain arrays the engine expects.
_ENCODER = msgspec.msgpack.Encoder()


class EngineError(Exception):
    """Base class of every failure to get an answer from the engine."""


class EngineUnavailable(EngineError):
    """The engine could not be reached, closed the connection, or did not answer in time."""


class EngineRpcError(EngineError):
    """The engine answered with an error object ``{"code", "message"}``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class _Connection:
    """One socket to the engine; callers hold it exclusively for a call."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._unpacker = msgpack.Unpacker(raw=False, max_buffer_size=1 << 31, strict_map_key=False)
        self._msgids = itertools.count(1)

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        msgid = next(self._msgids) & 0xFFFFFFFF
        self._writer.write(_ENCODER.encode([REQUEST, msgid, method, params]))
        await self._writer.drain()
        while True:
            for message in self._unpacker:
                return _result_of(message, msgid)
            chunk = await self._reader.read(_READ_CHUNK)
            if not chunk:
                raise EngineUnavailable("the engine closed the connection")
            self._unpacker.feed(chunk)

    def is_closed_by_peer(self) -> bool:
        """True when the engine hung up while the connection sat idle (e.g. it restarted)."""
        return self._reader.at_eof() or self._writer.is_closing()

    def close(self) -> None:
        self._writer.close()


def _result_of(message: Any, msgid: int) -> Any:
    if not (isinstance(message, list) and len(message) == 4 and message[0] == RESPONSE):
        raise EngineUnavailable("the engine sent something that is not a response")
    _, got_id, error, result = message
    if error is not None:
        if isinstance(error, dict):
            raise EngineRpcError(str(error.get("code")), str(error.get("message")))
        raise EngineUnavailable("the engine sent a malformed error")
    if got_id != msgid:
        raise EngineUnavailable("the engine answered a different request")
    return result


class EngineClient:
    """Calls engine methods over a pool of at most ``connections`` sockets."""

    def __init__(self, socket_path: Path, timeout_s: float, connections: int = 4) -> None:
        self._socket_path = socket_path
        self._timeout_s = timeout_s
        self._slots = asyncio.Semaphore(connections)
        self._idle: list[_Connection] = []

    async def call(
        self, method: str, params: dict[str, Any] | None = None, timeout_s: float | None = None
    ) -> Any:
        """Returns the method's result; raises EngineRpcError or EngineUnavailable."""
        timeout = self._timeout_s if timeout_s is None else timeout_s
        connection: _Connection | None = None
        in_step = False  # whether the connection may carry another call
        try:
            # The timeout covers the wait for a free connection too: when the engine hangs,
            # queued callers must fail after `timeout`, not after everyone ahead of them.
            async with asyncio.timeout(timeout), self._slots:
                try:
                    connection = self._take_idle() or await self._connect()
                    try:
                        result = await connection.call(method, params or {})
                    except EngineRpcError:
                        in_step = True  # a well-formed error answer leaves the stream in step
                        raise
                    in_step = True
                    return result
                finally:
                    # Cancellation, timeouts and I/O errors all leave the stream in doubt.
                    if connection is not None:
                        if in_step:
                            self._idle.append(connection)
                        else:
                            connection.close()
        except TimeoutError:
            raise EngineUnavailable(
                f"the engine did not answer {method} within {timeout:g} s"
            ) from None
        except (OSError, ValueError, msgpack.UnpackException) as error:
            raise EngineUnavailable(f"engine connection failed: {error}") from None

    def _take_idle(self) -> _Connection | None:
        """An idle connection the engine has not closed; stale ones are dropped.

        Without this, every pooled connection of a restarted engine would fail one call
        each before the pool healed.
        """
        while self._idle:
            connection = self._idle.pop()
            if not connection.is_closed_by_peer():
                return connection
            connection.close()
        return None

    async def _connect(self) -> _Connection:
        try:
            reader, writer = await asyncio.open_unix_connection(
                str(self._socket_path), limit=_READ_CHUNK
            )
        except OSError as error:
            raise EngineUnavailable(
                f"cannot connect to the engine at {self._socket_path}: {error.strerror or error}"
            ) from None
        return _Connection(reader, writer)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
        with contextlib.suppress(Exception):
            await asyncio.sleep(0)
