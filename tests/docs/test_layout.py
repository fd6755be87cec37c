"""The README's Layout against the tree: every product module (app, bot, handlers, storage, simulators) is named
there, and every file it names is there.

The Layout is a tree in a code block. A line whose first column ends in `/` opens a folder for the lines indented
under it; a file named anywhere on a line is in that line's folder, or, written with a `/`, in the repository's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("app", "bot", "handlers", "storage", "simulators")
# Alembic's revisions are one a schema change, named by the migrations/ line, not one by one.
UNLISTED = ("storage/migrations/versions/",)
# A file name: `moves.py`, `slack/writer.py`, `html_*.py`, `architecture.md`.
FILE = re.compile(r"(?<![\w./*-])[\w*][\w./*-]*\.(?:py|md)\b")
# The first column: everything before the first gap of two spaces or more.
GAP = re.compile(r" {2,}")


def layout_block(readme: str) -> list[str]:
    """The lines of the code block under `## Layout`."""
    section = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```", 2)[1].strip("\n").splitlines()


def named_files(lines: list[str]) -> tuple[set[str], list[str]]:
    """The files the tree names, as paths from the repository's root, and the names that match no file."""
    named: set[str] = set()
    unknown: list[str] = []
    folders: list[tuple[int, str]] = []  # (indent, path) of the folders open at this line
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        while folders and folders[-1][0] >= indent:
            folders.pop()
        first = GAP.split(line.strip(), 1)[0]
        if first.endswith("/"):
            parent = folders[-1][1] if folders else ""
            folders.append((indent, f"{parent}{first}"))
        here = folders[-1][1] if folders else ""
        for name in FILE.findall(line):
            places = [here + name] + ([name] if "/" in name else [])
            found = next((sorted(ROOT.glob(place)) for place in places if list(ROOT.glob(place))), [])
            if not found:
                unknown.append(f"{here + name}  (in: {line.strip()})")
            named.update(path.relative_to(ROOT).as_posix() for path in found)
    return named, unknown


def product_modules() -> set[str]:
    modules = {path.relative_to(ROOT).as_posix() for package in PRODUCT for path in (ROOT / package).rglob("*.py")}
    return {
        module
        for module in modules
        if not module.endswith("/__init__.py") and not module.startswith(UNLISTED) and "__pycache__" not in module
    }


@pytest.fixture(scope="module")
def layout() -> tuple[set[str], list[str]]:
    return named_files(layout_block((ROOT / "README.md").read_text(encoding="utf-8")))


def test_every_product_module_is_named_in_the_layout(layout: tuple[set[str], list[str]]) -> None:
    named, _unknown = layout
    missing = sorted(product_modules() - named)
    assert missing == [], "the README's Layout does not name these modules; give each a line (or a name on one)"


def test_the_layout_names_no_file_that_is_not_there(layout: tuple[set[str], list[str]]) -> None:
    _named, unknown = layout
    assert unknown == [], "the README's Layout names files that are not in the tree (renamed, moved or gone?)"


def test_the_reading_follows_the_folders_of_the_tree() -> None:
    lines = [
        "bot/                 the product",
        "  moves.py           a use case; starts.py beside it",
        "  slack/             Slack",
        "    writer.py        the writer",
        "                     a description that goes on, naming reporter.py",
        "  poller.py          back in bot/",
        "tests/               the tests",
        "  docs/test_layout.py  this test; bot/moves.py from the root",
        "  e2e/missing.py     not there",
    ]

    named, unknown = named_files(lines)

    assert named == {
        "bot/moves.py",
        "bot/starts.py",
        "bot/slack/writer.py",
        "bot/slack/reporter.py",
        "bot/poller.py",
        "tests/docs/test_layout.py",
    }
    assert [entry.split()[0] for entry in unknown] == ["tests/e2e/missing.py"]
