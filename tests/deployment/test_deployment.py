"""Deployment files, checked as far as this machine allows, and sd_notify readiness for real.

* The systemd units and the Quadlet files are parsed: hardening keys present, capabilities
  minimal, the socket layout consistent with the frontend's configuration, every path they
  name part of the documented install layout (docs/operations.md) or of the repository, and
  ``systemd-analyze verify`` clean (on copies whose /opt/satveto/bin points at this venv).
  ``systemd-analyze security --offline`` scores are held under a ceiling.
* The Containerfile: two stages from one Debian release, a runtime stage without compilers
  or headers, non-root, a health check, COPY sources that exist, no apt caches, and a build
  context (.containerignore) of exactly the COPY sources.  The image itself is built and
  smoke-tested by `make image-test` (image/smoke.py), not here.
* examples/frontend.toml validates with :func:`satveto.runtime.config.load_config` and comments
  every key of every section.
* sd_notify: the real engine, started with $NOTIFY_SOCKET on a datagram socket this test owns,
  sends READY=1 once its RPC socket exists, WATCHDOG=1 when $WATCHDOG_USEC asks, STOPPING=1 on
  SIGTERM; the real ``satveto serve`` sends READY=1 once it serves HTTPS and reloads its
  certificate on SIGHUP.  Both run under the unit's process restrictions that can be applied
  without systemd (no_new_privs, MemoryDenyWriteExecute through PR_SET_MDWE, no core dumps).
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from satveto.engine.process import engine_binary
from satveto.runtime.config import Config, load_config

REPO = Path(__file__).resolve().parents[2]
SYSTEMD = REPO / "systemd"
ENGINE_UNIT = SYSTEMD / "satveto-engine.service"
FRONTEND_UNIT = SYSTEMD / "satveto-frontend.service"
ENGINE_QUADLET = SYSTEMD / "satveto-engine.container"
FRONTEND_QUADLET = SYSTEMD / "satveto-frontend.container"
CONTAINERFILE = REPO / "Containerfile"
EXAMPLE_CONFIG = REPO / "examples" / "frontend.toml"
OPERATIONS = REPO / "docs" / "operations.md"
INSTALL_BIN = "/opt/satveto/bin/"  # where the units expect the venv's programs

# --- unit files ---------------------------------------------------------------------------------


@dataclasses.dataclass
class UnitFile:
    """A systemd-style INI file: repeated keys kept in order, continuation lines joined."""

    path: Path
    entries: list[tuple[str, str, str]]  # (section, key, value)

    @classmethod
    def parse(cls, path: Path) -> UnitFile:
        entries: list[tuple[str, str, str]] = []
        section = ""
        pending = ""
        for raw in path.read_text().splitlines():
            line = pending + raw.strip()
            pending = ""
            if not line or line.startswith(("#", ";")):
                continue
            if line.endswith("\\"):
                pending = line[:-1] + " "
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                continue
            key, separator, value = line.partition("=")
            assert separator, f"{path.name}: not a key=value line: {line!r}"
            entries.append((section, key.strip(), value.strip()))
        return cls(path, entries)

    def values(self, section: str, key: str) -> list[str]:
        return [v for s, k, v in self.entries if s == section and k == key]

    def get(self, section: str, key: str) -> str:
        values = self.values(section, key)
        assert len(values) == 1, f"{self.path.name}: [{section}] {key}: {values}"
        return values[0]

    def words(self, section: str, key: str) -> set[str]:
        return {word for value in self.values(section, key) for word in value.split()}


def exec_argv(unit: UnitFile, key: str = "ExecStart", section: str = "Service") -> list[str]:
    return shlex.split(unit.get(section, key))


HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "PrivateIPC": "yes",
    "PrivateMounts": "yes",
    "LimitCORE": "0",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "ProtectClock": "yes",
    "ProtectHostname": "yes",
    "RestrictSUIDSGID": "yes",
    "RestrictNamespaces": "yes",
    "RestrictRealtime": "yes",
    "RemoveIPC": "yes",
    "SystemCallArchitectures": "native",
    "UMask": "0077",
    "Restart": "always",
    "Type": "notify",
    "NotifyAccess": "main",
}


@pytest.mark.parametrize("path", [ENGINE_UNIT, FRONTEND_UNIT], ids=lambda p: p.name)
def test_unit_hardening(path: Path) -> None:
    unit = UnitFile.parse(path)
    for key, expected in HARDENING.items():
        assert unit.get("Service", key) == expected, key
    assert unit.values("Service", "SystemCallFilter")[0] == "@system-service"
    assert "~@privileged" in unit.words("Service", "SystemCallFilter")
    assert unit.get("Service", "SystemCallErrorNumber") == "EPERM"
    assert unit.get("Unit", "StartLimitIntervalSec") == "0"  # never give up restarting
    assert unit.get("Install", "WantedBy") == "multi-user.target"


def test_capabilities_are_minimal() -> None:
    engine, frontend = UnitFile.parse(ENGINE_UNIT), UnitFile.parse(FRONTEND_UNIT)
    for unit, capability in ((engine, "CAP_IPC_LOCK"), (frontend, "CAP_NET_BIND_SERVICE")):
        assert unit.words("Service", "AmbientCapabilities") == {capability}
        assert unit.words("Service", "CapabilityBoundingSet") == {capability}
    assert engine.words("Service", "RestrictAddressFamilies") == {"AF_UNIX"}
    assert engine.get("Service", "PrivateNetwork") == "yes"
    assert engine.get("Service", "IPAddressDeny") == "any"
    assert frontend.words("Service", "RestrictAddressFamilies") == {
        "AF_UNIX",
        "AF_INET",
        "AF_INET6",
    }
    for quadlet, capability in (
        (ENGINE_QUADLET, "CAP_IPC_LOCK"),
        (FRONTEND_QUADLET, "CAP_NET_BIND_SERVICE"),
    ):
        container = UnitFile.parse(quadlet)
        assert container.get("Container", "DropCapability") == "all"
        assert container.words("Container", "AddCapability") == {capability}


def test_users_socket_layout_and_restart_independence() -> None:
    engine, frontend = UnitFile.parse(ENGINE_UNIT), UnitFile.parse(FRONTEND_UNIT)
    assert engine.get("Service", "User") == "satveto-engine"
    assert frontend.get("Service", "User") == "satveto"
    assert engine.get("Service", "Group") == frontend.get("Service", "Group") == "satveto"
    # Only the engine owns /run/satveto, group-readable, and keeps it across restarts.
    assert engine.get("Service", "RuntimeDirectory") == "satveto"
    assert engine.get("Service", "RuntimeDirectoryMode") == "0750"
    assert engine.get("Service", "RuntimeDirectoryPreserve") == "yes"
    assert not frontend.values("Service", "RuntimeDirectory")
    # The engine's socket is where the frontend looks for it, by default and in the example.
    argv = exec_argv(engine)
    socket_path = argv[argv.index("--socket") + 1]
    assert socket_path == str(Config().engine.socket) == "/run/satveto/engine.sock"
    assert str(load_config(EXAMPLE_CONFIG).engine.socket) == socket_path
    assert Path(socket_path).parent == Path("/run") / engine.get("Service", "RuntimeDirectory")
    # The allowed uid is the frontend's, from the environment file written at install.
    assert argv[argv.index("--allowed-uid") + 1] == "${SATVETO_FRONTEND_UID}"
    assert engine.get("Service", "EnvironmentFile") == "/etc/satveto/engine.env"  # required
    assert "--require-mlock" in argv
    # The frontend (another uid, same group) must be able to connect: the socket is created
    # 0660 from the start, not opened afterwards.
    assert argv[argv.index("--socket-mode") + 1] == "0660"
    assert not engine.values("Service", "ExecStartPost")
    assert exec_argv(frontend)[1:] == ["serve", "--config", "/etc/satveto/frontend.toml"]
    # Either restarts alone: no Requires/BindsTo/PartOf in either direction.
    for unit in (engine, frontend):
        for key in ("Requires", "BindsTo", "PartOf", "Requisite"):
            assert not unit.values("Unit", key), (unit.path.name, key)
    assert "satveto-engine.service" in frontend.words("Unit", "After")
    assert engine.get("Service", "WatchdogSec")
    assert frontend.get("Service", "WatchdogSec")


def test_quadlets_match_the_units() -> None:
    engine_unit = UnitFile.parse(ENGINE_UNIT)
    engine, frontend = UnitFile.parse(ENGINE_QUADLET), UnitFile.parse(FRONTEND_QUADLET)
    image = engine.get("Container", "Image")
    assert frontend.get("Container", "Image") == image
    # Same programs and flags as the host units; only the uid is the image's fixed one.
    unit_argv = [
        "990" if word == "${SATVETO_FRONTEND_UID}" else word for word in exec_argv(engine_unit)
    ]
    assert shlex.split(engine.get("Container", "Exec")) == unit_argv
    frontend_argv = shlex.split(frontend.get("Container", "Exec"))
    assert frontend_argv == exec_argv(UnitFile.parse(FRONTEND_UNIT))
    assert engine.get("Container", "User") == "991"
    assert frontend.get("Container", "User") == "990"
    assert engine.get("Container", "Group") == frontend.get("Container", "Group") == "990"
    assert "--allowed-uid 990" in engine.get("Container", "Exec")
    # Both containers see the host's /run/satveto; the engine's unit creates it.
    engine_volumes = engine.values("Container", "Volume")
    frontend_volumes = frontend.values("Container", "Volume")
    assert any(v.startswith("/run/satveto:/run/satveto:") for v in engine_volumes)
    assert any(v.startswith("/run/satveto:/run/satveto:") for v in frontend_volumes)
    assert engine.get("Service", "RuntimeDirectory") == "satveto"
    assert engine.get("Service", "RuntimeDirectoryPreserve") == "yes"
    assert engine.get("Container", "Network") == "none"
    # One Ulimit= line at most: older Quadlet versions keep only the last of several, which
    # silently dropped the engine's memlock limit when a core limit followed it.
    assert engine.get("Container", "Ulimit") == "memlock=-1:-1"
    assert not frontend.values("Container", "Ulimit")
    for container in (engine, frontend):
        assert container.get("Container", "Notify") == "true"
        assert container.get("Container", "ReadOnly") == "true"
        assert container.get("Container", "NoNewPrivileges") == "true"
        assert container.get("Container", "HealthCmd") == "/opt/satveto/bin/satveto-healthcheck"
        assert container.get("Service", "Restart") == "always"
    # The users the Quadlet files name are the image's.
    containerfile = CONTAINERFILE.read_text()
    assert "--uid 990 --gid satveto" in containerfile
    assert "--uid 991 --gid satveto" in containerfile
    assert "--gid 990 satveto" in containerfile


QUADLET_CONTAINER_KEYS = {
    "Image", "ContainerName", "User", "Group", "Exec", "Volume", "Notify", "Network",
    "ReadOnly", "NoNewPrivileges", "DropCapability", "AddCapability", "Ulimit", "HealthCmd",
    "HealthInterval", "HealthOnFailure", "PublishPort", "Environment",
}  # fmt: skip


@pytest.mark.parametrize("path", [ENGINE_QUADLET, FRONTEND_QUADLET], ids=lambda p: p.name)
def test_quadlet_keys_are_known(path: Path) -> None:
    """Quadlet rejects unknown [Container] keys; podman is not here to run its generator."""
    container = UnitFile.parse(path)
    keys = {key for section, key, _ in container.entries if section == "Container"}
    assert keys <= QUADLET_CONTAINER_KEYS, keys - QUADLET_CONTAINER_KEYS
    assert {section for section, _, _ in container.entries} == {
        "Unit", "Container", "Service", "Install",
    }  # fmt: skip


def documented_layout() -> str:
    return OPERATIONS.read_text()


def named_paths(text: str) -> set[str]:
    """Absolute paths in a deployment file (shell and unit syntax), without option suffixes."""
    paths = set()
    for match in re.finditer(r"(?<![\w$:])(/(?:[\w.@-]+/?)+)", text):
        path = match.group(1).rstrip("/")
        if path not in ("", "/"):
            paths.add(path)
    return paths


@pytest.mark.parametrize(
    "path",
    [ENGINE_UNIT, FRONTEND_UNIT, ENGINE_QUADLET, FRONTEND_QUADLET, CONTAINERFILE],
    ids=lambda p: p.name,
)
def test_every_named_path_exists_or_is_in_the_install_layout(path: Path) -> None:
    """Programs the venv installs, system tools present here, or paths docs/operations.md's
    install layout lists (they exist only on an installed host)."""
    layout = documented_layout()
    installed = {"satveto", "satveto-engine", "satveto-healthcheck", "python", "pip"}
    text = "\n".join(
        line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")
    )
    for named in sorted(named_paths(text)):
        if named.startswith(INSTALL_BIN):
            assert named.removeprefix(INSTALL_BIN) in installed, named
        elif named.startswith(("/usr/bin/", "/usr/sbin/")) and Path(named).exists():
            continue
        elif named == "/usr/bin/podman":
            assert "/usr/bin/podman" in layout  # the container host has it, not this machine
        elif named in (
            "/nonexistent",
            "/src",
            "/usr/bin",
            "/opt/satveto/pyvenv.cfg",
            "/opt/satveto/lib",
            "/var/lib/apt/lists",
        ):
            continue  # image build details
        else:
            assert named in layout, f"{path.name}: {named} is not in docs/operations.md"
    for scripts in (Path(sys.executable).parent,):
        assert (scripts / "satveto").exists()
    assert shutil.which("satveto-engine") or engine_binary().exists()


def test_containerfile() -> None:
    text = CONTAINERFILE.read_text()
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?$", text, flags=re.MULTILINE)
    assert len(stages) == 2, stages
    (build_image, build_name), (runtime_image, _) = stages
    assert build_name == "build"
    # One Debian release for both stages: the venv's Python is the runtime's Python.
    assert build_image == "docker.io/library/debian:${DEBIAN_RELEASE}"
    assert runtime_image == "docker.io/library/debian:${DEBIAN_RELEASE}-slim"
    build_part, runtime_part = text.split(f"FROM {runtime_image}")
    runtime_packages = re.search(r"--no-install-recommends\s*\\\s*\n\s*([^\n\\]+)", runtime_part)
    assert runtime_packages is not None
    assert set(runtime_packages.group(1).split()) == {
        "liberfa1",
        "libstdc++6",
        "python3",
        "ca-certificates",
    }
    for compiler_or_header in ("g++", "cmake", "-dev "):
        assert compiler_or_header in build_part
        assert compiler_or_header not in runtime_part
    assert "COPY --from=build /opt/satveto /opt/satveto" in runtime_part
    assert "pyvenv.cfg" in runtime_part  # the build checks the venv's Python is this one
    users = re.findall(r"^USER (\S+)$", runtime_part, flags=re.MULTILINE)
    assert users == ["satveto"]
    assert "HEALTHCHECK" in runtime_part
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, flags=re.MULTILINE):
        for name in source.split():
            assert (REPO / name).exists(), name
    # Every apt run leaves no package cache behind, whatever the base image's apt settings (a
    # base made with mmdebstrap keeps 80 MB of caches that Debian's registry images drop).
    for stage in (build_part, runtime_part):
        assert stage.count("apt-get install") == stage.count("apt-get clean") == 1
    # The venv carries neither pip nor the test suites of the wheels (numpy ships its own).
    assert "pip uninstall --yes --quiet pip setuptools" in build_part
    assert "-type d -name tests" in build_part


def test_build_context_holds_only_what_the_containerfile_copies() -> None:
    """.containerignore (podman; .dockerignore links to it) excludes everything, then lets in
    exactly the COPY sources: no .venv, build tree, tests or git metadata in the context."""
    ignore = REPO / ".containerignore"
    assert (REPO / ".dockerignore").resolve() == ignore.resolve()
    patterns = [
        line.strip()
        for line in ignore.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*"
    included = {p.removeprefix("!") for p in patterns if p.startswith("!")}
    copied = {
        name
        for source in re.findall(
            r"^COPY (?!--from)(.+) \S+$", CONTAINERFILE.read_text(), flags=re.MULTILINE
        )
        for name in source.split()
    }
    assert included == copied
    for excluded in ("engine/tests", "engine/fuzz", "engine/bench", "**/__pycache__"):
        assert excluded in patterns


def test_example_configuration_validates_and_comments_every_key() -> None:
    config = load_config(EXAMPLE_CONFIG)
    assert config.server.port == 443
    assert config.catalog.source == "spacetrack"
    assert config.server.tls_cert is not None
    assert config.spacetrack.credentials_file is not None
    document = tomllib.loads(EXAMPLE_CONFIG.read_text())
    for section in dataclasses.fields(Config):
        keys = {f.name for f in dataclasses.fields(getattr(config, section.name))}
        assert set(document[section.name]) == keys, section.name
    lines = EXAMPLE_CONFIG.read_text().splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^\w+ = ", line):
            assert lines[number - 1].startswith("#"), f"no comment above: {line}"


# --- systemd-analyze ------------------------------------------------------------------------------


def systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze is needed (Debian package `systemd`)"
    return tool


@pytest.fixture
def units_for_this_machine(tmp_path: Path) -> Path:
    """Copies of the units whose programs are this venv's (the rest stays as written)."""
    bin_dir = Path(sys.executable).parent
    engine = engine_binary()
    for unit in (ENGINE_UNIT, FRONTEND_UNIT):
        text = unit.read_text().replace(f"{INSTALL_BIN}satveto-engine", str(engine))
        (tmp_path / unit.name).write_text(text.replace(INSTALL_BIN, f"{bin_dir}/"))
    return tmp_path


def test_systemd_analyze_verify(units_for_this_machine: Path) -> None:
    units = sorted(str(p) for p in units_for_this_machine.glob("*.service"))
    result = subprocess.run(
        [systemd_analyze(), "verify", *units], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.strip() == "", result.stderr


# Exposure ceilings (0 = fully locked down, 10 = unprotected); docs/operations.md has the scores.
EXPOSURE_CEILING = {"satveto-engine.service": 1.0, "satveto-frontend.service": 2.0}


def test_systemd_analyze_security(units_for_this_machine: Path) -> None:
    for name, ceiling in EXPOSURE_CEILING.items():
        result = subprocess.run(
            [systemd_analyze(), "security", "--offline=true", str(units_for_this_machine / name)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        match = re.search(r"Overall exposure level for \S+: ([\d.]+)", result.stdout)
        assert match, result.stdout + result.stderr
        assert float(match.group(1)) <= ceiling, f"{name}: {match.group(1)}\n{result.stdout}"


# --- sd_notify ------------------------------------------------------------------------------------


class NotifyListener:
    """A datagram socket standing in for systemd's notification socket."""

    def __init__(self, directory: Path | None = None) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        if directory is None:  # abstract: NOTIFY_SOCKET=@name
            name = f"satveto-test-notify-{uuid.uuid4().hex}"
            self.sock.bind("\0" + name)
            self.address = "@" + name
        else:
            path = directory / "notify.sock"
            self.sock.bind(str(path))
            self.address = str(path)
        self.messages: list[tuple[float, dict[str, str]]] = []

    def close(self) -> None:
        self.sock.close()

    def _receive(self, timeout_s: float) -> bool:
        self.sock.settimeout(max(timeout_s, 0.001))
        try:
            data = self.sock.recv(4096)
        except TimeoutError:
            return False
        fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
        self.messages.append((time.monotonic(), fields))
        return True

    def wait_for(self, key: str, value: str = "1", timeout_s: float = 15.0) -> float:
        """Monotonic time at which a message with key=value arrived (already or now)."""
        deadline = time.monotonic() + timeout_s
        seen = 0
        while True:
            for at, fields in self.messages[seen:]:
                if fields.get(key) == value:
                    return at
            seen = len(self.messages)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {key}={value} in {self.messages}")
            self._receive(remaining)

    def count(self, key: str, value: str = "1") -> int:
        return sum(1 for _, fields in self.messages if fields.get(key) == value)

    def wait_count(self, count: int, key: str, value: str = "1", timeout_s: float = 15.0) -> None:
        """Until `count` messages with key=value have arrived."""
        deadline = time.monotonic() + timeout_s
        while self.count(key, value) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"fewer than {count} {key}={value} in {self.messages}")
            self._receive(remaining)

    def drain(self) -> None:
        while self._receive(0.001):
            pass


# The unit's process restrictions that apply without systemd, then exec: no_new_privs,
# MemoryDenyWriteExecute (PR_SET_MDWE, Linux >= 6.3; inherited across exec), no core dumps.
UNIT_LIKE_LAUNCHER = """
import ctypes, os, resource, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
libc.prctl(65, 1, 0, 0, 0)  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN (EINVAL on older kernels)
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
os.umask(0o077)
os.execv(sys.argv[1], sys.argv[1:])
"""


def unit_like(argv: list[str]) -> list[str]:
    return [sys.executable, "-c", UNIT_LIKE_LAUNCHER, *argv]


def mdwe_available() -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(66, 0, 0, 0, 0) >= 0  # PR_GET_MDWE


def engine_args_from_unit(run_dir: Path, allowed_uid: int) -> list[str]:
    """The engine unit's ExecStart with /run/satveto moved to `run_dir` and the uid filled in."""
    argv = exec_argv(UnitFile.parse(ENGINE_UNIT))
    assert argv[0] == f"{INSTALL_BIN}satveto-engine"
    argv = [str(allowed_uid) if word == "${SATVETO_FRONTEND_UID}" else word for word in argv[1:]]
    argv = [word.replace("/run/satveto", str(run_dir)) for word in argv]
    if not can_lock_memory():
        argv.remove("--require-mlock")
    return [str(engine_binary()), *argv]


def can_lock_memory() -> bool:
    import resource

    limit = resource.getrlimit(resource.RLIMIT_MEMLOCK)[0]
    return os.geteuid() == 0 or limit == resource.RLIM_INFINITY


@contextlib.contextmanager
def running(argv: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def notify_env(listener: NotifyListener | None, **extra: str) -> dict[str, str]:
    """This environment with $NOTIFY_SOCKET for `listener` (or none), and the working tree's
    frontend first on the path (the venv's `satveto` script would import the installed one)."""
    drop = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    path = os.pathsep.join(p for p in (str(REPO / "frontend"), env.get("PYTHONPATH")) if p)
    env["PYTHONPATH"] = path
    if listener is not None:
        env["NOTIFY_SOCKET"] = listener.address
    return {**env, **extra}


@pytest.mark.parametrize("address", ["abstract", "path"])
def test_engine_notifies_ready_watchdog_and_stopping(tmp_path: Path, address: str) -> None:
    listener = NotifyListener(None if address == "abstract" else tmp_path)
    run_dir = tmp_path / "run"
    run_dir.mkdir(mode=0o750)
    socket_path = run_dir / "engine.sock"
    argv = unit_like(engine_args_from_unit(run_dir, os.getuid()))
    try:
        with running(argv, notify_env(listener, WATCHDOG_USEC="200000")) as engine:
            ready_at = listener.wait_for("READY")
            # READY=1 only once the RPC socket exists and accepts connections.
            assert stat.S_ISSOCK(socket_path.stat().st_mode)
            # The unit's --socket-mode 0660: the group may connect from the first instant.
            assert stat.S_IMODE(socket_path.stat().st_mode) == 0o660
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.connect(str(socket_path))
            # WATCHDOG_USEC = 0.2 s: a ping every 0.1 s.
            listener.wait_count(5, "WATCHDOG")
            pings = [at for at, fields in listener.messages if fields.get("WATCHDOG") == "1"]
            assert len(pings) >= 4, listener.messages
            assert max(b - a for a, b in zip(pings[-4:-1], pings[-3:], strict=True)) < 0.2
            assert listener.count("STOPPING") == 0
            engine.send_signal(signal.SIGTERM)
            stopping_at = listener.wait_for("STOPPING")
            assert engine.wait(10) == 0
            assert ready_at < stopping_at
            assert not socket_path.exists()
            assert listener.count("READY") == 1
    finally:
        listener.close()


def test_engine_ignores_a_watchdog_meant_for_another_process(tmp_path: Path) -> None:
    listener = NotifyListener()
    argv = engine_args_from_unit(tmp_path, os.getuid())
    env = notify_env(listener, WATCHDOG_USEC="100000", WATCHDOG_PID="1")
    try:
        with running(argv, env) as engine:
            listener.wait_for("READY")
            engine.send_signal(signal.SIGTERM)
            assert engine.wait(10) == 0
        # The engine's whole life has passed (a pinger pings at once when it starts, then
        # every 50 ms here); everything it sent is in the socket's queue.
        listener.drain()
        assert listener.count("STOPPING") == 1
        assert listener.count("WATCHDOG") == 0
    finally:
        listener.close()


def test_engine_runs_without_notify_socket(tmp_path: Path) -> None:
    with running(engine_args_from_unit(tmp_path, os.getuid()), notify_env(None)) as engine:
        deadline = time.monotonic() + 10
        while not (tmp_path / "engine.sock").exists():
            assert engine.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.02)
        engine.send_signal(signal.SIGTERM)
        assert engine.wait(10) == 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_frontend_config(
    path: Path,
    *,
    socket_path: Path,
    cert: Path,
    key: Path,
    port: int,
    source: str,
    catalog_file: Path | None = None,
    secret_file: Path | None = None,
    site: dict[str, float] | None = None,
) -> None:
    """examples/frontend.toml with this machine's paths, loopback, and a test catalog source
    (and, given `site`, another observatory position: where it is night, for visits)."""
    document = EXAMPLE_CONFIG.read_text()
    if site is not None:
        for name in ("latitude_deg", "longitude_deg"):
            line = next(x for x in document.splitlines() if x.startswith(f"{name} = "))
            document = document.replace(line, f"{name} = {site[name]!r}")
    replacements = {
        'host = "0.0.0.0"': 'host = "127.0.0.1"',
        "port = 443": f"port = {port}",
        'tls_cert = "/etc/satveto/tls/server.pem"': f'tls_cert = "{cert}"',
        'tls_key = "/etc/satveto/tls/server.key"': f'tls_key = "{key}"',
        'secret_file = "/etc/satveto/secret"': f'secret_file = "{secret_file or ""}"',
        'socket = "/run/satveto/engine.sock"': f'socket = "{socket_path}"',
        'source = "spacetrack"': f'source = "{source}"',
        '\nfile = ""': f'\nfile = "{catalog_file or ""}"',
    }
    for old, new in replacements.items():
        assert old in document, old
        document = document.replace(old, new)
    path.write_text(document)
    load_config(path)


def frontend_argv(config_path: Path) -> list[str]:
    """The frontend unit's ExecStart with this venv's program and `config_path`."""
    argv = exec_argv(UnitFile.parse(FRONTEND_UNIT))
    assert argv[0] == f"{INSTALL_BIN}satveto"
    argv[0] = str(Path(sys.executable).parent / "satveto")
    argv[argv.index("--config") + 1] = str(config_path)
    return argv


def issue_cert(ca: trustme.CA, directory: Path, name: str) -> tuple[Path, Path]:
    issued = ca.issue_cert("localhost", "127.0.0.1")
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    issued.private_key_and_cert_chain_pem.write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    return cert, key


def served_certificate(port: int, ca: trustme.CA) -> bytes:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        certificate = tls.getpeercert(binary_form=True)
    assert certificate is not None
    return certificate


def test_frontend_notifies_ready_once_serving_and_reloads_tls_on_sighup(tmp_path: Path) -> None:
    ca = trustme.CA()
    cert, key = issue_cert(ca, tmp_path, "first")
    listener = NotifyListener()
    socket_path = tmp_path / "engine.sock"
    config_path = tmp_path / "frontend.toml"
    port = free_port()
    write_frontend_config(
        config_path,
        socket_path=socket_path,
        cert=cert,
        key=key,
        port=port,
        source="demo",
    )
    env = notify_env(listener, WATCHDOG_USEC="1000000")
    engine_env = notify_env(None)
    try:
        with (
            running(engine_args_from_unit(tmp_path, os.getuid()), engine_env) as engine,
            running(unit_like(frontend_argv(config_path)), env) as frontend,
        ):
            listener.wait_for("READY", timeout_s=30)
            # Ready means serving: the port answers TLS at once.
            first = served_certificate(port, ca)
            assert listener.wait_for("WATCHDOG", timeout_s=5)  # pings from the event loop
            # SIGHUP: a new certificate for new connections, RELOADING=1 then READY=1 again.
            new_cert, new_key = issue_cert(ca, tmp_path, "second")
            shutil.copyfile(new_cert, cert)
            shutil.copyfile(new_key, key)
            frontend.send_signal(signal.SIGHUP)
            reloading_at = listener.wait_for("RELOADING")
            deadline = time.monotonic() + 10
            while listener.count("READY") < 2:
                assert time.monotonic() < deadline, listener.messages
                listener._receive(deadline - time.monotonic())
            assert served_certificate(port, ca) != first
            assert listener.messages[-1][0] >= reloading_at
            # A broken pair is refused and the certificate in force stays.
            key.write_text("not a key")
            frontend.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 10
            while listener.count("READY") < 3:
                assert time.monotonic() < deadline, listener.messages
                listener._receive(deadline - time.monotonic())
            assert listener.messages[-1][1]["STATUS"] == "serving; last reload failed"
            assert served_certificate(port, ca) != first
            assert frontend.poll() is None
            frontend.send_signal(signal.SIGTERM)
            assert frontend.wait(30) == 0
            engine.send_signal(signal.SIGTERM)
            assert engine.wait(10) == 0
    finally:
        listener.close()


def test_mdwe_is_enforced_by_the_launcher() -> None:
    """The launcher really forbids W+X memory here, so the runs above mean something."""
    if not mdwe_available():
        pytest.fail("PR_SET_MDWE is not available on this kernel (Linux >= 6.3 needed)")
    probe = "import mmap; mmap.mmap(-1, 4096, prot=7)"  # PROT_READ | PROT_WRITE | PROT_EXEC
    result = subprocess.run(
        unit_like([sys.executable, "-c", probe]), capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0
    assert "Permission denied" in result.stderr
