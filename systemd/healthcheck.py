#!/usr/bin/env python3
"""Container health check for the satveto image (installed as /opt/satveto/bin/satveto-healthcheck).

One image runs two programs, so the check looks at what PID 1 is:

* ``satveto-engine``: the socket named by ``--socket`` accepts a connection (the engine closes
  it at once unless the peer is the frontend's uid: accepting is the sign of life);
* ``satveto serve``: ``GET /v1/health`` answers 200 over HTTPS on the configured port (the
  certificate is not verified: this is the process talking to itself over loopback).

Liveness only, never readiness: a stale catalog makes /v1/ready fail, and restarting the
container would not fix it.  Exit 0 healthy, 1 unhealthy.
"""

from __future__ import annotations

import socket
import ssl
import sys
import tomllib
import urllib.request
from pathlib import Path


def _argument(argv: list[str], flag: str, default: str) -> str:
    return argv[argv.index(flag) + 1] if flag in argv[:-1] else default


def check_engine(argv: list[str]) -> bool:
    path = _argument(argv, "--socket", "/run/satveto/engine.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(4.0)
        sock.connect(path)
    return True


def check_frontend(argv: list[str]) -> bool:
    config = tomllib.loads(
        Path(_argument(argv, "--config", "/etc/satveto/frontend.toml")).read_text()
    )
    port = int(config.get("server", {}).get("port", 8443))
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(
        f"https://127.0.0.1:{port}/v1/health", context=context, timeout=4
    ) as answer:
        return answer.status == 200


def main() -> int:
    argv = Path("/proc/1/cmdline").read_bytes().decode().split("\0")
    try:
        healthy = check_engine(argv) if "satveto-engine" in argv[0] else check_frontend(argv)
    except (OSError, ValueError, tomllib.TOMLDecodeError) as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
