"""Starts and stops a satveto-engine child process (for `make run` and the tests).

In production systemd starts the engine as its own unit; the frontend only connects.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from satveto.engine.rpc import EngineClient, EngineError


def engine_binary() -> Path:
    """$SATVETO_ENGINE_BINARY, else the satveto-engine beside this Python, else on PATH."""
    override = os.environ.get("SATVETO_ENGINE_BINARY")
    if override:
        return Path(override)
    beside = Path(sys.executable).parent / "satveto-engine"
    if beside.exists():
        return beside
    found = shutil.which("satveto-engine")
    if found is None:
        raise FileNotFoundError("satveto-engine is not installed (run `make build`)")
    return Path(found)


class EngineProcess:
    def __init__(
        self, socket_path: Path, extra_args: list[str] | None = None, binary: Path | None = None
    ) -> None:
        self.socket_path = socket_path
        self.binary = binary or engine_binary()
        self.args = [str(self.binary), "--socket", str(socket_path), *(extra_args or [])]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.args, stdin=subprocess.DEVNULL)

    async def wait_ready(self, timeout_s: float = 10.0) -> dict[str, Any]:
        """Waits until the engine answers ping; returns the ping result."""
        client = EngineClient(self.socket_path, timeout_s=1.0, connections=1)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        try:
            while True:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(
                        f"satveto-engine exited with status {self.process.returncode}"
                    )
                try:
                    pong = await client.call("ping")
                except EngineError:
                    if loop.time() > deadline:
                        raise
                    await asyncio.sleep(0.02)
                    continue
                if not isinstance(pong, dict):
                    raise RuntimeError("satveto-engine answered ping with something not a map")
                return pong
        finally:
            await client.close()

    def stop(self, timeout_s: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL if it does not leave in time; returns the exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode
