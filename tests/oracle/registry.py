"""Oracle values, each named by its page and glue key: `@value("chapters/nvidia", "nv_lost")`
registers a function that returns the text the page must publish, computed from the raw files
with the test's own pandas (and, for a statistical model, `deepshock.methods`). A chart's title
is registered under the figure's glue key (`fig-...`) and compared with the title's text.

The comparison is of the published text: a number is right to the rounding it is printed with,
no more and no less."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Callable

ORACLE: dict[tuple[str, str], Callable[[], str]] = {}
# disagreements found and reported, not yet settled: (page, key) -> what differs and why.
# Their tests are strict xfails, so they fail loudly once the book is corrected (then remove
# the entry).
KNOWN: dict[tuple[str, str], str] = {}
# glued tables, checked row by row: (page, key) -> function(published text) -> problems found
TABLES: dict[tuple[str, str], Callable[[str], list[str]]] = {}
SPEC = "application/vnd.deepshock.vegalite+json"


def value(page: str, key: str):
    def register(compute: Callable[[], str]) -> Callable[[], str]:
        assert (page, key) not in ORACLE, f"{page}:{key} registered twice"
        ORACLE[(page, key)] = functools.cache(compute)
        return compute
    return register


def known(page: str, key: str, reason: str) -> None:
    KNOWN[(page, key)] = reason


def table(page: str, key: str):
    def register(check: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
        assert (page, key) not in TABLES, f"{page}:{key} registered twice"
        TABLES[(page, key)] = check
        return check
    return register


def markdown_rows(text: str) -> list[list[str]]:
    """The body rows of a Markdown pipe table, cells stripped."""
    lines = [ln for ln in text.strip().splitlines() if ln.startswith("|")]
    return [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines[2:]]


def title_text(spec: dict) -> str:
    title = spec.get("title", "")
    text = title.get("text", "") if isinstance(title, dict) else title
    return " ".join(text) if isinstance(text, list) else text


def read_glue(execute: Path) -> dict[str, dict[str, str]]:
    """page ('chapters/nvidia', 'intro') -> glue key -> its Markdown text, or a figure's title."""
    pages = {}
    for path in sorted(execute.rglob("*.glue.json")):
        page = path.relative_to(execute).as_posix().removesuffix(".glue.json")
        out = {}
        for key, item in json.loads(path.read_text(encoding="utf-8")).items():
            data = item["data"]
            out[key] = (title_text(data[SPEC]) if SPEC in data
                        else "".join(data.get("text/markdown") or ""))
        pages[page] = out
    return pages


def perturb(text: str) -> str:
    """The text with its last digit changed (or a word appended when it has none): a value
    'changed by hand'."""
    digits = [m.start() for m in re.finditer(r"\d", text)]
    if not digits:
        return text + " (edited)"
    i = digits[-1]
    return text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1:]
