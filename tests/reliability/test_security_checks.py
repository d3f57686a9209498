"""Security checks beyond test_security.py (admission) and test_engine_daemon.py (socket basics).

What test_security.py already covers is not repeated: the allowlist refusing 127.0.0.2 on
GET and POST, IPv6 and mapped addresses, the secret on ``GET /v1``, unsafe secret files, the
per-client rate limit and the admission order.  Added here:

* refused clients (stranger address, missing or wrong secret, over-size body) never reach the
  engine and never see an allow list, on the veto endpoints themselves, and are refused before
  their body is read;
* exposure times outside the window on the DIASource endpoint (embedded visit);
* a probing sweep (many small requests) is cut by the rate limit, and what one request may
  carry regardless (the limit counts requests, not sources: see docs/reliability.md);
* slow clients (slowloris): how long `satveto serve` holds a connection that never completes
  its handshake, its headers or its body (long waits: ``make soak`` only);
* the engine socket refusing another uid, by file mode and by SO_PEERCRED, from a child that
  really runs as uid 65534;
* the engine's memory locked (VmLck) when it holds CAP_IPC_LOCK, and both processes
  non-dumpable with no core limit, checked from the outside (/proc ownership, limits).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import trustme

from fake_engine import FakeHarness, Frontend, api_config, sample_sources, sample_visit
from reliability.procfs import CAP_IPC_LOCK, core_limit, group_of_proc_dir, has_capability, kib
from reliability.scale import SOAK, report
from reliability.stack import FrontendProcess, LoggedEngine, free_port, start_app, write_toml
from satveto.astro.timescales import mjd_now
from satveto.engine.process import engine_binary

pytest_plugins = ["test_api_fixtures"]  # fake_harness, socket_dir

SECRET = "a-secret-for-the-security-checks-0123"
NOBODY = 65534

VETO_METHODS = ("register_visit", "filter_sources")

JSON = {"Content-Type": "application/json"}  # the only media type the API accepts


def engine_calls(harness: FakeHarness) -> int:
    return sum(harness.fake.count(method) for method in VETO_METHODS)


def diasource_body(**extra: Any) -> dict[str, Any]:
    return {"visit_id": 2026112100123, "detector_id": 94, "diasources": sample_sources(20), **extra}


async def post(
    session: aiohttp.ClientSession, url: str, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    async with session.post(
        url, data=json.dumps(body), headers={**JSON, **(headers or {})}
    ) as response:
        return response.status, await response.json(content_type=None)


async def raw_exchange(
    base: str, context: ssl.SSLContext, head: bytes, body: bytes = b"", wait_s: float = 10.0
) -> bytes:
    """Sends `head` (and `body`) over TLS and returns what the server answers within `wait_s`
    (b"" if it closed, or if it said nothing in time)."""
    port = int(base.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="localhost"
    )
    try:
        writer.write(head + body)
        await writer.drain()
        try:
            return await asyncio.wait_for(reader.read(4096), wait_s)
        except TimeoutError:
            return b""
    finally:
        writer.transport.abort()  # no TLS goodbye: the server sees the peer gone at once


def declared_head(path: str, length: int, headers: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n{headers}\r\n"
    ).encode()


@pytest.fixture
def secret_path(tmp_path: Path) -> Path:
    path = tmp_path / "secret"
    path.write_text(SECRET)
    path.chmod(0o600)
    return path


async def guarded_frontend(
    harness: FakeHarness, tls_files: tuple[Path, Path], secret: Path, **sections: Any
) -> Frontend:
    server = {"secret_file": secret, "allow_networks": ["127.0.0.1/32"], "max_body_bytes": 65536}
    server.update(sections.pop("server", {}))
    front = await start_app(api_config(tls_files, harness.socket_path, server=server, **sections))
    await front.install_catalog(harness)
    return front


# --- refused clients never reach the engine -----------------------------------------------


async def test_refused_clients_never_reach_the_engine_nor_see_a_list(
    fake_harness: FakeHarness,
    tls_files: tuple[Path, Path],
    secret_path: Path,
    client_tls: ssl.SSLContext,
) -> None:
    front = await guarded_frontend(fake_harness, tls_files, secret_path)
    good = {"Authorization": f"Bearer {SECRET}"}
    stranger = aiohttp.TCPConnector(ssl=client_tls, local_addr=("127.0.0.2", 0))
    try:
        async with (
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_tls)) as session,
            aiohttp.ClientSession(connector=stranger) as from_stranger,
        ):
            url = f"{front.base}/v1/diasources"
            body = diasource_body(visit=sample_visit())
            big = diasource_body(visit=sample_visit(), diasources=sample_sources(5000))
            # A stranger is reset at accept, before TLS (tls.AllowlistListener).
            with pytest.raises(aiohttp.ClientError):
                await post(from_stranger, url, body, good)
            refusals = [
                (await post(session, url, body), 401, "unauthorized"),
                (await post(session, url, body, {"Authorization": "Bearer nope"}), 401, None),
                (await post(session, url, body, {"Authorization": SECRET}), 401, None),
                (await post(session, f"{front.base}/v1/visits", sample_visit()), 401, None),
                (await post(session, url, big, good), 413, "body_too_large"),
            ]
            for (status, answer), expected_status, code in refusals:
                assert status == expected_status, answer
                assert "id_allow_list" not in answer
                if code is not None:
                    assert answer["error"]["code"] == code
            assert engine_calls(fake_harness) == 0
            # The same request, admitted: answered.
            status, answer = await post(session, url, body, good)
            assert status == 200
            assert engine_calls(fake_harness) == 1
    finally:
        await front.stop()


async def test_refusal_does_not_wait_for_the_body(
    fake_harness: FakeHarness,
    tls_files: tuple[Path, Path],
    secret_path: Path,
    client_tls: ssl.SSLContext,
) -> None:
    """A stranger or a client without the secret is answered on its headers alone: it cannot
    make the frontend buffer a body (the declared 30 MB never arrive)."""
    front = await guarded_frontend(fake_harness, tls_files, secret_path)
    try:
        head = declared_head("/v1/diasources", 30_000_000)
        answer = await raw_exchange(front.base, client_tls, head, b"{", wait_s=10.0)
        assert answer.startswith(b"HTTP/1.1 401"), answer[:80]
        assert b"id_allow_list" not in answer
        assert engine_calls(fake_harness) == 0
    finally:
        await front.stop()


async def test_declared_oversize_body_is_refused_without_reading_it(
    fake_harness: FakeHarness,
    tls_files: tuple[Path, Path],
    secret_path: Path,
    client_tls: ssl.SSLContext,
) -> None:
    front = await guarded_frontend(fake_harness, tls_files, secret_path)
    try:
        # One byte over server.max_body_bytes (65,536 here), and far over: both at once.
        for length in (65_537, 30_000_000):
            auth = f"Authorization: Bearer {SECRET}\r\n"
            head = declared_head("/v1/diasources", length, auth)
            answer = await raw_exchange(front.base, client_tls, head, b"{", wait_s=3.0)
            assert answer.startswith(b"HTTP/1.1 413"), (length, answer[:80])
    finally:
        await front.stop()


# --- exposure window on the veto endpoint ---------------------------------------------------


@pytest.mark.parametrize(
    ("shift_s", "field"),
    [(-86400.0 - 120.0, "visit.exposure_start_mjd"), (3600.0 + 120.0, "visit.exposure_end_mjd")],
)
async def test_embedded_visit_outside_the_window_is_refused(
    fake_frontend: Frontend,
    fake_harness: FakeHarness,
    http_session: aiohttp.ClientSession,
    shift_s: float,
    field: str,
) -> None:
    start = mjd_now(time.time() + shift_s, "tai")  # the visit's (default) scale
    visit = sample_visit(exposure_start_mjd=start, exposure_end_mjd=start + 30.0 / 86400.0)
    status, answer = await post(
        http_session, f"{fake_frontend.base}/v1/diasources", diasource_body(visit=visit)
    )
    assert status == 400
    assert answer["error"]["code"] == "outside_time_window"
    assert answer["error"]["message"].startswith(f"{field}: ")
    assert "id_allow_list" not in answer
    assert engine_calls(fake_harness) == 0


# --- probing ----------------------------------------------------------------------------------


async def test_a_probing_sweep_is_cut_by_the_rate_limit(
    fake_harness: FakeHarness,
    tls_files: tuple[Path, Path],
    secret_path: Path,
    client_tls: ssl.SSLContext,
) -> None:
    """A client sweeping a field with many requests of tiny sources gets 429s once its burst
    is spent; a 429 carries no list and costs the engine nothing.  But one request may carry
    `limits.max_sources` sources, so the limit bounds requests, not probed positions."""
    front = await guarded_frontend(
        fake_harness, tls_files, secret_path, limits={"rate_per_s": 2.0, "burst": 10}
    )
    good = {"Authorization": f"Bearer {SECRET}"}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_tls)) as s:
            url = f"{front.base}/v1/diasources"
            statuses = []
            visit = sample_visit()
            for step in range(40):  # a sweep across the detector, 1-pixel sources
                sources = [
                    {"diasource_id": k + 1, "bbox": [step * 100 + k, 2000, step * 100 + k, 2000]}
                    for k in range(20)
                ]
                # A detector per step: one answer per (visit, detector) is another defence.
                body = diasource_body(visit=visit, diasources=sources, detector_id=step)
                status, answer = await post(s, url, body, good)
                statuses.append(status)
                if status == 429:
                    assert "id_allow_list" not in answer
                    assert answer["error"]["code"] == "rate_limited"
            admitted = statuses.count(200)
            calls = fake_harness.fake.count("filter_sources")
    finally:
        await front.stop()
    report(
        "probing sweep, limits.rate_per_s = 2, burst = 10",
        [f"40 requests in a burst: {admitted} answered, {statuses.count(429)} refused (429)"],
    )
    assert 10 <= admitted <= 12  # the burst, plus what refilled during the sweep
    assert statuses.count(429) >= 28
    assert calls == admitted


# --- slow clients (slowloris) -------------------------------------------------------------


@pytest.fixture
def serve_process(tmp_path: Path, tls_ca: trustme.CA) -> Iterator[tuple[str, FrontendProcess]]:
    """`satveto serve` (run_app, as in production) without an engine: enough for slow clients."""
    cert, key = tmp_path / "server.pem", tmp_path / "server.key"
    issued = tls_ca.issue_cert("localhost", "127.0.0.1")
    issued.private_key_and_cert_chain_pem.write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    port = free_port()
    write_toml(
        tmp_path / "frontend.toml",
        {
            "server": {"port": port, "tls_cert": cert, "tls_key": key, "body_timeout_s": 2.0},
            "engine": {"socket": tmp_path / "absent.sock"},
            "catalog": {"source": "demo"},
        },
    )
    frontend = FrontendProcess(
        tmp_path / "frontend.toml", tmp_path / "frontend.log", FrontendProcess.environment()
    )
    frontend.start()
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    yield f"https://localhost:{port}", frontend
    frontend.stop()


async def held_for(base: str, context: ssl.SSLContext | None, data: bytes, limit_s: float):
    """Seconds until the server closed (or answered) a connection that sent only `data`;
    None if it still held it after `limit_s`."""
    port = int(base.rsplit(":", 1)[1])
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="localhost" if context else None
    )
    try:
        if data:
            writer.write(data)
            await writer.drain()
        try:
            await asyncio.wait_for(reader.read(4096), limit_s)
        except TimeoutError:
            return None
        except (ConnectionError, ssl.SSLError):
            pass
        return time.monotonic() - started
    finally:
        writer.close()


@pytest.mark.skipif(not SOAK, reason="waits up to 150 s: make soak")
async def test_slow_clients_are_cut_off(
    serve_process: tuple[str, FrontendProcess], client_tls: ssl.SSLContext
) -> None:
    base, _ = serve_process
    limit = 150.0
    no_handshake, no_request, partial_headers = await asyncio.gather(
        held_for(base, None, b"", limit),
        held_for(base, client_tls, b"", limit),
        held_for(base, client_tls, b"POST /v1/visits HTTP/1.1\r\nHost: x\r\n", limit),
    )
    report(
        "slow clients against `satveto serve`",
        [
            f"TCP, no TLS handshake: closed after {no_handshake} s (asyncio's 60 s default)",
            f"TLS, no request: closed after {no_request} s (run_app keepalive_timeout 75 s)",
            f"partial headers: closed after {partial_headers} s (same timer)",
        ],
    )
    for held in (no_handshake, no_request, partial_headers):
        assert held is not None
        assert held <= 90.0


async def test_a_body_that_never_arrives_is_cut_off(
    serve_process: tuple[str, FrontendProcess], client_tls: ssl.SSLContext
) -> None:
    base, _ = serve_process
    head = declared_head("/v1/visits", 200)
    held = await held_for(base, client_tls, head + b"{", 30.0)
    report("slow body against `satveto serve`", [f"closed after: {held} s (None: still held)"])
    assert held is not None
    assert held < 15.0  # server.body_timeout_s is 2 s here; room for a loaded machine


# --- the engine socket and another uid ----------------------------------------------------


def connect_as_nobody(socket_path: Path, group: int) -> str:
    """A forked child drops to uid 65534 (and `group`), connects and pings: "EACCES" (refused
    by the file system), "CLOSED" (the engine hung up unread) or "ANSWERED"."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # the child: no Python-level cleanup, only system calls, then _exit
        result = b"ERROR"
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(group)
            os.setuid(NOBODY)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(10)
            try:
                sock.connect(str(socket_path))
            except PermissionError:
                result = b"EACCES"
            else:
                try:
                    sock.sendall(b"\x94\x00\x01\xa4ping\x80")  # [0, 1, "ping", {}]
                    data = sock.recv(4096)
                except (ConnectionError, TimeoutError):  # reset, broken pipe: hung up on
                    data = b""
                result = b"ANSWERED" if data else b"CLOSED"
        finally:
            os.write(write_end, result)
            os._exit(0)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as pipe:
            answer = pipe.read().decode()
    finally:
        os.waitpid(child, 0)
    return answer


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a child as 65534")


@needs_root
@pytest.mark.parametrize(
    ("mode", "group", "allowed", "expected"),
    [
        ("0600", NOBODY, [], "EACCES"),  # the file mode alone keeps it out
        ("0660", 0, [], "CLOSED"),  # in the socket's group: SO_PEERCRED still refuses the uid
        ("0660", 0, ["--allowed-uid", str(NOBODY)], "ANSWERED"),  # the control
    ],
)
def test_engine_refuses_a_foreign_uid(
    socket_dir: Path, tmp_path: Path, mode: str, group: int, allowed: list[str], expected: str
) -> None:
    socket_dir.chmod(0o755)  # traversable, so that only the socket itself decides
    args = ["--socket-mode", mode, *allowed, *(["--allowed-uid", "0"] if allowed else [])]
    engine = LoggedEngine(socket_dir / "e.sock", tmp_path / "engine.log", args)
    engine.start()
    try:
        asyncio.run(engine.wait_ready())
        assert connect_as_nobody(engine.socket_path, group) == expected
        from support import BlockingEngineClient

        client = BlockingEngineClient(engine.socket_path)
        stats = client.call("stats")["connections"]
        client.close()
        assert stats["refused_peer"] == (1 if expected == "CLOSED" else 0)
    finally:
        assert engine.stop() == 0


# --- memory locked, no dumps -------------------------------------------------------------------


def test_engine_locks_its_memory_with_cap_ipc_lock(socket_dir: Path, tmp_path: Path) -> None:
    engine = LoggedEngine(socket_dir / "e.sock", tmp_path / "engine.log")
    engine.start()
    try:
        asyncio.run(engine.wait_ready())
        if not has_capability(engine.pid, CAP_IPC_LOCK):
            pytest.skip("the engine does not hold CAP_IPC_LOCK here")
        assert kib(engine.pid, "VmLck") > 0
        assert b"memory locked" in (tmp_path / "engine.log").read_bytes()
    finally:
        engine.stop()


@needs_root
def test_both_processes_are_not_dumpable_and_have_no_core_limit(
    socket_dir: Path, tmp_path: Path, tls_ca: trustme.CA
) -> None:
    """Run with gid 65534, a process's /proc/PID files belong to group 65534 unless it made
    itself non-dumpable (then root:root, proc(5)).  A plain `sleep` is the control."""
    shared = Path(tempfile.mkdtemp(prefix="svdump"))
    try:
        shared.chmod(0o755)
        cert, key = shared / "server.pem", shared / "server.key"
        issued = tls_ca.issue_cert("localhost", "127.0.0.1")
        issued.private_key_and_cert_chain_pem.write_to_path(str(cert))
        issued.private_key_pem.write_to_path(str(key))
        key.chmod(0o644)
        port = free_port()
        write_toml(
            shared / "frontend.toml",
            {
                "server": {"port": port, "tls_cert": cert, "tls_key": key},
                "engine": {"socket": shared / "e.sock"},
                "catalog": {"source": "demo"},
            },
        )
        (shared / "frontend.toml").chmod(0o644)
        as_nobody: dict[str, Any] = {
            "group": NOBODY,
            "extra_groups": [],
            "stdin": subprocess.DEVNULL,
            "stdout": subprocess.DEVNULL,
            "stderr": subprocess.DEVNULL,
            "cwd": shared,
        }
        env = FrontendProcess.environment(home=shared, tmp=shared)
        engine_dir = shared / "run"
        engine_dir.mkdir()
        commands = {
            "control": (["sleep", "60"], None),
            "engine": ([str(engine_binary()), "--socket", str(engine_dir / "e.sock")], None),
            "frontend": (
                [
                    str(Path(sys.executable).parent / "satveto"),
                    "serve",
                    "--config",
                    str(shared / "frontend.toml"),
                ],
                env,
            ),
        }
        processes: dict[str, subprocess.Popen[bytes]] = {}
        try:
            for name, (argv, environment) in commands.items():
                processes[name] = subprocess.Popen(argv, env=environment, **as_nobody)
            deadline = time.monotonic() + 60
            while not (engine_dir / "e.sock").exists() or not port_open(port):
                for name, process in processes.items():
                    assert process.poll() is None, f"{name} exited"
                assert time.monotonic() < deadline, "engine or frontend did not start"
                time.sleep(0.1)
            owners = {name: group_of_proc_dir(p.pid) for name, p in processes.items()}
            cores = {name: core_limit(p.pid) for name, p in processes.items()}
        finally:
            for process in processes.values():
                process.terminate()
                process.wait(30)
    finally:
        subprocess.run(["rm", "-rf", str(shared)], check=False)
    report(
        "dumpable (group of /proc/PID) and core limits, processes run with gid 65534",
        [f"{owners}", f"{cores}"],
    )
    assert owners == {"control": NOBODY, "engine": 0, "frontend": 0}
    assert cores["engine"] == ("0", "0")
    assert cores["frontend"] == ("0", "0")


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True
