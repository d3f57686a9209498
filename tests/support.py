"""Helpers shared by the test modules (imported by conftest.py and tests)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

import msgpack

from satveto.engine.rpc import EngineRpcError, EngineUnavailable


class BlockingEngineClient:
    """A minimal synchronous msgpack-RPC client, independent of the frontend's asyncio one."""

    def __init__(self, socket_path: Path, timeout_s: float = 30.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout_s)
        self.sock.connect(str(socket_path))
        self.unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, max_buffer_size=1 << 31)
        self.next_id = 1

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def receive(self) -> Any:
        """The next message, or None when the engine closed the connection."""
        while True:
            for message in self.unpacker:
                return message
            try:
                chunk = self.sock.recv(1 << 16)
            except ConnectionResetError:
                return None  # closed with unread data pending: the same as a hang-up
            if not chunk:
                return None
            self.unpacker.feed(chunk)

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        msgid = self.next_id
        self.next_id += 1
        self.send_raw(msgpack.packb([0, msgid, method, params or {}], use_bin_type=True))
        response = self.receive()
        if response is None:
            raise EngineUnavailable("connection closed")
        assert response[0] == 1, response
        assert response[1] == msgid, response
        if response[2] is not None:
            raise EngineRpcError(response[2]["code"], response[2]["message"])
        return response[3]

    def close(self) -> None:
        self.sock.close()


def stop_process(pid: int, timeout_s: float = 10.0) -> None:
    """SIGSTOP `pid` and wait until every one of its threads is stopped.

    kill() returns once the signal is queued; each thread stops only when it next runs, and on a
    loaded machine a thread can still answer a request sent right after kill().  A test that
    means "the engine is hung" must wait for the stop to take effect.
    """
    os.kill(pid, signal.SIGSTOP)
    deadline = time.monotonic() + timeout_s
    while True:
        states = []
        for status in Path(f"/proc/{pid}/task").glob("*/stat"):
            with contextlib.suppress(FileNotFoundError):
                # The state follows the ")" that closes the command name.
                states.append(status.read_text().rsplit(")", 1)[1].split()[0])
        if states and all(state in ("T", "t") for state in states):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"process {pid} did not stop: {states}")
        time.sleep(0.001)
