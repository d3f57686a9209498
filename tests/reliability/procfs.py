"""What /proc says about a process: memory, locks, limits, capabilities."""

from __future__ import annotations

from pathlib import Path

CAP_IPC_LOCK = 14


def status_field(pid: int, name: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key == name:
            return value.strip()
    raise KeyError(name)


def kib(pid: int, name: str) -> int:
    """A ``/proc/PID/status`` memory figure (``VmRSS``, ``VmLck``, ``VmHWM``...) in KiB."""
    value = status_field(pid, name)
    number, unit = value.split()
    assert unit == "kB", value
    return int(number)


def rss_mib(pid: int) -> float:
    return kib(pid, "VmRSS") / 1024.0


def core_limit(pid: int) -> tuple[str, str]:
    """(soft, hard) of ``Max core file size`` in /proc/PID/limits."""
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max core file size"):
            soft, hard = line.split()[4:6]
            return soft, hard
    raise KeyError("Max core file size")


def has_capability(pid: int, bit: int, which: str = "CapEff") -> bool:
    return bool((int(status_field(pid, which), 16) >> bit) & 1)


def group_of_proc_dir(pid: int) -> int:
    """The group owning /proc/PID/status: root for a process that is not dumpable
    (PR_SET_DUMPABLE 0), the process's effective gid otherwise (proc(5), "/proc/pid")."""
    return Path(f"/proc/{pid}/status").stat().st_gid
