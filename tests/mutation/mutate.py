"""Test strength, measured: deliberate bugs that the named tests must catch (`make mutate`).

Each entry of mutations.toml names a file, an exact snippet of it, the snippet's buggy
replacement and the tests that must fail once the bug is in.  The runner

1. copies the working tree (tracked and untracked, not ignored files) to a scratch directory,
   build/mutate/src, updating only files whose content changed, so that the engine's builds
   there stay incremental from one run to the next: build/mutate/engine (Release, the binary
   the Python tests start) and build/mutate/unit-tests (Debug, the Catch2 binary);
2. builds both from the unmutated copy and runs every named test once there: each must pass
   (and each Catch2 spec select exactly its test cases), or a kill would prove nothing;
3. applies the mutations one at a time to the scratch copy (the engine's first), rebuilding
   what a C++ mutation needs, runs that mutation's tests and puts the file back: *killed* when
   a named test fails (or hangs past MUTANT_TIMEOUT_S), *survived* when all pass, *broken*
   when the mutant does not build or stops pytest collecting (a list error: a mutant must
   change behaviour, not break the import).

The working tree is never written.  Exit status 0 only when every mutation is killed.

    python tests/mutation/mutate.py            # every mutation
    python tests/mutation/mutate.py --only ID  # some of them (repeatable)
    python tests/mutation/mutate.py --check    # the list against the tree, no build, no run

`--check` (also run by `make test`, through tests/mutation/test_mutation_list.py) proves the
list still fits the code: every snippet occurs exactly once in its file and every named test
exists, so a refactoring that moves a file or renames a test breaks it at once.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LIST = Path(__file__).with_name("mutations.toml")

#: Prefix of a Catch2 test case name in a mutation's `tests`; anything else is a pytest node id.
CATCH2 = "catch2:"
#: Characters Catch2 v2 reads as test-spec syntax; escaped with a backslash in a name.
_CATCH2_SPECIAL = set(',[]*\\~"')
_TEST_CASE = re.compile(r'TEST_CASE\(\s*"((?:[^"\\]|\\.)*)"')
_KEYS = {"id", "file", "original", "mutant", "why", "tests"}

#: One mutant's tests are stopped after this long and the mutant counted as killed (timeout);
#: pytest's own per-test timeout (300 s, pyproject.toml) normally fires first.
MUTANT_TIMEOUT_S = 900.0


@dataclass(frozen=True)
class Mutation:
    id: str
    file: str  # relative to the repository root
    original: str  # occurs exactly once in `file`
    mutant: str
    why: str
    tests: tuple[str, ...]

    @property
    def in_engine(self) -> bool:
        return self.file.startswith("engine/")

    @property
    def pytest_ids(self) -> list[str]:
        return [t for t in self.tests if not t.startswith(CATCH2)]

    @property
    def catch2_names(self) -> list[str]:
        return [t.removeprefix(CATCH2) for t in self.tests if t.startswith(CATCH2)]


class ListError(Exception):
    """mutations.toml is malformed (a problem of the list, not of the code)."""


def load(path: Path = LIST) -> list[Mutation]:
    data = tomllib.loads(path.read_text())
    entries = data.get("mutation")
    if not isinstance(entries, list) or not entries:
        raise ListError(f"{path.name}: no [[mutation]] entries")
    mutations: list[Mutation] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{path.name}: mutation {index + 1} ({entry.get('id', '?')})"
        if set(entry) != _KEYS:
            raise ListError(f"{where}: keys must be {sorted(_KEYS)}, not {sorted(entry)}")
        tests = entry["tests"]
        text_fields = [entry[k] for k in ("id", "file", "original", "why")]
        if not all(isinstance(v, str) and v for v in text_fields):
            raise ListError(f"{where}: id, file, original and why must be non-empty text")
        if not isinstance(entry["mutant"], str):
            raise ListError(f"{where}: mutant must be text (empty: the snippet is deleted)")
        if not isinstance(tests, list) or not tests or not all(isinstance(t, str) for t in tests):
            raise ListError(f"{where}: tests must be a non-empty list of test names")
        if entry["original"] == entry["mutant"]:
            raise ListError(f"{where}: the mutant equals the original")
        if entry["id"] in seen:
            raise ListError(f"{where}: duplicate id")
        seen.add(entry["id"])
        mutations.append(Mutation(**{**entry, "tests": tuple(tests)}))
    return mutations


# --- --check: the list against a tree -----------------------------------------------------------


def _pytest_functions(path: Path) -> set[str]:
    """`name` and `Class::name` of every test function a pytest file defines."""
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    for node in tree.body:
        if isinstance(node, functions):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(f"{node.name}::{f.name}" for f in node.body if isinstance(f, functions))
    return names


def catch2_test_names(root: Path) -> set[str]:
    names: set[str] = set()
    for source in sorted((root / "engine" / "tests").rglob("*.cpp")):
        names.update(_TEST_CASE.findall(source.read_text()))
    return names


def check(mutations: Sequence[Mutation], root: Path = REPO) -> list[str]:
    """Every problem that would make a run meaningless; empty when the list fits the tree.

    Parametrised pytest ids (``test_x[case]``) are checked down to the function here; the
    case itself is checked when `make mutate` collects the tests before any mutant.
    """
    problems: list[str] = []
    catch2 = catch2_test_names(root)
    functions: dict[str, set[str] | None] = {}
    for m in mutations:
        target = root / m.file
        if not target.is_file():
            problems.append(f"{m.id}: {m.file} does not exist")
        else:
            count = target.read_text().count(m.original)
            if count != 1:
                problems.append(f"{m.id}: the original snippet occurs {count} times in {m.file}")
        if m.catch2_names and not m.in_engine:
            problems.append(f"{m.id}: a Catch2 test cannot catch a bug outside engine/")
        for name in m.catch2_names:
            if name not in catch2:
                problems.append(f"{m.id}: no Catch2 TEST_CASE named {name!r}")
        for node in m.pytest_ids:
            file, _, function = node.partition("::")
            if file not in functions:
                path = root / file
                functions[file] = _pytest_functions(path) if path.is_file() else None
            known = functions[file]
            if known is None:
                problems.append(f"{m.id}: {file} does not exist")
            elif not function or function.split("[", 1)[0] not in known:
                problems.append(f"{m.id}: no test {function or '(none named)'} in {file}")
    return problems


# --- the scratch copy ---------------------------------------------------------------------------


def tree_files(root: Path) -> list[str]:
    """The working tree's files as git sees them: tracked and untracked, not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return sorted(p for p in listed.split("\0") if p and (root / p).is_file())


_SCRATCH_ONLY = {"__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache"}


def sync(root: Path, scratch: Path) -> int:
    """Makes `scratch` hold `root`'s files; unchanged files keep their times.  Returns how
    many files were written."""
    files = tree_files(root)
    written = 0
    for name in files:
        source, copy = root / name, scratch / name
        data = source.read_bytes()
        if copy.is_file() and copy.read_bytes() == data:
            continue
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(data)
        shutil.copymode(source, copy)
        written += 1
    wanted = set(files)
    for path in sorted(scratch.rglob("*"), reverse=True):
        relative = path.relative_to(scratch)
        if _SCRATCH_ONLY & set(relative.parts):
            continue
        if path.is_file() and str(relative) not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return written


# --- building and running -----------------------------------------------------------------------


@dataclass
class Workspace:
    scratch: Path  # the copy of the tree
    builds: Path  # the engine's builds of the copy
    python: Path  # the interpreter whose environment has the test dependencies
    jobs: int
    catch2: bool  # whether the unit-test binary is needed at all

    @property
    def engine_build(self) -> Path:
        """Release, as `make build` builds the binary the Python tests start."""
        return self.builds / "engine"

    @property
    def tests_build(self) -> Path:
        """Debug, as `make engine-tests` builds the unit tests (without the sanitizers, for
        speed; GCC 12 at -O3 stops the test sources on a false -Wrestrict)."""
        return self.builds / "unit-tests"

    @property
    def engine_binary(self) -> Path:
        return self.engine_build / "satveto-engine"

    @property
    def unit_tests(self) -> Path:
        return self.tests_build / "tests" / "satveto-unit-tests"

    def configure(self) -> None:
        source = str(self.scratch / "engine")
        release = ["-DCMAKE_BUILD_TYPE=Release", "-DSATVETO_BUILD_TESTS=OFF"]
        _run(["cmake", "-S", source, "-B", str(self.engine_build), *release])
        if self.catch2:
            debug = ["-DCMAKE_BUILD_TYPE=Debug", "-DSATVETO_BUILD_TESTS=ON"]
            _run(["cmake", "-S", source, "-B", str(self.tests_build), *debug])

    def build(self, *, engine: bool = True, unit_tests: bool = False) -> bool:
        """Builds what is asked (incrementally); False, with the compiler's output shown, when
        a build fails."""
        wanted = [(self.engine_build, "satveto-engine")] if engine else []
        if unit_tests:
            wanted.append((self.tests_build, "satveto-unit-tests"))
        for directory, target in wanted:
            command = ["nice", "cmake", "--build", str(directory), "-j", str(self.jobs)]
            done = subprocess.run([*command, "--target", target], capture_output=True, text=True)
            if done.returncode != 0:
                print(_tail(done.stdout + done.stderr, 40), file=sys.stderr)
                return False
        return True

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        # Tests and the subprocesses they start import the copy's frontend, never the
        # installed package, and start the copy's engine.
        paths = [str(self.scratch / "frontend"), str(self.scratch / "tests")]
        env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        env["SATVETO_ENGINE_BINARY"] = str(self.engine_binary)
        env["SATVETO_SGP4_DATA_DIR"] = _sgp4_data_dir(self.python)
        return env

    def run_pytest(self, nodes: Sequence[str], *extra: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.python), "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
        # A fixed seed: a mutant is killed (or not) the same way on every run.
        command += ["--hypothesis-seed=0", *extra, *nodes]
        return _run_for(command, self.scratch, self.environment())

    def run_catch2(self, names: Sequence[str]) -> subprocess.CompletedProcess[str]:
        command = [str(self.unit_tests), catch2_spec(names)]
        return _run_for(command, self.scratch, self.environment())

    def catch2_matches(self, names: Sequence[str]) -> set[str]:
        """The test cases the spec for `names` selects in the built binary."""
        listed = subprocess.run(
            [str(self.unit_tests), "--list-test-names-only", catch2_spec(names)],
            capture_output=True,
            text=True,
        ).stdout.splitlines()
        return {line.strip() for line in listed if line.strip()}


def catch2_spec(names: Sequence[str]) -> str:
    """One Catch2 test spec selecting exactly the named test cases.  Catch2 v2 joins its
    positional arguments without a separator, so the alternatives go in one argument, joined
    by commas, each name's special characters escaped."""
    return ",".join("".join("\\" + c if c in _CATCH2_SPECIAL else c for c in n) for n in names)


def _run(command: Sequence[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{_tail(done.stdout + done.stderr, 40)}")


def _run_for(
    command: Sequence[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["nice", *command],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=MUTANT_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as expired:
        out = expired.stdout.decode() if isinstance(expired.stdout, bytes) else expired.stdout
        return subprocess.CompletedProcess(command, -1, out or "", "timed out")


def _sgp4_data_dir(python: Path) -> str:
    code = "import os, sgp4; print(os.path.dirname(sgp4.__file__))"
    return subprocess.run(
        [str(python), "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()


def _tail(text: str, lines: int) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _failed_tests(output: str) -> list[str]:
    """The failing tests as pytest's summary (-ra) or Catch2 names them."""
    found = re.findall(r"^(?:FAILED|ERROR) (\S+)", output, re.MULTILINE)
    return found or re.findall(r"^(\S.*)\n-{10,}", output, re.MULTILINE)[:3]


@dataclass
class Outcome:
    mutation: Mutation
    status: str  # killed | survived | broken
    seconds: float
    detail: str


#: pytest's exit status when tests ran and some failed; -1 here: stopped at MUTANT_TIMEOUT_S.
#: Any other status (collection or usage error) means the mutant broke the code's import, not
#: its behaviour: the list needs a better mutant.
_PYTEST_FAILED = (1, -1)


def run_tests(ws: Workspace, m: Mutation) -> tuple[str, str]:
    """(killed | survived | broken, what failed) for the mutation's tests on the copy now."""
    if m.catch2_names:
        done = ws.run_catch2(m.catch2_names)
        if done.returncode != 0:
            return "killed", "Catch2: " + _tail(done.stdout + done.stderr, 3).replace("\n", " | ")
    if m.pytest_ids:
        done = ws.run_pytest(m.pytest_ids)
        if done.returncode != 0:
            why = _failed_tests(done.stdout) or [_tail(done.stdout + done.stderr, 2)]
            status = "killed" if done.returncode in _PYTEST_FAILED else "broken"
            return status, f"pytest exit {done.returncode}: " + ", ".join(why)
    return "survived", ""


def baseline(ws: Workspace, mutations: Sequence[Mutation]) -> None:
    """Every named test exists and passes on the unmutated copy; otherwise no run."""
    nodes = sorted({n for m in mutations for n in m.pytest_ids})
    if nodes:
        collected = ws.run_pytest(nodes, "--collect-only")
        if collected.returncode != 0:
            raise SystemExit(
                f"named tests do not collect:\n{_tail(collected.stdout + collected.stderr, 20)}"
            )
        passed = ws.run_pytest(nodes)
        if passed.returncode != 0:
            raise SystemExit(
                f"the named tests fail without any mutation:\n{_tail(passed.stdout, 30)}"
            )
    names = sorted({n for m in mutations for n in m.catch2_names})
    if names:
        # Each mutation's spec must select exactly its tests: a spec that matches nothing
        # runs nothing and passes.
        for m in mutations:
            if m.catch2_names and ws.catch2_matches(m.catch2_names) != set(m.catch2_names):
                found = sorted(ws.catch2_matches(m.catch2_names))
                raise SystemExit(f"{m.id}: the Catch2 spec selects {found}, not its tests")
        done = ws.run_catch2(names)
        if done.returncode != 0:
            raise SystemExit(
                f"the named Catch2 tests fail without any mutation:\n{_tail(done.stdout, 30)}"
            )


def apply_and_run(ws: Workspace, m: Mutation) -> Outcome:
    started = time.monotonic()
    path = ws.scratch / m.file
    original = path.read_text()
    if original.count(m.original) != 1:
        return Outcome(m, "broken", 0.0, "the original snippet is not in the file exactly once")
    path.write_text(original.replace(m.original, m.mutant))
    try:
        if m.in_engine and not ws.build(engine=bool(m.pytest_ids), unit_tests=bool(m.catch2_names)):
            return Outcome(m, "broken", time.monotonic() - started, "the mutant does not build")
        status, detail = run_tests(ws, m)
    finally:
        path.write_text(original)
    return Outcome(m, status, time.monotonic() - started, detail)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--check", action="store_true", help="check the list; build and run nothing"
    )
    parser.add_argument(
        "--only", action="append", default=[], metavar="ID", help="run this mutation"
    )
    parser.add_argument("--list", action="store_true", help="print the mutations and exit")
    parser.add_argument("--scratch", type=Path, default=REPO / "build" / "mutate")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2")))
    args = parser.parse_args(argv)

    try:
        mutations = load()
    except (ListError, tomllib.TOMLDecodeError, TypeError) as error:
        print(error, file=sys.stderr)
        return 2
    problems = check(mutations)
    if problems:
        print("\n".join(["mutations.toml does not fit the tree:", *problems]), file=sys.stderr)
        return 2
    if args.check:
        print(f"mutations.toml: {len(mutations)} mutations, every snippet and test found")
        return 0
    if args.list:
        for m in mutations:
            print(f"{m.id:40s} {m.file}\n    {m.why}")
        return 0
    if args.only:
        unknown = set(args.only) - {m.id for m in mutations}
        if unknown:
            print(f"unknown mutation ids: {sorted(unknown)}", file=sys.stderr)
            return 2
        mutations = [m for m in mutations if m.id in args.only]

    started = time.monotonic()
    ws = Workspace(
        scratch=args.scratch / "src",
        builds=args.scratch,
        python=Path(sys.executable),
        jobs=args.jobs,
        catch2=any(m.catch2_names for m in mutations),
    )
    ws.scratch.mkdir(parents=True, exist_ok=True)
    written = sync(REPO, ws.scratch)
    print(f"scratch copy {ws.scratch}: {written} files updated")
    ws.configure()
    if not ws.build(unit_tests=ws.catch2):
        print("the unmutated engine does not build", file=sys.stderr)
        return 2
    baseline(ws, mutations)
    print(f"baseline: the named tests pass without a mutation ({time.monotonic() - started:.0f} s)")

    # The engine's mutants first; then the clean engine is rebuilt once, and every frontend
    # mutant runs against it.
    ordered = sorted(mutations, key=lambda m: not m.in_engine)
    outcomes: list[Outcome] = []
    engine_clean = True
    for m in ordered:
        if not m.in_engine and not engine_clean:
            if not ws.build():
                print("the unmutated engine no longer builds", file=sys.stderr)
                return 2
            engine_clean = True
        engine_clean = engine_clean and not m.in_engine
        outcome = apply_and_run(ws, m)
        outcomes.append(outcome)
        line = f"{outcome.status:9s} {outcome.seconds:6.1f} s  {m.id}  {outcome.detail}"
        print(line[:240], flush=True)

    killed = sum(o.status == "killed" for o in outcomes)
    elapsed = time.monotonic() - started
    print(
        f"\n{killed} of {len(outcomes)} mutations killed ({100.0 * killed / len(outcomes):.0f} %), "
        f"{elapsed / 60:.1f} min"
    )
    for o in outcomes:
        if o.status != "killed":
            print(f"  {o.status.upper()}: {o.mutation.id} ({o.mutation.file}): {o.mutation.why}")
    return 0 if killed == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
