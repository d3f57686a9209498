#!/usr/bin/env python3
"""`make image-test`: smoke test of the built image, run from the image's own root filesystem.

The OCI runtime cannot start containers on every build machine (a sandbox without
CAP_SYS_RESOURCE refuses podman's rlimits), so this driver does the runtime's job itself, with
the settings of the Quadlet files in systemd/: it creates a container from the image without
starting it, mounts its root filesystem (``podman mount``), and starts each program in new
mount, PID, IPC and UTS namespaces (the engine also in a network namespace of its own, as
``Network=none``) on that root made read-only (``ReadOnly=true``), with tmpfs on /tmp, /var/tmp,
/run and /dev, the shared socket directory at /run/satveto and the configuration read-only at
/etc/satveto (the Quadlets' ``Volume=`` lines), as the Quadlet's ``User=``/``Group=`` with only
its ``AddCapability=`` left and no_new_privs set, with the image's environment, running the
Quadlet's own ``Exec=`` command line as PID 1.

What it checks, in order (any failure exits 1 with the programs' logs):

* the image holds no compiler, no -dev package, nothing of the build context (no /src, no
  .venv, no tests), and nothing of the build machine's pip/CA settings that `image/build.sh`
  mounts into the build;
* the engine starts as satveto-engine (991, group 990) with CAP_IPC_LOCK only, locks its
  memory, forbids core dumps, creates its socket 0660, sends READY=1 to the notify socket
  (``Notify=true``), reports itself healthy through the image's health check, and answers
  ``ping`` to the frontend's uid;
* the frontend (``satveto serve``, 990) starts with the demo catalog and a throw-away
  certificate: ``/v1/ready`` answers 200 over TLS on loopback, the demo's sample visit is
  registered and its DIASource request answered with every source on the track vetoed and a
  far one allowed (image/smoke_client.py, run inside the image, makes the requests with the
  demo's own code); READY=1 was sent and the health check passes;
* both stop on SIGTERM, sent from outside to PID 1 as ``podman stop`` does, with status 0
  (the engine saying STOPPING=1 and removing its socket).

Usage: smoke.py IMAGE   (run as root; needs podman, unshare, nsenter from util-linux)
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ENGINE_QUADLET = REPO / "systemd" / "satveto-engine.container"
FRONTEND_QUADLET = REPO / "systemd" / "satveto-frontend.container"
CLIENT = HERE / "smoke_client.py"
PYTHON = "/opt/satveto/bin/python"
HEALTHCHECK = "/opt/satveto/bin/satveto-healthcheck"
TIMEOUT_S = 600  # the whole test; a hung program fails it instead of hanging CI

# Debian packages that would mean a compiler or headers in the runtime image.
BUILD_PACKAGES = re.compile(
    r"^(gcc-\d+|g\+\+(-\d+)?|cpp(-\d+)?|clang.*|cmake|make|binutils.*|.*-dev)$"
)
# Names that only the build context or a developer's checkout holds.
CONTEXT_NAMES = {".venv", ".git", "conftest.py", "pyproject.toml", ".pytest_cache", "build"}
# The repository's test, fuzz and benchmark sources, by file name.
TEST_SOURCES = ("tests", "engine/tests", "engine/fuzz", "engine/bench", "benchmarks")
# What image/build.sh mounts over /root for the build's pip (must not land in the image).
BUILD_MOUNTS = ("root/.config", "etc/pip.conf")


class SmokeFailure(Exception):
    pass


def log(message: str) -> None:
    print(f"image-test: {message}", flush=True)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


def run(*argv: str, **kwargs: object) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise SmokeFailure(f"{shlex.join(argv)}: exit {result.returncode}\n{result.stderr}")
    return str(result.stdout)


# --- the Quadlet files ---------------------------------------------------------------------------


def quadlet(path: Path) -> dict[str, list[str]]:
    """[Container] keys of a Quadlet file (repeated keys in order, continuations joined)."""
    keys: dict[str, list[str]] = {}
    section, pending = "", ""
    for raw in path.read_text().splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "Container":
            key, _, value = line.partition("=")
            keys.setdefault(key.strip(), []).append(value.strip())
    return keys


class Program:
    """How the Quadlet file runs one program: command line, ids, capabilities, network."""

    def __init__(self, name: str, path: Path) -> None:
        keys = quadlet(path)
        self.name = name
        self.argv = shlex.split(keys["Exec"][0])
        self.uid = int(keys["User"][0])
        self.gid = int(keys["Group"][0])
        check(keys.get("DropCapability") == ["all"], f"{path.name}: DropCapability=all expected")
        self.capabilities = [c.lower().removeprefix("cap_") for c in keys.get("AddCapability", [])]
        self.private_network = keys.get("Network") == ["none"]
        self.read_only = keys.get("ReadOnly") == ["true"]
        self.no_new_privileges = keys.get("NoNewPrivileges") == ["true"]
        self.notify = keys.get("Notify") == ["true"]


# --- the container's root filesystem -------------------------------------------------------------


@contextlib.contextmanager
def mounted_container(image: str) -> Iterator[Path]:
    name = f"satveto-image-test-{os.getpid()}"
    run("podman", "create", "--name", name, image)
    try:
        yield Path(run("podman", "mount", name).strip())
    finally:
        subprocess.run(["podman", "umount", name], capture_output=True, check=False)
        subprocess.run(["podman", "rm", "--force", name], capture_output=True, check=False)


def image_environment(image: str) -> dict[str, str]:
    config = json.loads(run("podman", "image", "inspect", "--format", "{{json .Config}}", image))
    env = dict(item.split("=", 1) for item in config.get("Env") or [])
    env.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    env["container"] = "podman"
    env["HOME"] = "/nonexistent"
    return env


def installed_packages(root: Path) -> set[str]:
    status = (root / "var/lib/dpkg/status").read_text()
    packages = set()
    for stanza in status.split("\n\n"):
        name = re.search(r"^Package: (\S+)$", stanza, flags=re.MULTILINE)
        if name and re.search(r"^Status: install ok installed$", stanza, flags=re.MULTILINE):
            packages.add(name.group(1))
    return packages


def check_contents(root: Path) -> None:
    build = sorted(p for p in installed_packages(root) if BUILD_PACKAGES.match(p))
    check(not build, f"build packages in the runtime image: {build}")
    for tool in ("gcc", "g++", "cc", "c++", "cpp", "clang", "cmake", "make", "ld", "as"):
        for directory in ("usr/bin", "usr/local/bin"):
            check(not (root / directory / tool).exists(), f"compiler tool /{directory}/{tool}")
    check(not (root / "usr/lib/gcc").exists(), "/usr/lib/gcc (the compiler's own files)")
    check(not (root / "src").exists(), "/src: the build stage's source tree")
    for leftover in BUILD_MOUNTS:
        check(not (root / leftover).exists(), f"/{leftover}: left by the build's mounts")
    # Nothing of the repository's tests (test_*/conftest files, test and tool programs, by
    # name, anywhere), no checkout debris, and no package's test suite in the venv.
    test_files = {
        path.name
        for directory in TEST_SOURCES
        for path in (REPO / directory).rglob("*")
        if path.is_file() and path.name.startswith(("test_", "conftest"))
    }
    for cmake in (REPO / "engine").glob("*/CMakeLists.txt"):  # the test and tool programs
        test_files.update(re.findall(r"add_executable\((\S+)", cmake.read_text()))
    found = []
    for directory, subdirectories, files in os.walk(root):
        relative = Path(directory).relative_to(root)
        if relative.parts[:1] in (("proc",), ("sys",), ("dev",)):
            subdirectories.clear()
            continue
        in_venv = relative.parts[:2] == ("opt", "satveto")
        for name in subdirectories + files:
            if (
                name in test_files
                or (name in CONTEXT_NAMES and relative.parts[:1] != ("usr",))
                or (in_venv and name in ("tests", "test"))
            ):
                found.append(f"/{relative / name}")
    check(not found, f"build-context or test files in the image: {found[:20]}")
    venvs = [str(p.relative_to(root)) for p in root.glob("**/pyvenv.cfg")]
    check(venvs == ["opt/satveto/pyvenv.cfg"], f"venvs in the image: {venvs}")
    passwd = (root / "etc/passwd").read_text()
    for user, uid in (("satveto", 990), ("satveto-engine", 991)):
        check(f"\n{user}:x:{uid}:990:" in f"\n{passwd}", f"user {user} ({uid}) in group 990")


# --- starting a program the way the container runtime would --------------------------------------

LAUNCH = r"""
set -eu
root=$1 run_dir=$2 etc_dir=$3 net=$4 notify_dir=$5; shift 5
read_only=$READ_ONLY; unset READ_ONLY
[ "$net" = private ] && ip link set lo up 2>/dev/null || true
mount --make-rprivate /
mount --bind "$root" "$root"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount -t tmpfs -o mode=0755,nosuid,size=64k tmpfs "$root/dev"
for node in null zero full random urandom tty; do
  touch "$root/dev/$node"; mount --bind "/dev/$node" "$root/dev/$node"
done
ln -s /proc/self/fd "$root/dev/fd"
mkdir "$root/dev/shm"; mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"
for tmp in tmp var/tmp; do mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/$tmp"; done
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$root/run"
mkdir "$root/run/satveto"; mount --bind "$run_dir" "$root/run/satveto"
mount --bind "$etc_dir" "$root/etc/satveto"; mount -o remount,bind,ro "$root/etc/satveto"
if [ "$notify_dir" != - ]; then
  mkdir "$root/run/notify"; mount --bind "$notify_dir" "$root/run/notify"
fi
[ "$read_only" = yes ] && mount -o remount,bind,ro "$root"
exec chroot "$root" "$@"
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Container:
    """One program started by LAUNCH: PID 1 of its own namespaces, as the Quadlet says."""

    def __init__(
        self,
        program: Program,
        root: Path,
        run_dir: Path,
        etc_dir: Path,
        env: dict[str, str],
        logs: Path,
        argv: list[str] | None = None,
        stdin: int | None = subprocess.DEVNULL,
    ) -> None:
        self.name = program.name
        self.log_path = logs / f"{program.name}.log"
        capabilities = ",".join(f"+{c}" for c in program.capabilities)
        drop = [
            "--reuid",
            str(program.uid),
            "--regid",
            str(program.gid),
            "--clear-groups",
            f"--inh-caps=-all{',' + capabilities if capabilities else ''}",
            f"--bounding-set=-all{',' + capabilities if capabilities else ''}",
        ]
        if capabilities:
            drop.append(f"--ambient-caps={capabilities}")
        if program.no_new_privileges:
            drop.append("--no-new-privs")
        namespaces = ["--mount", "--pid", "--ipc", "--uts", "--fork", "--kill-child=SIGKILL"]
        if program.private_network:
            namespaces.append("--net")
        # Notify=true: podman hands the container a notify socket at /run/notify/notify.sock and
        # relays READY=1 to systemd; here the socket is this test's, read by notified().
        self.notify: socket.socket | None = None
        self.notified: list[str] = []
        notify_dir = "-"
        program_env = dict(env)
        if program.notify and argv is None:
            directory = logs / f"notify-{program.name}"
            directory.mkdir(mode=0o755)
            self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.notify.bind(str(directory / "notify.sock"))
            os.chmod(directory / "notify.sock", 0o666)
            notify_dir = str(directory)
            program_env["NOTIFY_SOCKET"] = "/run/notify/notify.sock"
        self.process = subprocess.Popen(
            [
                "unshare",
                *namespaces,
                "sh",
                "-c",
                LAUNCH,
                "launch",
                str(root),
                str(run_dir),
                str(etc_dir),
                "private" if program.private_network else "host",
                notify_dir,
                "setpriv",
                *drop,
                "--",
                *(argv or program.argv),
            ],
            env={**program_env, "READ_ONLY": "yes" if program.read_only else "no"},
            stdin=stdin,
            stdout=subprocess.PIPE if argv else self.log_path.open("w"),
            stderr=self.log_path.open("w") if argv else subprocess.STDOUT,
            text=True,
        )
        self.program = program
        self.env = env

    def notified_of(self, state: str, timeout_s: float = 10.0) -> bool:
        """Whether the program sent `state` (e.g. ``READY=1``) to its notify socket."""
        check(self.notify is not None, f"{self.name}: the Quadlet file has no Notify=true")
        assert self.notify is not None
        deadline = time.monotonic() + timeout_s
        while not any(state in message.splitlines() for message in self.notified):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.notify.settimeout(remaining)
            try:
                self.notified.append(self.notify.recv(4096).decode(errors="replace"))
            except TimeoutError:
                return False
        return True

    def pid1(self, timeout_s: float = 10.0) -> int:
        """Host pid of the program (the child of unshare, PID 1 inside)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for entry in Path("/proc").iterdir():
                if entry.name.isdigit():
                    with contextlib.suppress(OSError):
                        fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                        if int(fields[1]) == self.process.pid:
                            return int(entry.name)
            check(self.process.poll() is None, f"{self.name} exited: {self.tail()}")
            time.sleep(0.05)
        raise SmokeFailure(f"{self.name}: no child of unshare")

    def credentials(self) -> dict[str, str]:
        status = (Path("/proc") / str(self.pid1()) / "status").read_text()
        return dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)

    def core_limit(self) -> list[str]:
        """Soft and hard RLIMIT_CORE of the running program (the Quadlets leave it to them)."""
        for line in (Path("/proc") / str(self.pid1()) / "limits").read_text().splitlines():
            if line.startswith("Max core file size"):
                return line.split()[4:6]
        return []

    def healthcheck(self) -> tuple[int, str]:
        """The image's health check inside this container, as its user (``podman healthcheck``)."""
        result = subprocess.run(
            [
                "nsenter",
                "--target",
                str(self.pid1()),
                "--mount",
                "--pid",
                "--ipc",
                "--uts",
                "--net",
                "--root",
                "--wd",
                "--setgid",
                str(self.program.gid),
                "--setuid",
                str(self.program.uid),
                HEALTHCHECK,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env=self.env,
        )
        return result.returncode, (result.stdout + result.stderr).strip()

    def terminate(self, timeout_s: float = 20.0) -> tuple[int | None, float]:
        """SIGTERM to PID 1 from outside (``podman stop``); exit status and seconds taken."""
        started = time.monotonic()
        with contextlib.suppress(ProcessLookupError, SmokeFailure):
            os.kill(self.pid1(timeout_s=1.0), signal.SIGTERM)
        try:
            status: int | None = self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            status = None
        return status, time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()  # unshare --kill-child takes PID 1 and its namespace with it
            self.process.wait()

    def tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        return ""


def wait_for(predicate: object, what: str, container: Container, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        check(container.process.poll() is None, f"{container.name} exited before {what}")
        time.sleep(0.1)
    raise SmokeFailure(f"{container.name}: no {what} after {timeout_s:.0f} s")


# --- the test -----------------------------------------------------------------------------------


def write_configuration(
    root: Path, work: Path, env: dict[str, str], port: int
) -> tuple[Path, Path]:
    """/etc/satveto for the frontend (as docs/operations.md lays it out, ids as in the image),
    and the socket directory (the engine unit's RuntimeDirectory=, owned by the engine)."""
    etc_dir, run_dir = work / "etc", work / "run"
    etc_dir.mkdir(mode=0o750)
    os.chown(etc_dir, 0, 990)
    (etc_dir / "tls").mkdir(mode=0o750)
    os.chown(etc_dir / "tls", 0, 990)
    run_dir.mkdir(mode=0o750)
    os.chown(run_dir, 991, 990)
    # A throw-away certificate from the image's own code (the demo's), written by root.
    with tempfile.TemporaryDirectory(dir=root / "tmp") as scratch:
        inside = "/" + str(Path(scratch).relative_to(root))
        subprocess.run(
            [
                "chroot",
                str(root),
                PYTHON,
                "-c",
                "import sys, pathlib; from satveto.web.tls import write_self_signed_certificate; "
                "write_self_signed_certificate(pathlib.Path(sys.argv[1]))",
                inside,
            ],
            env=env,
            check=True,
            timeout=60,
        )
        shutil.copy(Path(scratch) / "demo-cert.pem", etc_dir / "tls/server.pem")
        shutil.copy(Path(scratch) / "demo-key.pem", etc_dir / "tls/server.key")
        # The demo certificate is a leaf signed by a throw-away CA: clients trust the CA.
        shutil.copy(Path(scratch) / "demo-ca.pem", etc_dir / "tls/ca.pem")
    os.chmod(etc_dir / "tls/server.pem", 0o644)
    os.chmod(etc_dir / "tls/ca.pem", 0o644)
    os.chown(etc_dir / "tls/server.key", 0, 990)
    os.chmod(etc_dir / "tls/server.key", 0o640)
    secret = etc_dir / "secret"
    secret.write_text(secrets.token_hex(16) + "\n")
    os.chown(secret, 990, 990)
    os.chmod(secret, 0o600)
    config = etc_dir / "frontend.toml"
    config.write_text(
        "[server]\n"
        'host = "127.0.0.1"\n'
        f"port = {port}\n"
        'tls_cert = "/etc/satveto/tls/server.pem"\n'
        'tls_key = "/etc/satveto/tls/server.key"\n'
        'secret_file = "/etc/satveto/secret"\n'
        "[engine]\n"
        'socket = "/run/satveto/engine.sock"\n'
        "[catalog]\n"
        'source = "demo"\n' + demo_site_section(root, env)
    )
    os.chown(config, 0, 990)
    os.chmod(config, 0o640)
    # The client script (not part of the image) in the container's own layer, removed with it.
    (root / "etc/satveto").mkdir(exist_ok=True)  # the Volume= mount point
    shutil.copy(CLIENT, root / "smoke_client.py")
    os.chmod(root / "smoke_client.py", 0o644)
    return etc_dir, run_dir


def demo_site_section(root: Path, env: dict[str, str]) -> str:
    """The `[site]` section of the demo's night site (the image's own code chooses it, as
    `satveto demo` does): the service refuses daytime visits, and the smoke test must pass at
    any hour of the day."""
    code = (
        "import time; from satveto.tools.demo import demo_site; s = demo_site(time.time()); "
        "print(s.latitude_deg, s.longitude_deg, s.height_m)"
    )
    out = subprocess.run(
        ["chroot", str(root), PYTHON, "-c", code],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout.split()
    latitude, longitude, height = (float(x) for x in out)
    return f"[site]\nlatitude_deg = {latitude}\nlongitude_deg = {longitude}\nheight_m = {height}\n"


def smoke(image: str) -> dict[str, object]:
    figures: dict[str, object] = {}
    engine_program = Program("engine", ENGINE_QUADLET)
    frontend_program = Program("frontend", FRONTEND_QUADLET)
    client_program = Program("client", FRONTEND_QUADLET)  # the frontend's uid and limits
    client_program.capabilities = []
    socket_path = engine_program.argv[engine_program.argv.index("--socket") + 1]
    check(socket_path.startswith("/run/satveto/"), f"engine socket {socket_path}")

    size = int(run("podman", "image", "inspect", "--format", "{{.Size}}", image))
    figures["image_size_mb"] = round(size / 1e6, 1)
    with (
        mounted_container(image) as root,
        tempfile.TemporaryDirectory(prefix="satveto-image-test-") as work_name,
    ):
        work = Path(work_name)
        os.chmod(work, 0o711)
        check_contents(root)
        log("contents: no compiler, no -dev package, no build context, no test files")
        env = image_environment(image)
        port = free_port()
        etc_dir, run_dir = write_configuration(root, work, env, port)
        started: list[Container] = []

        def start(program: Program, **kwargs: object) -> Container:
            container = Container(program, root, run_dir, etc_dir, env, work, **kwargs)  # type: ignore[arg-type]
            started.append(container)
            return container

        try:
            t0 = time.monotonic()
            engine = start(engine_program)
            socket_file = run_dir / Path(socket_path).name
            wait_for(socket_file.exists, "socket", engine, 60)
            figures["engine_start_s"] = round(time.monotonic() - t0, 2)
            ids = engine.credentials()
            check(ids["Uid"].split() == ["991"] * 4, f"engine uid: {ids['Uid']}")
            check(ids["Gid"].split() == ["990"] * 4, f"engine gid: {ids['Gid']}")
            check(ids["NoNewPrivs"].strip() == "1", "engine without no_new_privs")
            check(int(ids["CapEff"], 16) == 1 << 14, f"engine capabilities {ids['CapEff']}")
            check(int(ids["VmLck"].split()[0]) > 0, f"engine memory not locked: {ids['VmLck']}")
            check(engine.core_limit() == ["0", "0"], f"engine core limit {engine.core_limit()}")
            mode = socket_file.stat()
            check(
                (mode.st_uid, mode.st_gid, mode.st_mode & 0o777) == (991, 990, 0o660),
                f"socket owner/mode {mode.st_uid}:{mode.st_gid} {oct(mode.st_mode & 0o777)}",
            )
            status, output = engine.healthcheck()
            check(status == 0, f"engine health check: {status} {output}")
            check(engine.notified_of("READY=1"), f"engine sent no READY=1: {engine.notified}")
            log(f"engine: uid 991, socket {socket_path} 0660, READY=1 sent, healthy")

            client = start(
                client_program,
                argv=[
                    PYTHON,
                    "/smoke_client.py",
                    socket_path,
                    f"https://127.0.0.1:{port}",
                    "/etc/satveto/tls/ca.pem",
                    "/etc/satveto/secret",
                ],
                stdin=subprocess.PIPE,
            )
            steps: dict[str, dict[str, object]] = {}

            def next_step(expected: str) -> dict[str, object]:
                assert client.process.stdout is not None
                for line in client.process.stdout:
                    if line.startswith("SMOKE "):
                        step = json.loads(line.removeprefix("SMOKE "))
                        steps[step["step"]] = step
                        if step["step"] == expected:
                            return step
                raise SmokeFailure(f"client ended before {expected}: {client.tail()}")

            pong = next_step("ping")["result"]
            check(isinstance(pong, dict), f"ping answer {pong!r}")
            log(f"engine answered ping: {json.dumps(pong)[:200]}")
            figures["demo_objects"] = next_step("catalog")["objects"]

            t1 = time.monotonic()
            frontend = start(frontend_program)
            assert client.process.stdin is not None
            client.process.stdin.write("go\n")
            client.process.stdin.flush()
            ready = next_step("ready")
            check(ready["status"] == 200, f"/v1/ready: {ready['status']}\n{frontend.tail()}")
            figures["frontend_ready_s"] = round(time.monotonic() - t1, 2)
            ids = frontend.credentials()
            check(ids["Uid"].split() == ["990"] * 4, f"frontend uid: {ids['Uid']}")
            check(ids["NoNewPrivs"].strip() == "1", "frontend without no_new_privs")
            check(int(ids["CapEff"], 16) == 1 << 10, f"frontend capabilities {ids['CapEff']}")
            check(frontend.core_limit() == ["0", "0"], f"frontend core {frontend.core_limit()}")
            log(f"frontend: uid 990, /v1/ready 200 over TLS on 127.0.0.1:{port}")
            visit = next_step("visit")
            check(visit["status"] == 200, f"visit: {visit}")
            answer = next_step("diasources")
            check(answer["passed"] is True, f"DIASource answer: {answer}\n{frontend.tail()}")
            log(
                f"visit registered; DIASource request: the {answer['on_track']} sources on the "
                f"track vetoed, {answer['far_allowed']} of the {answer['far']} far ones allowed"
            )
            check(client.process.wait(timeout=30) == 0, f"client: {client.tail()}")
            status, output = frontend.healthcheck()
            check(status == 0, f"frontend health check: {status} {output}")
            check(frontend.notified_of("READY=1"), f"frontend: no READY=1: {frontend.notified}")
            log("frontend: READY=1 sent, healthy")

            for container in (frontend, engine):
                code, seconds = container.terminate()
                check(code == 0, f"{container.name}: SIGTERM gave {code}\n{container.tail()}")
                figures[f"{container.name}_stop_s"] = round(seconds, 2)
                check(
                    container.name != "engine" or container.notified_of("STOPPING=1", 1.0),
                    f"engine sent no STOPPING=1: {container.notified}",
                )
                log(f"{container.name}: stopped on SIGTERM in {seconds:.2f} s, status 0")
            check(not socket_file.exists(), "the engine left its socket behind")
        except SmokeFailure:
            for container in started:
                print(f"--- {container.name} log\n{container.tail()}", file=sys.stderr)
            raise
        finally:
            for container in started:
                container.kill()
    return figures


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("image-test: run as root (podman mount, namespaces, chroot)", file=sys.stderr)
        return 2
    started = time.monotonic()

    def give_up(signum: int, frame: object) -> None:
        raise SmokeFailure(f"no result after {TIMEOUT_S} s")

    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(TIMEOUT_S)
    try:
        figures = smoke(sys.argv[1])
    except (SmokeFailure, subprocess.SubprocessError, OSError) as error:
        print(f"image-test: FAILED: {error}", file=sys.stderr)
        return 1
    figures["smoke_test_s"] = round(time.monotonic() - started, 1)
    log(f"passed: {json.dumps(figures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
