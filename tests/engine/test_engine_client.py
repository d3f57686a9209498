"""The frontend's asyncio engine client: reuse, timeout, reconnect, concurrency."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from satveto.engine.process import EngineProcess
from satveto.engine.rpc import EngineClient, EngineRpcError, EngineUnavailable
from support import stop_process


async def test_connections_are_reused(engine_socket: Path) -> None:
    client = EngineClient(engine_socket, timeout_s=5.0, connections=2)
    before = (await client.call("stats"))["connections"]["accepted"]
    for _ in range(20):
        assert (await client.call("ping"))["catalog"] is None
    stats = await client.call("stats")
    assert stats["connections"]["accepted"] == before
    await client.close()


async def test_rpc_error_keeps_the_connection(engine_socket: Path) -> None:
    client = EngineClient(engine_socket, timeout_s=5.0, connections=1)
    before = (await client.call("stats"))["connections"]["accepted"]
    with pytest.raises(EngineRpcError) as error:
        await client.call("no_such_method")
    assert error.value.code == "unknown_method"
    stats = await client.call("stats")
    assert stats["connections"]["accepted"] == before
    await client.close()


async def test_concurrent_calls_use_the_pool(engine_socket: Path) -> None:
    client = EngineClient(engine_socket, timeout_s=5.0, connections=4)
    before = (await client.call("stats"))["connections"]["accepted"]
    results = await asyncio.gather(*(client.call("ping") for _ in range(100)))
    assert all(result["catalog"] is None for result in results)
    stats = await client.call("stats")
    assert stats["connections"]["accepted"] - before <= 3  # at most 4 sockets in all
    await client.close()


async def test_hung_engine_times_out_and_client_recovers(engine_process: EngineProcess) -> None:
    client = EngineClient(engine_process.socket_path, timeout_s=0.3, connections=1)
    await client.call("ping")
    stop_process(engine_process.process.pid)
    try:
        started = time.monotonic()
        with pytest.raises(EngineUnavailable, match=r"did not answer ping within 0\.3 s"):
            await client.call("ping")
        assert time.monotonic() - started < 2.0
    finally:
        os.kill(engine_process.process.pid, signal.SIGCONT)
    # The timed-out connection was discarded: the next call gets a fresh, in-step answer.
    assert (await client.call("ping"))["catalog"] is None
    await client.close()


async def test_engine_restart_is_survived(engine_process: EngineProcess) -> None:
    client = EngineClient(engine_process.socket_path, timeout_s=2.0, connections=2)
    first = (await client.call("ping"))["instance_id"]
    engine_process.stop()
    with pytest.raises(EngineUnavailable):
        await client.call("ping")
    engine_process.start()
    await engine_process.wait_ready()
    second = (await client.call("ping"))["instance_id"]
    assert second != first  # the frontend can tell the engine restarted
    await client.close()


async def test_killed_engine_mid_call_is_unavailable_not_a_hang(
    engine_process: EngineProcess,
) -> None:
    client = EngineClient(engine_process.socket_path, timeout_s=5.0, connections=1)
    await client.call("ping")
    engine_process.process.kill()
    engine_process.process.wait()
    with pytest.raises(EngineUnavailable):
        await client.call("ping")
    await client.close()


async def test_missing_socket_is_unavailable(tmp_path: Path) -> None:
    client = EngineClient(tmp_path / "absent.sock", timeout_s=1.0)
    with pytest.raises(EngineUnavailable, match="cannot connect"):
        await client.call("ping")
