"""Process hardening of the frontend: it holds the catalog in memory too."""

from __future__ import annotations

import ctypes
import ctypes.util
import resource

_PR_SET_DUMPABLE = 4


def forbid_memory_dumps() -> bool:
    """No core dumps and not dumpable (no ptrace or /proc/PID/mem by same-uid processes)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    return int(libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)) == 0
