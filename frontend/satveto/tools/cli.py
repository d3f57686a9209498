"""The `satveto` command: `serve` runs the frontend, `demo` is the README's `make run`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from aiohttp import web

from satveto import __version__
from satveto.catalog.sources import build_source
from satveto.runtime.config import ConfigError, load_config
from satveto.runtime.hardening import forbid_memory_dumps
from satveto.runtime.logs import configure_logging
from satveto.runtime.notify import reload_tls, serving_hook
from satveto.tools import plot
from satveto.web.app import create_app
from satveto.web.tls import allowlist_listener, server_ssl_context

log = logging.getLogger("satveto")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="satveto", description="Satellite veto service frontend")
    parser.add_argument("--version", action="version", version=f"satveto {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTPS frontend")
    serve.add_argument("--config", type=Path, required=True, help="TOML configuration file")
    demo = commands.add_parser("demo", help="engine + frontend on localhost with a demo catalog")
    demo.add_argument("--port", type=int, default=8443)
    demo.add_argument("--no-serve", action="store_true", help="exit after the sample requests")
    plot_visit = commands.add_parser("plot-visit", help="PNG of a visit from the local engine")
    plot.add_arguments(plot_visit)
    args = parser.parse_args(argv)

    configure_logging()
    forbid_memory_dumps()
    if args.command == "serve":
        return serve_command(args.config)
    if args.command == "plot-visit":
        return plot.run(args)
    from satveto.tools.demo import run_demo

    return asyncio.run(run_demo(port=args.port, keep_serving=not args.no_serve))


def serve_command(config_path: Path) -> int:
    try:
        config = load_config(config_path)
        tls_cert, tls_key = config.server.tls_cert, config.server.tls_key
        if tls_cert is None or tls_key is None:
            raise ConfigError("server.tls_cert: required by `satveto serve` (and server.tls_key)")
        ssl_context = server_ssl_context(tls_cert, tls_key)
        catalog_source = build_source(config)  # reads and checks the credentials now
        app = create_app(config, catalog_source=catalog_source)  # checks the secret file
    except (ConfigError, OSError) as error:
        print(f"satveto: configuration error: {error}", file=sys.stderr)
        return 2
    log.info(
        "starting",
        extra={
            "version": __version__,
            "host": config.server.host,
            "port": config.server.port,
            "engine_socket": str(config.engine.socket),
        },
    )
    try:
        # Strangers are reset at accept, before TLS (tls.AllowlistListener).
        listener = allowlist_listener(
            config.server.host, config.server.port, config.server.allow_networks
        )
    except OSError as error:
        print(
            f"satveto: cannot listen on {config.server.host}:{config.server.port}: {error}",
            file=sys.stderr,
        )
        return 2
    web.run_app(
        app,
        sock=listener,
        ssl_context=ssl_context,
        access_log=None,
        # Called once the site serves: READY=1 to systemd, SIGHUP reloads the certificate.
        print=serving_hook(lambda: reload_tls(ssl_context, tls_cert, tls_key)),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
