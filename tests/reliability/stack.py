"""The service under test: a real engine process, a frontend (in-process or `satveto serve` in a
child process), HTTPS clients, and an independent reference engine for the expected answers.

Nothing here writes catalog content to disk except where a test asks for a catalog *file*
source (synthetic demo objects only); the processes' logs are captured to files so that the
persistence suite can search them.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import aiohttp
import trustme
from aiohttp import web

from fake_engine import Frontend, api_config, night_site
from reliability.tally import Answer
from satveto.astro.earth_orientation import load_earth_orientation
from satveto.catalog.omm import validate_catalog
from satveto.catalog.sources import CatalogSource
from satveto.catalog.synthetic import build_demo_catalog
from satveto.engine.process import EngineProcess
from satveto.engine.rpc import EngineClient
from satveto.runtime.config import Config
from satveto.web.app import create_app, engine_settings
from satveto.web.app_keys import CATALOG
from satveto.web.tls import allowlist_listener, server_ssl_context

REPO = Path(__file__).resolve().parents[2]

# No limit that a test did not ask for: the load and fault suites measure the service, not
# the rate limiter (tested in test_security_checks).
UNLIMITED = {"rate_per_s": 1e6, "burst": 1_000_000}

JSON = {"Content-Type": "application/json"}  # the only media type the API accepts


def demo_records(count: int, now_unix: float | None = None) -> list[dict[str, Any]]:
    """Validated synthetic objects (what the frontend would install), epochs around now."""
    now = dt.datetime.fromtimestamp(time.time() if now_unix is None else now_unix, dt.UTC)
    return list(validate_catalog(build_demo_catalog(now, count=count), now=now).records)


class LoggedEngine(EngineProcess):
    """The engine binary with its stderr captured to `log_path` (and optional env and cwd)."""

    def __init__(
        self,
        socket_path: Path,
        log_path: Path,
        extra_args: list[str] | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        super().__init__(socket_path, extra_args)
        self.log_path = log_path
        self.env = env
        self.cwd = cwd
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.args,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            env=self.env,
            cwd=self.cwd,
        )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL (a crash): the socket file stays behind, as after a real crash."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self, timeout_s: float = 10.0) -> int | None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGCONT)  # a SIGSTOPped engine must hear TERM
        status = super().stop(timeout_s)
        if self._log is not None:
            self._log.close()
            self._log = None
        return status


async def start_engine(
    socket_path: Path, log_path: Path, extra_args: list[str] | None = None, **kwargs: Any
) -> LoggedEngine:
    engine = LoggedEngine(socket_path, log_path, extra_args, **kwargs)
    engine.start()
    await engine.wait_ready(timeout_s=30.0)
    return engine


def frontend_config(tls_files: tuple[Path, Path], socket_path: Path, **sections: Any) -> Config:
    """api_config with no rate limit unless given, and a generous engine timeout."""
    sections.setdefault("limits", UNLIMITED)
    sections.setdefault("engine", {"timeout_s": 10.0, "connections": 8})
    return api_config(tls_files, socket_path, **sections)  # at the night site (fake_engine)


async def start_app(
    config: Config, catalog_source: CatalogSource | None = None, host: str = "127.0.0.1"
) -> Frontend:
    """Like fake_engine.start_frontend, with an optional catalog source (refresher on)."""
    app = create_app(config, catalog_source=catalog_source)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    assert config.server.tls_cert is not None
    assert config.server.tls_key is not None
    ssl_context = server_ssl_context(config.server.tls_cert, config.server.tls_key)
    listener = allowlist_listener(host, 0, config.server.allow_networks)  # as `satveto serve`
    site = web.SockSite(runner, listener, ssl_context=ssl_context)
    await site.start()
    port = runner.addresses[0][1]
    return Frontend(app, runner, f"https://localhost:{port}")


async def install(front: Frontend, records: Sequence[dict[str, Any]], fetched: float) -> None:
    await front.app[CATALOG].install(records, fetched, source="test")  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def https_session(
    context: ssl.SSLContext, limit: int = 200, headers: dict[str, str] | None = None
) -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(ssl=context, limit=limit)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, headers=headers or {}
    ) as session:
        yield session


async def post(session: aiohttp.ClientSession, url: str, body: Any) -> Answer:
    sent = time.monotonic()
    try:
        async with session.post(url, data=json.dumps(body), headers=JSON) as response:
            try:
                payload = await response.json(content_type=None)
            except ValueError:
                payload = None
            return Answer(response.status, payload, sent, time.monotonic())
    except (aiohttp.ClientError, TimeoutError, ConnectionError):
        return Answer(None, None, sent, time.monotonic())


class ReferenceEngine:
    """A second, undisturbed engine holding the same catalog and settings: the independent
    answer every allow list of a disturbed (or loaded) run is compared with."""

    def __init__(self, engine: LoggedEngine) -> None:
        self.engine = engine
        self.client = EngineClient(engine.socket_path, timeout_s=120.0, connections=4)

    @classmethod
    async def start(
        cls, directory: Path, records: Sequence[dict[str, Any]], config: Config
    ) -> ReferenceEngine:
        engine = await start_engine(directory / "reference.sock", directory / "reference.log")
        reference = cls(engine)
        # The same settings the frontend sends, the IERS table included.
        settings = engine_settings(config, load_earth_orientation(time.time()))
        # But no disclosure budget: the reference answers whatever the service under test is
        # asked (it is the test's oracle, not the service), at any pace.
        await reference.client.call("configure", {**settings, "max_revealed_per_hour": 1_000_000})
        await reference.client.call(
            "load_catalog",
            {"generation": "reference", "fetched_at_unix": time.time(), "objects": list(records)},
        )
        return reference

    async def register(self, visit: dict[str, Any]) -> None:
        await self.client.call("register_visit", visit)

    async def allowed(self, params: dict[str, Any]) -> list[int]:
        return (await self.client.call("filter_sources", params))["allowed"]

    async def close(self) -> None:
        await self.client.close()
        self.engine.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))  # a TOML basic string is a JSON string for these values


def write_toml(path: Path, sections: dict[str, dict[str, Any]]) -> None:
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {toml_value(value)}" for key, value in values.items())
        lines.append("")
    path.write_text("\n".join(lines))


class FrontendProcess:
    """`satveto serve --config FILE` in a child process (the working tree's frontend), its
    stderr captured to `log_path`, with the given HOME, TMPDIR and cwd."""

    def __init__(
        self, config_path: Path, log_path: Path, env: dict[str, str], cwd: Path | None = None
    ) -> None:
        self.argv = [str(Path(sys.executable).parent / "satveto"), "serve", "--config"]
        self.argv.append(str(config_path))
        self.log_path = log_path
        self.env = env
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @staticmethod
    def environment(home: Path | None = None, tmp: Path | None = None) -> dict[str, str]:
        """This environment with the working tree's frontend first on the Python path."""
        drop = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")
        env = {k: v for k, v in os.environ.items() if k not in drop}
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO / "frontend"), env.get("PYTHONPATH")) if p
        )
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        if home is not None:
            env["HOME"] = str(home)
        if tmp is not None:
            env["TMPDIR"] = str(tmp)
        return env

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=self.env,
                cwd=self.cwd,
            )
        self.starts += 1

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


async def wait_status(
    session: aiohttp.ClientSession, url: str, status: int = 200, timeout_s: float = 60.0
) -> float:
    """Polls GET `url` until it answers `status`; returns the monotonic time it did."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            async with session.get(url) as response:
                if response.status == status:
                    return time.monotonic()
        except (aiohttp.ClientError, ConnectionError):
            pass
        assert time.monotonic() < deadline, f"{url} did not answer {status} in {timeout_s} s"
        await asyncio.sleep(0.05)


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@dataclass(frozen=True)
class ServeSetup:
    """What `satveto serve` needs, on disk for the run: config, synthetic catalog, certificate."""

    config: Path
    records: list[dict[str, Any]]
    socket_path: Path
    base: str  # https://localhost:PORT


def serve_setup(
    socket_dir: Path,
    tmp_path: Path,
    tls_ca: Any,
    catalog_size: int,
    engine_timeout_s: float,
    limits: dict[str, Any] | None = None,
) -> ServeSetup:
    """A frontend configuration like production's, with the `file` source on synthetic objects
    and a certificate from the test CA (the engine socket in `socket_dir`); ``limits`` adds to
    :data:`UNLIMITED` (the disclosure budget stays the strict default unless given)."""
    records = demo_records(catalog_size)
    catalog_file = tmp_path / "catalog.json"  # synthetic objects, for the `file` source
    catalog_file.write_text(json.dumps(records))
    cert, key = tmp_path / "server.pem", tmp_path / "server.key"
    issued = tls_ca.issue_cert("localhost", "127.0.0.1")
    issued.private_key_and_cert_chain_pem.write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    port = free_port()
    socket_path = socket_dir / "engine.sock"
    config = tmp_path / "frontend.toml"
    write_toml(
        config,
        {
            "server": {"port": port, "tls_cert": cert, "tls_key": key},
            "engine": {"socket": socket_path, "timeout_s": engine_timeout_s, "connections": 8},
            "catalog": {"source": "file", "file": catalog_file},
            # The one-telescope rules are on (strict defaults): the site is where it is night.
            "site": night_site(),
            "limits": {**UNLIMITED, **(limits or {})},
        },
    )
    return ServeSetup(config, records, socket_path, f"https://localhost:{port}")
