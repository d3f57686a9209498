"""The mutation list of `make mutate` still fits the code (no build, no test run).

A refactoring that moves a file, rewrites a mutated line or renames a named test breaks the
list; this says so at once, naming the entry, instead of at the next `make mutate`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mutation.mutate import LIST, ListError, check, load


def test_every_snippet_and_test_of_the_list_exists() -> None:
    mutations = load()
    assert check(mutations) == []
    assert len({m.id for m in mutations}) == len(mutations)


def test_the_check_finds_what_a_refactoring_breaks() -> None:
    """The check itself can fail: each kind of breakage is reported, naming the entry."""
    good = load()[0]
    broken = [
        dataclasses.replace(good, id="moved", file="frontend/satveto/nowhere.py"),
        dataclasses.replace(good, id="rewritten", original=good.original + "  # changed"),
        dataclasses.replace(good, id="twice", original="\n"),
        dataclasses.replace(good, id="renamed", tests=("tests/test_client.py::test_gone",)),
        dataclasses.replace(good, id="no-file", tests=("tests/test_gone.py::test_x",)),
        dataclasses.replace(good, id="catch2", tests=("catch2:no such test case",)),
    ]
    problems = check(broken)
    assert [p.split(":", 1)[0] for p in problems] == [
        "moved",
        "rewritten",
        "twice",
        "renamed",
        "no-file",
        "catch2",
        "catch2",
    ]


def test_malformed_entries_are_refused(tmp_path: Path) -> None:
    entry = '[[mutation]]\nid = "a"\nfile = "f"\noriginal = "x"\nmutant = "x"\nwhy = "w"\n'
    for text, problem in [
        (entry + 'tests = ["t"]\n', "the mutant equals the original"),
        (entry.replace('mutant = "x"', 'mutant = "y"') + "tests = []\n", "non-empty list"),
        (entry.replace('why = "w"\n', ""), "keys must be"),
        ("", "no [[mutation]] entries"),
    ]:
        path = tmp_path / "list.toml"
        path.write_text(text)
        with pytest.raises(ListError, match=problem.replace("[", r"\[").replace("]", r"\]")):
            load(path)
    assert LIST.name == "mutations.toml"
