"""The independent oracle (issue 24): each key value the book publishes, recomputed from the raw
snapshot files and the committed facts by the test's own pandas (`tests/oracle/*.py`, never
`deepshock.story`), equals the text the build glued under that page and key.

The comparison is of the published text, so a number must agree to the rounding it is printed
with. Every listed key must exist in the build (a renamed key fails, it never skips), and a
value changed by hand (its last digit) must fail the comparison. A disagreement found and
reported but not yet settled (`registry.KNOWN`) is a strict expected failure: it fails once the
book is corrected, and the entry is then removed."""

from __future__ import annotations

import pytest

from tests.oracle import (  # noqa: F401  (they register the values)
    asia, crosssection, eventstudy, factcheck, later, marketvalue, records, research, shocks,
    transmission, us)
from tests.oracle.registry import KNOWN, ORACLE, TABLES, perturb

KEYS = sorted({*ORACLE, *TABLES})
pytestmark = [pytest.mark.build]


def disagreement(page: str, key: str, published: str) -> str | None:
    if (page, key) in TABLES:
        problems = TABLES[(page, key)](published)
        return f"{page}:{key}: " + "; ".join(problems) if problems else None
    expected = ORACLE[(page, key)]()
    if published != expected:
        return f"{page}:{key}: the build glued {published!r}, the raw files give {expected!r}"
    return None


CASES = [pytest.param(p, k, id=f"{p}:{k}", marks=[pytest.mark.xfail(
    strict=True, reason=f"known disagreement: {KNOWN[(p, k)]}")] if (p, k) in KNOWN else [])
    for p, k in KEYS]


@pytest.mark.parametrize("page,key", CASES)
def test_published_value_matches_the_raw_files(glued, page, key):
    assert key in glued.get(page, {}), f"{page}:{key} is not glued by the build (renamed?)"
    problem = disagreement(page, key, glued[page][key])
    assert problem is None, problem


def test_every_listed_key_exists_in_the_build(glued):
    missing = [f"{p}:{k}" for p, k in KEYS if k not in glued.get(p, {})]
    assert not missing, f"oracle keys the build does not glue: {missing}"


def test_a_value_changed_by_hand_fails(glued):
    """Each glued value the oracle accepts, with its last digit changed (or a word added), is
    no longer accepted."""
    accepted = [(p, k) for p, k in KEYS if (p, k) not in KNOWN
                and k in glued.get(p, {}) and disagreement(p, k, glued[p][k]) is None]
    assert len(accepted) > 0.9 * len(KEYS), "most of the oracle's values disagree with the build"
    still = [f"{p}:{k}" for p, k in accepted if disagreement(p, k, perturb(glued[p][k])) is None]
    assert not still, f"the oracle accepts an edited value for {still}"


def test_every_chart_title_is_recomputed(glued):
    """Every chart the build publishes (a `fig-` key) has its title recomputed by the oracle."""
    missing = [f"{p}:{k}" for p, keys in glued.items() for k in keys
               if k.startswith("fig-") and (p, k) not in ORACLE]
    assert not missing, f"chart titles the oracle does not recompute: {missing}"


def in_short_keys() -> dict[str, list[str]]:
    """page -> the glue keys of its opening `**In short.**` paragraph (to the first blank
    line), for every chapter that has one."""
    import re

    from tests.conftest import ROOT

    pages = {}
    for path in sorted((ROOT / "chapters").glob("*.md")):
        found = re.search(r"^\*\*In short\.\*\*.*?(?=\n[ \t]*\n|\Z)",
                          path.read_text(encoding="utf-8"), re.S | re.M)
        if found:
            pages[f"chapters/{path.stem}"] = [
                k.split(":")[0] for k in re.findall(r"\{glue(?::\w+)?\}`([^`]+)`", found[0])]
    return pages


def test_every_in_short_figure_is_recomputed():
    """Issue 24: every glued figure of each chapter's "In short" paragraph is recomputed by
    the oracle (a table check counts)."""
    pages = in_short_keys()
    assert len(pages) >= 12 and sum(map(len, pages.values())) >= 80, \
        f"too few In-short paragraphs or keys found: {pages}"
    missing = [f"{p}:{k}" for p, keys in pages.items() for k in keys
               if (p, k) not in ORACLE and (p, k) not in TABLES]
    assert not missing, f"In-short figures the oracle does not recompute: {missing}"


def test_the_oracle_covers_every_chapter():
    pages = {p for p, _ in KEYS}
    for page in ("intro", "chapters/launch", "chapters/nvidia", "chapters/selloff",
                 "chapters/tokyo", "chapters/contagion", "chapters/aftermath",
                 "chapters/meaning", "chapters/eventstudy", "chapters/crosssection",
                 "chapters/marketvalue", "chapters/shocks", "chapters/factcheck",
                 "chapters/explorer", "chapters/data"):
        assert page in pages, page


def test_the_oracle_reads_no_story_or_data_code():
    """Independent: the oracle's modules import `deepshock.methods` (verified statistics) at
    most, never the story, the data loaders or the book."""
    import ast
    from pathlib import Path

    for path in sorted(Path(__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        bad = [n for n in names if n.startswith("deepshock") and
               not n.startswith("deepshock.methods")]
        bad += [f"deepshock.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                and n.module == "deepshock" for a in n.names if a.name != "methods"]
        assert not bad, f"{path.name} imports {bad}"
