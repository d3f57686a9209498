"""systemd service notification (the sd_notify protocol) without libsystemd, and SIGHUP reload.

Under ``Type=notify`` systemd passes ``$NOTIFY_SOCKET``, a Unix datagram socket (a path, or an
abstract name written with a leading ``@``); the service sends newline-separated ``KEY=VALUE``
states to it.  The frontend sends ``READY=1`` once its HTTPS site accepts connections,
``WATCHDOG=1`` from the event loop while ``$WATCHDOG_USEC`` asks for it (so a blocked loop gets
the unit restarted), and ``RELOADING=1`` / ``READY=1`` around a SIGHUP reload of the TLS
certificate.  Outside systemd every call is a no-op.

:func:`serving_hook` returns the callable given to ``aiohttp.web.run_app(print=...)``, which
aiohttp calls once every site has started: that is the moment the service is ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import ssl
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("satveto.notify")

# Background tasks must be referenced somewhere, or the event loop may drop them.
_tasks: set[asyncio.Task[None]] = set()


def notify(state: str) -> bool:
    """Sends `state` (e.g. ``"READY=1\\nSTATUS=serving"``) to $NOTIFY_SOCKET.

    Returns True when it was sent, False when there is no $NOTIFY_SOCKET or sending failed;
    never raises, since notification trouble must not stop the service.
    """
    target = os.environ.get("NOTIFY_SOCKET", "")
    if not target:
        return False
    if target[0] not in "/@":
        log.warning("NOTIFY_SOCKET is not a usable socket address; systemd not notified")
        return False
    address = "\0" + target[1:] if target[0] == "@" else target
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(state.encode(), address)
    except OSError as error:
        log.warning("systemd notification failed", extra={"error": error.strerror})
        return False
    return True


def watchdog_timeout_s() -> float | None:
    """The keep-alive deadline from $WATCHDOG_USEC (None when not requested or not for us)."""
    try:
        usec = int(os.environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    pid = os.environ.get("WATCHDOG_PID")
    if usec <= 0 or (pid is not None and pid != str(os.getpid())):
        return None
    return usec / 1e6


async def watchdog_loop(timeout_s: float) -> None:
    """Pings WATCHDOG=1 every `timeout_s / 2` from the event loop, until cancelled."""
    period = max(timeout_s / 2.0, 0.001)
    while True:
        notify("WATCHDOG=1")
        await asyncio.sleep(period)


def reload_tls(context: ssl.SSLContext, cert_file: Path, key_file: Path) -> bool:
    """Loads a new certificate and key into the live server context; new handshakes use them.

    The pair is first loaded into a scratch context so that a bad or mismatched file leaves
    the certificate in force untouched.  Returns False (and logs) when the files are unusable.
    """
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert_file, key_file)
        context.load_cert_chain(cert_file, key_file)
    except (OSError, ssl.SSLError) as error:
        log.error(
            "TLS reload failed; the certificate in force is kept",
            extra={"cert": str(cert_file), "error": str(error)},
        )
        return False
    log.info("TLS certificate reloaded", extra={"cert": str(cert_file)})
    return True


def _on_hangup(reload: Callable[[], bool]) -> None:
    notify(f"RELOADING=1\nMONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}")
    ok = reload()
    notify("READY=1\nSTATUS=" + ("serving" if ok else "serving; last reload failed"))


def serving_hook(reload: Callable[[], bool] | None = None) -> Callable[..., None]:
    """The ``print=`` callable for ``web.run_app``: aiohttp calls it once the sites serve.

    It sends READY=1, starts the watchdog pings when systemd asked for them, and with
    `reload` installs a SIGHUP handler that runs it (see :func:`reload_tls`).
    """

    def announce(*_banner: object, **_print_options: object) -> None:
        loop = asyncio.get_running_loop()
        if reload is not None:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signal.SIGHUP, _on_hangup, reload)
        timeout_s = watchdog_timeout_s()
        if timeout_s is not None:
            task = loop.create_task(watchdog_loop(timeout_s))
            _tasks.add(task)
            task.add_done_callback(_tasks.discard)
        notify("READY=1\nSTATUS=serving")
        log.info("serving", extra={"systemd_notified": bool(os.environ.get("NOTIFY_SOCKET"))})

    return announce
