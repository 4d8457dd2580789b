"""Build guarantees: glued numbers and charts reach the pages; a broken chapter fails the build;
changed prices or package code re-execute the chapters.

Small temporary books (copies of the real `_config.yml`, built by `deepshock.build.build`) keep
each build to a few seconds; the real book is built once per session (tests.test_browser.site).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path, PurePosixPath

import pandas as pd
import pytest
from bs4 import BeautifulSoup

import deepshock.book.build as deepshock_build
from deepshock.book.build import build
from deepshock.data.paths import cache_dir
from deepshock.data.sync import sync_snapshot
from tests.conftest import NOTEBOOK_HEADER, raw_close
from tests.test_browser import site  # noqa: F401  (the session's one build of the book)

ROOT = Path(__file__).resolve().parent.parent
SHOCK, BEFORE = pd.Timestamp("2025-01-27"), pd.Timestamp("2025-01-24")


LINKS = re.compile(r"\]\(([\w/.-]+)\.md\)|\{doc\}`(?:[^`<]*<)?([^`<>]+)>?`")


def linked_pages(pages: dict[str, str]) -> dict[str, str]:
    """`pages` plus the book's pages they link to, so a strict build resolves every link.

    A {term} needs the real glossary; a linked page without code is copied as it is; a linked
    chapter with code gets a stand-in with its real title (executing it is not this test's job).
    """
    pages, todo = dict(pages), list(pages)
    while todo:
        name = todo.pop()
        text = pages[name]
        targets = {"chapters/glossary"} if "{term}" in text else set()
        for match in LINKS.finditer(text):
            link = match.group(1) or match.group(2)
            base = PurePosixPath(name).parent if not link.startswith("/") else PurePosixPath()
            targets.add(os.path.normpath(base / link.lstrip("/")))
        for target in sorted(targets - set(pages)):
            real = (ROOT / f"{target}.md").read_text(encoding="utf-8")
            if "{code-cell}" in real:
                title = next(line for line in real.splitlines() if line.startswith("# "))
                real = f"{title}\n\nA stand-in for the chapter in this small test book.\n"
            pages[target] = real
            todo.append(target)
    return pages


def make_book(root: Path, pages: dict[str, str]) -> Path:
    """A book with the project's configuration and `pages` (name -> MyST text) plus the pages
    they link to (`linked_pages`) in its toc."""
    pages = linked_pages(pages)
    root.mkdir(parents=True, exist_ok=True)
    for name in ("_config.yml", "references.bib", "requirements.txt"):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "data", root / "data")
    for name, text in pages.items():
        (root / f"{name}.md").parent.mkdir(parents=True, exist_ok=True)
        (root / f"{name}.md").write_text(text, encoding="utf-8")
    first, *rest = pages
    toc = {"format": "jb-book", "root": first}
    if rest:
        toc["chapters"] = [{"file": name} for name in rest]
    (root / "_toc.yml").write_text(json.dumps(toc), encoding="utf-8")
    return root


def fell(fraction: float) -> str:
    """How the prose states a fall (STYLE.md): 'fell 17.0%'."""
    assert fraction < 0
    return f"fell {-fraction * 100:.1f}%"


def page_text(root: Path, name: str) -> str:
    html = root / "_build" / "html" / f"{name}.html"
    return BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser").get_text(" ")


# --- the real book -------------------------------------------------------------------------------

@pytest.mark.build
def test_nvidia_page_has_glued_numbers_and_its_chart(site, snapshot):  # noqa: F811
    close = raw_close("NVDA.csv")
    counts = pd.read_csv(ROOT / "data" / "shares.csv", parse_dates=["as_of"])
    counts = counts.loc[(counts["ticker"] == "NVDA") & (counts["as_of_precision"] == "day")
                        & (counts["as_of"] <= SHOCK)]
    shares = counts.sort_values("as_of")["shares"].iloc[-1]  # the last count dated at or before
    lost = shares * (close[BEFORE] - close[SHOCK])
    html = (site / "chapters" / "nvidia.html").read_text(encoding="utf-8")
    text = BeautifulSoup(html, "html.parser").get_text(" ")
    assert fell(close[SHOCK] / close[BEFORE] - 1) in text  # "fell 17.0%" (house style)
    assert f"${lost / 1e9:,.1f}bn" in text                # $592.7bn
    assert 'class="deepshock-chart"' in html
    assert "{glue" not in text and "fig-nvda-price" in html


# --- a broken chapter fails the build --------------------------------------------------------------

BROKEN = {
    "raises": ("from deepshock.book import report\nreport.glue_text(a='one')\n"
               "raise ValueError('deliberate failure in a chapter')", "{glue:md}`a`",
               "deliberate failure in a chapter"),
    "missing glue key": ("from deepshock.book import report\nreport.glue_text(a='one')",
                         "{glue:md}`a` and {glue:md}`no_such_key`", "no_such_key"),
    "broken numref": ("from deepshock.book import report\nreport.glue_text(a='one')",
                      "{glue:md}`a`, see {numref}`fig-that-does-not-exist`",
                      "fig-that-does-not-exist"),
    "empty chart": ("import altair as alt, pandas as pd\nfrom deepshock.story import charts\n"
                    "from deepshock.book import report\n"
                    "data = pd.DataFrame({'day': [], 'close': []})\n"
                    "chart = charts.finish(alt.Chart(data).mark_line().encode(\n"
                    "    x=alt.X('day:T', title='Day'), y=alt.Y('close:Q', title='Close'),\n"
                    "    tooltip=['day:T', 'close:Q']), title='Empty', source='none',\n"
                    "    description='an empty chart')\nreport.figure('fig-empty', chart, data)",
                    "No chart here.", "no data to draw"),
}


@pytest.mark.build
@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_chapter_fails_the_build(case, tmp_path, capfd):
    code, prose, reason = BROKEN[case]
    chapter = f"{NOTEBOOK_HEADER}\n# Broken\n\n```{{code-cell}} ipython3\n{code}\n```\n\n{prose}\n"
    root = make_book(tmp_path / "book", {"chapters/broken": chapter})
    assert build("html", root=root) != 0
    out = capfd.readouterr()
    report = root / "_build" / "html" / "reports" / "chapters" / "broken.err.log"
    logged = out.out + out.err + (report.read_text() if report.is_file() else "")
    assert reason in logged, f"build failed, but not for {reason!r}"


@pytest.mark.build
def test_pdf_link_appears_once_the_pdf_exists_and_math_is_served_locally(tmp_path, capfd):
    page = ("# Downloads\n\n```{deepshock-pdf}\n```\n\nWith math, $R_t = \\alpha + \\beta R_{m,t}$ and\n"
            "\n$$\\bar r = \\frac{1}{N}\\sum_i r_i$$\n")
    root = make_book(tmp_path / "book", {"downloads": page})
    assert build("html", root=root) == 0, capfd.readouterr().out[-3000:]
    assert "built without the PDF edition" in page_text(root, "downloads")
    html = (root / "_build" / "html" / "downloads.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    scripts = " ".join(tag.get("src", "") + (tag.string or "") for tag in soup("script"))
    assert "mathjax" not in scripts.lower(), "formulas are MathML: no MathJax script"
    assert html.count('class="math') >= 2
    formulas = soup.select(".math > math")   # written at build time (deepshock.book.mathml)
    assert [f.get("display") for f in formulas] == ["inline", "block"], formulas
    assert formulas[0]["alttext"] == "R_t = \\alpha + \\beta R_{m,t}"
    assert formulas[0].find("mi", string="\u03b1") and formulas[1].find("mfrac")
    published = root / "_build" / "html" / "_static" / "deepseek-shock.pdf"
    assert not published.exists()

    pdf = root / "_build" / "latex" / "deepseek-shock.pdf"
    pdf.parent.mkdir(parents=True)
    pdf.write_bytes(b"%PDF-1.4\n% a stand-in for the book's PDF\n%%EOF\n")
    assert build("html", root=root) == 0, capfd.readouterr().out[-3000:]
    html = (root / "_build" / "html" / "downloads.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one(".deepshock-pdf a")["href"] == "_static/deepseek-shock.pdf"
    assert published.read_bytes() == pdf.read_bytes()
    menu = [a["href"] for a in soup.select(".dropdown-download-buttons a[href]")]
    assert "_static/deepseek-shock.pdf" in menu


# --- changed inputs re-execute the chapters -------------------------------------------------------

def _scale_day(csv: Path, day: str, factor: float) -> None:
    frame = pd.read_csv(csv, dtype={"date": str})
    cols = [c for c in ("open", "high", "low", "close", "adj_close") if c in frame]
    frame.loc[frame["date"] == day, cols] *= factor
    frame.to_csv(csv, index=False)


def cache_records(root: Path) -> dict[str, tuple]:
    """jupyter-cache's record of each executed notebook: a re-execution replaces it."""
    from jupyter_cache import get_cache

    records = get_cache(str(root / "_build" / ".jupyter_cache")).list_cache_records()
    return {Path(r.uri).name: (r.pk, r.created) for r in records}


@pytest.mark.build
def test_changed_prices_and_package_re_execute(snapshot, tmp_path, monkeypatch):
    nvidia = (ROOT / "chapters" / "nvidia.md").read_text(encoding="utf-8")
    root = make_book(tmp_path / "book", {"chapters/nvidia": nvidia})
    copy = tmp_path / "snapshot"
    shutil.copytree(snapshot / "prices", copy / "prices")
    shutil.copy(snapshot / "manifest.csv", copy / "manifest.csv")  # close conventions
    cache = tmp_path / "cache" / "market-data"
    monkeypatch.setenv("DEEPSHOCK_CACHE", str(cache))
    sync_snapshot(copy, target=cache)
    package = tmp_path / "package" / "deepshock"  # a copy the build fingerprints as the package
    shutil.copytree(deepshock_build.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(deepshock_build, "PACKAGE", package)

    def close_on(csv: Path) -> pd.Series:
        return pd.read_csv(csv, parse_dates=["date"]).set_index("date")["close"]

    def chart_data() -> pd.DataFrame:
        csv, = (root / "_build" / "html" / "_downloads").rglob("fig-nvda-price.csv")
        return pd.read_csv(csv, parse_dates=["date"]).set_index("date")

    before = close_on(copy / "prices" / "NVDA.csv")
    assert build("html", root=root) == 0
    assert fell(before[SHOCK] / before[BEFORE] - 1) in page_text(root, "chapters/nvidia")
    assert chart_data().loc[SHOCK, "close"] == pytest.approx(before[SHOCK], abs=0.006)
    first = cache_records(root)
    assert "nvidia.md" in first

    _scale_day(copy / "prices" / "NVDA.csv", "2025-01-27", 0.9)  # only in this test's copy
    sync_snapshot(copy, target=cache)
    after = close_on(copy / "prices" / "NVDA.csv")
    assert build("html", root=root) == 0
    text = page_text(root, "chapters/nvidia")
    assert fell(after[SHOCK] / after[BEFORE] - 1) in text
    assert fell(before[SHOCK] / before[BEFORE] - 1) not in text
    assert chart_data().loc[SHOCK, "close"] == pytest.approx(after[SHOCK], abs=0.006)
    second = cache_records(root)
    assert second["nvidia.md"] != first["nvidia.md"]

    assert build("html", root=root) == 0  # nothing changed: the cached execution is reused
    assert cache_records(root) == second

    with (package / "book" / "report.py").open("a", encoding="utf-8") as module:
        module.write("\n# a change to a package module\n")
    assert build("html", root=root) == 0
    assert cache_records(root)["nvidia.md"] != second["nvidia.md"]
    assert fell(after[SHOCK] / after[BEFORE] - 1) in page_text(root, "chapters/nvidia")


def test_fingerprint_covers_package_pins_and_facts(tmp_path, monkeypatch):
    if not (cache_dir() / "manifest.json").is_file():
        pytest.skip("no synced price cache")
    package = tmp_path / "package" / "deepshock"
    package.mkdir(parents=True)
    (package / "mod.py").write_text("X = 1\n")
    monkeypatch.setattr(deepshock_build, "PACKAGE", package)
    root = tmp_path / "book"
    (root / "data").mkdir(parents=True)
    (root / "data" / "facts.csv").write_text("a,source\n1,test\n")
    (root / "requirements.txt").write_text("pandas==3.1.1\n")
    seen = {deepshock_build.fingerprint(root)}
    for path, text in [(package / "mod.py", "X = 2\n"), (package / "new.py", ""),
                       (root / "requirements.txt", "pandas==3.1.2\n"),
                       (root / "data" / "facts.csv", "a,source\n2,test\n")]:
        path.write_text(text)
        now = deepshock_build.fingerprint(root)
        assert now not in seen, f"a change to {path.name} left the fingerprint unchanged"
        seen.add(now)
    assert deepshock_build.fingerprint(root) in seen  # and it is deterministic
