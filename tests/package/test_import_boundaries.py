"""The frontend's import graph, read from the source with ast: which part may depend on which.

The package is layered, and arrows point down only (tools -> web -> services -> engine,
catalog, spacetrack -> foundation), see :data:`LAYERS`.  services/__init__.py promises services
free of HTTP: aiohttp's server types (``aiohttp.web``) belong to the HTTP layer (satveto.web)
only.  The check follows imports through the whole satveto package, so a helper module that
pulls aiohttp.web in counts against every service that imports it.  aiohttp's client (peers,
space-track) is not an HTTP server type and is allowed.  The AP client library
(satveto.apclient) ships to AP: it imports nothing of the server, only the answer check both
sides share.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "frontend" / "satveto"


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


#: Layers, lowest first: a module may import satveto modules of its own layer or a lower one.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundation",
        (
            "satveto",
            "satveto.errors",
            "satveto.models",
            "satveto.answer_check",
            "satveto.runtime",
            "satveto.astro",
        ),
    ),
    ("engine, catalog, space-track", ("satveto.engine", "satveto.catalog", "satveto.spacetrack")),
    ("services", ("satveto.services",)),
    ("web", ("satveto.web",)),
    ("tools", ("satveto.tools",)),
]
CLIENT_LIBRARY = "satveto.apclient"
#: What the client library may import of the package: the version and the shared answer check.
CLIENT_MAY_IMPORT = {"satveto", "satveto.answer_check"}


def layer_of(module: str) -> int:
    """The layer of a package module (the longest prefix that names it; the root only itself)."""
    best, length = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            owns = module == prefix or (prefix != "satveto" and module.startswith(prefix + "."))
            if owns and len(prefix) > length:
                best, length = index, len(prefix)
    return best


def satveto_imports(module: str) -> set[str]:
    """The package modules `module` imports directly."""
    return {name for name in imported(module) if name in MODULES and name != module}


def test_every_module_has_a_place() -> None:
    """A new module or subpackage must be given a layer (or be the client library)."""
    homeless = [m for m in MODULES if m != CLIENT_LIBRARY and layer_of(m) < 0]
    assert not homeless, homeless
    # The map must match what is there: each layer names existing modules.
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            assert any(m == prefix or m.startswith(prefix + ".") for m in MODULES), (name, prefix)


def test_arrows_point_down_the_layers() -> None:
    upward = []
    for module in sorted(MODULES):
        if module == CLIENT_LIBRARY:
            continue
        for target in sorted(satveto_imports(module)):
            if target == CLIENT_LIBRARY or layer_of(target) > layer_of(module):
                upward.append(f"{module} -> {target}")
    assert not upward, upward


def test_the_layers_see_each_other_as_drawn() -> None:
    # Sanity of the walk: real arrows of each kind are found (so the test above can fail).
    assert "satveto.services.peers" in satveto_imports("satveto.web.handlers.visits")
    assert "satveto.engine.rpc" in satveto_imports("satveto.services.visits")
    assert "satveto.runtime.config" in satveto_imports("satveto.web.app")
    assert "satveto.web.app" in satveto_imports("satveto.tools.cli")
    assert layer_of("satveto.web.handlers.ap") > layer_of("satveto.services.fail_safe")
    assert layer_of("satveto.satveto_stray") == -1


def test_the_client_library_imports_nothing_of_the_server() -> None:
    seen = reaches(CLIENT_LIBRARY)
    package = {name for name in seen if name in MODULES and name != CLIENT_LIBRARY}
    assert package <= CLIENT_MAY_IMPORT, sorted(package - CLIENT_MAY_IMPORT)
    assert "satveto.answer_check" in package  # the walk sees the one import it has
