"""The real satveto-engine binary on a temporary socket: envelope, limits, isolation, safety."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import subprocess
import threading
from pathlib import Path

import msgpack
import pytest

from satveto.engine.process import EngineProcess, engine_binary
from satveto.engine.rpc import EngineRpcError
from support import BlockingEngineClient


def test_ping_answers_the_documented_shape(engine_rpc: BlockingEngineClient) -> None:
    engine_rpc.send_raw(msgpack.packb([0, 1, "ping", {}]))
    response = engine_rpc.receive()
    assert response[:3] == [1, 1, None]
    result = response[3]
    assert set(result) == {"version", "instance_id", "uptime_s", "catalog", "historical_catalogs"}
    assert result["version"] == "0.1.0"
    assert len(result["instance_id"]) == 32
    assert int(result["instance_id"], 16) >= 0
    assert 0 <= result["uptime_s"] < 60
    assert result["catalog"] is None
    assert result["historical_catalogs"] == []


def test_socket_is_private(engine_socket: Path) -> None:
    mode = os.stat(engine_socket).st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o600


def test_socket_mode_0660_lets_the_group_connect(tmp_path: Path) -> None:
    engine = EngineProcess(tmp_path / "e.sock", ["--socket-mode", "0660"])
    engine.start()
    try:
        asyncio.run(engine.wait_ready())
        assert stat.S_IMODE(os.stat(tmp_path / "e.sock").st_mode) == 0o660
    finally:
        assert engine.stop() == 0


def test_unknown_method_and_bad_params_are_errors_not_crashes(
    engine_rpc: BlockingEngineClient,
) -> None:
    with pytest.raises(EngineRpcError) as error:
        engine_rpc.call("no_such_method")
    assert error.value.code == "unknown_method"
    with pytest.raises(EngineRpcError) as error:
        engine_rpc.call("ping", {"extra": 1})
    assert error.value.code == "invalid_params"
    assert error.value.message.startswith("extra:")
    assert engine_rpc.call("ping")["catalog"] is None  # same connection still works


def test_garbage_closes_only_that_connection(engine_socket: Path) -> None:
    good = BlockingEngineClient(engine_socket)
    bad = BlockingEngineClient(engine_socket)
    bad.send_raw(b"\xc1GET / HTTP/1.1\r\n\r\n")
    reply = bad.receive()
    assert reply[0] == 1
    assert reply[2]["code"] == "invalid_request"
    assert bad.receive() is None  # closed after the reply
    assert good.call("ping")["catalog"] is None
    fresh = BlockingEngineClient(engine_socket)
    assert fresh.call("ping")["catalog"] is None
    for client in (good, bad, fresh):
        client.close()


def test_truncated_message_then_hangup_leaves_daemon_serving(engine_socket: Path) -> None:
    partial = msgpack.packb([0, 1, "ping", {"padding": "x" * 100}])[:20]
    raw = socket.socket(socket.AF_UNIX)
    raw.connect(str(engine_socket))
    raw.sendall(partial)
    raw.close()
    client = BlockingEngineClient(engine_socket)
    assert client.call("ping")["catalog"] is None
    client.close()


def test_oversized_message_is_refused_with_error(tmp_path: Path) -> None:
    engine = EngineProcess(tmp_path / "e.sock", ["--max-message-bytes", "4096"])
    engine.start()
    try:
        asyncio.run(engine.wait_ready())
        client = BlockingEngineClient(engine.socket_path)
        client.send_raw(msgpack.packb([0, 42, "ping", {"blob": "x" * 10000}]))
        reply = client.receive()
        assert reply == [
            1,
            42,
            {
                "code": "message_too_large",
                "message": "message exceeds --max-message-bytes (4096 bytes)",
            },
            None,
        ]
        # A header promising 4 billion elements is refused without trying to allocate them.
        hostile = BlockingEngineClient(engine.socket_path)
        hostile.send_raw(b"\x94\x00\x07\xa4ping\xdd\xff\xff\xff\xff")
        assert hostile.receive()[2]["code"] == "message_too_large"
        assert BlockingEngineClient(engine.socket_path).call("ping")["catalog"] is None
    finally:
        assert engine.stop() == 0


def test_pipelined_requests_are_answered_in_order(engine_rpc: BlockingEngineClient) -> None:
    engine_rpc.send_raw(b"".join(msgpack.packb([0, i, "ping", {}]) for i in range(1, 51)))
    ids = [engine_rpc.receive()[1] for _ in range(50)]
    assert ids == list(range(1, 51))


def test_many_clients_at_once(engine_socket: Path) -> None:
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            client = BlockingEngineClient(engine_socket)
            for _ in range(200):
                assert client.call("ping")["catalog"] is None
            client.close()
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures
    stats = BlockingEngineClient(engine_socket).call("stats")
    assert stats["methods"]["ping"]["calls"] >= 16 * 200


def test_stats_counts_calls_and_protocol_errors(
    engine_rpc: BlockingEngineClient, engine_socket: Path
) -> None:
    engine_rpc.call("ping")
    junk = BlockingEngineClient(engine_socket)
    junk.send_raw(b"\xc1")
    junk.receive()
    stats = engine_rpc.call("stats")
    assert stats["methods"]["ping"]["calls"] >= 1
    assert stats["connections"]["protocol_errors"] == 1
    assert stats["catalog_objects"] == 0


def test_peer_with_foreign_uid_is_refused(tmp_path: Path) -> None:
    # Allow only a uid that is not ours: our own connection must then be refused.
    foreign_uid = os.getuid() + 4242
    engine = EngineProcess(tmp_path / "e.sock", ["--allowed-uid", str(foreign_uid)])
    engine.start()
    try:
        sock_path = tmp_path / "e.sock"
        for _ in range(200):
            if sock_path.exists():
                break
            asyncio.run(asyncio.sleep(0.02))
        client = BlockingEngineClient(sock_path)
        client.send_raw(msgpack.packb([0, 1, "ping", {}]))
        assert client.receive() is None
    finally:
        assert engine.stop() == 0


def test_stale_socket_is_replaced_and_live_one_is_not(tmp_path: Path) -> None:
    path = tmp_path / "e.sock"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))  # a socket file nobody listens on, as a crash would leave
    stale.close()
    first = EngineProcess(path)
    first.start()
    try:
        asyncio.run(first.wait_ready())
        second = subprocess.run(
            [str(engine_binary()), "--socket", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode == 1
        assert "another process is listening" in second.stderr
        assert BlockingEngineClient(path).call("ping")["catalog"] is None
    finally:
        assert first.stop() == 0


def test_a_regular_file_at_the_socket_path_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "important.txt"
    path.write_text("keep me")
    result = subprocess.run(
        [str(engine_binary()), "--socket", str(path)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert "is not a socket" in result.stderr
    assert path.read_text() == "keep me"


def test_sigterm_removes_socket_and_exits_zero(tmp_path: Path) -> None:
    engine = EngineProcess(tmp_path / "e.sock")
    engine.start()
    asyncio.run(engine.wait_ready())
    assert engine.stop() == 0
    assert not (tmp_path / "e.sock").exists()


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        ([], "--socket"),
        (["--socket", "s", "--threads", "zero"], "--threads"),
        (["--socket", "s", "--bogus"], "--bogus"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(args: list[str], flag: str) -> None:
    result = subprocess.run(
        [str(engine_binary()), *args], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert f"satveto-engine: {flag}" in result.stderr


def test_engine_is_not_dumpable_and_has_no_core_limit(engine_process: EngineProcess) -> None:
    pid = engine_process.process.pid
    limits = Path(f"/proc/{pid}/limits").read_text()
    core_line = next(line for line in limits.splitlines() if line.startswith("Max core file size"))
    assert core_line.split()[4:6] == ["0", "0"]
    # Not dumpable: /proc/PID/* becomes root-owned, and the engine reports its lock state.
    status = Path(f"/proc/{pid}/status").read_text()
    assert "VmLck" in status
