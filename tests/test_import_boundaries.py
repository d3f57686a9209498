"""The frontend's import graph, read from the source with ast: what services may depend on.

services/__init__.py promises services free of HTTP: aiohttp's server types (``aiohttp.web``)
belong to the handlers and the application only.  The check follows imports through the whole
satveto package, so a helper module that pulls aiohttp.web in counts against every service that
imports it.  aiohttp's client (peers, space-track) is not an HTTP server type and is allowed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "frontend" / "satveto"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported(module: str) -> Iterator[str]:
    """Every module `module` imports (TYPE_CHECKING imports included), by dotted name."""
    tree = ast.parse(MODULES[module].read_text(), filename=str(MODULES[module]))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{module}: relative import"
            base = node.module or ""
            yield base
            for alias in node.names:  # `from aiohttp import web`, `from satveto.web import tls`
                yield f"{base}.{alias.name}"


def is_http_server(name: str) -> bool:
    return name == "aiohttp.web" or name.startswith(("aiohttp.web.", "aiohttp.web_"))


def reaches(start: str) -> dict[str, str]:
    """The satveto modules and outside names `start` reaches, each with the module importing it."""
    seen: dict[str, str] = {start: ""}
    todo = [start]
    while todo:
        module = todo.pop()
        for name in imported(module):
            if name in seen:
                continue
            seen[name] = module
            if name in MODULES:
                todo.append(name)
    return seen


SERVICES = sorted(name for name in MODULES if name.startswith("satveto.services."))


def test_the_graph_is_read() -> None:
    # The walk must see what is there: the application imports aiohttp.web, directly and not.
    assert {"satveto.services.fail_safe", "satveto.services.supervision"} <= set(SERVICES)
    assert "aiohttp.web" in set(imported("satveto.web.app"))
    assert any(is_http_server(name) for name in reaches("satveto.web.handlers.ops"))
    assert "satveto.errors" in reaches("satveto.services.visits")


@pytest.mark.parametrize("service", SERVICES)
def test_services_do_not_import_http_server_types(service: str) -> None:
    seen = reaches(service)
    chains = []
    for name in filter(is_http_server, seen):
        chain = [name]
        while seen[chain[-1]]:
            chain.append(seen[chain[-1]])
        chains.append(" <- ".join(chain))
    assert not chains, chains


def test_no_import_cycles_in_the_package() -> None:
    """Arrows point one way (TYPE_CHECKING imports count: a loop there is a loop in design)."""
    edges = {m: {n for n in imported(m) if n in MODULES and n != m} for m in MODULES}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(MODULES):
        if module not in state:
            visit(module, [module])
    # A package's __init__ importing its own modules is how packages expose names, not a loop.
    cycles = [c for c in cycles if not all(m.startswith(c[0] + ".") or m == c[0] for m in c)]
    assert not cycles, cycles
