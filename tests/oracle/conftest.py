"""The glued values of one build: the session's build of the book (`site`), or an existing
build named by DEEPSHOCK_ORACLE_BUILD (a `_build` directory) to check it without building."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.oracle.registry import read_glue


@pytest.fixture(scope="session")
def glued(snapshot) -> dict[str, dict[str, str]]:
    """page -> glue key -> published text; skipped without the raw snapshot the oracle reads."""
    given = os.environ.get("DEEPSHOCK_ORACLE_BUILD")
    if given:
        execute = Path(given) / "jupyter_execute"
    else:
        from tests.test_browser import build_site  # the session's one build of the book
        execute = build_site().parent / "jupyter_execute"
    pages = read_glue(execute)
    assert "intro" in pages and "chapters/nvidia" in pages, f"no glued values under {execute}"
    return pages
