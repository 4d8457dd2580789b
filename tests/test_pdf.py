"""The PDF book: built by the same pipeline as the site, every chart a numbered vector figure,
and nothing wider than the text block (LaTeX's log has no overfull box over 5 pt)."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from deepshock.book import build
from deepshock.data.paths import ROOT

PDF = ROOT / "_build" / "latex" / "deepseek-shock.pdf"
LOG = PDF.with_suffix(".log")
MAX_OVERFULL_PT = 5.0
pytestmark = [pytest.mark.build]


def can_build_pdf() -> bool:
    return bool(shutil.which("xelatex") and shutil.which("pdftotext"))


@functools.cache
def build_pdf() -> Path:
    """Build the PDF edition once per test run (the browser tests build it first, so that the
    site they check offers it); the session's background process (`tests.background`) makes it
    while other tests run, else it is made here."""
    from tests import background

    made = background.wait("pdflatex")
    if made:
        assert made["code"] == 0, f"strict PDF build failed\n{background.tail()}"
    else:
        assert build.build("pdflatex") == 0, "strict PDF build failed"
    assert PDF.is_file()
    return PDF


@pytest.fixture(scope="module")
def pdf(snapshot) -> Path:
    if not can_build_pdf():
        pytest.skip("TeX Live (xelatex) or poppler-utils not installed")
    return build_pdf()


def overfull_boxes(log: str) -> list[tuple[float, str]]:
    """(points too wide, where) for every overfull hbox LaTeX reports."""
    return [(float(pt), where.strip()) for pt, where in
            re.findall(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\) (.*)$", log, re.M)]


def _text(pdf: Path, *pages: int) -> str:
    args = ["pdftotext", "-layout"]
    if pages:
        args += ["-f", str(pages[0]), "-l", str(pages[-1])]
    return subprocess.run([*args, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))


def _chapter_titles() -> list[str]:
    titles = []
    for md in sorted((ROOT / "chapters").glob("*.md")):
        match = re.search(r"^# (.+)$", md.read_text(encoding="utf-8"), re.M)
        titles.append(match.group(1).strip())
    return titles


def _site_chart_count() -> int:
    count = 0
    for md in (ROOT / "chapters").glob("*.md"):
        count += len(re.findall(r"^```\{glue:figure\}", md.read_text(encoding="utf-8"), re.M))
    count += len(re.findall(r"^```\{glue:figure\}", (ROOT / "intro.md").read_text(), re.M))
    return count


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'")).upper()


def test_every_chapter_title_is_in_the_pdf(pdf):
    text = _normal(_text(pdf))
    missing = [t for t in _chapter_titles() if _normal(t) not in text]
    assert not missing, f"chapter titles missing from the PDF: {missing}"


def test_every_chart_is_a_numbered_figure_in_the_pdf(pdf):
    captions = set(re.findall(r"Fig\. (\d+(?:\.\d+)?):", _text(pdf)))
    assert len(captions) == _site_chart_count() > 0


def test_a_chart_page_renders_with_colour(pdf, tmp_path):
    text_by_page = {p: _text(pdf, p) for p in range(1, _pages(pdf) + 1)}
    page = next(p for p, t in text_by_page.items() if re.search(r"Fig\. \d+(?:\.\d+)?:", t))
    subprocess.run(["pdftoppm", "-r", "40", "-f", str(page), "-l", str(page), str(pdf),
                    str(tmp_path / "page")], check=True)
    ppm = next(tmp_path.glob("page*.ppm")).read_bytes()
    header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", ppm)
    pixels = ppm[header.end():]
    coloured = sum(1 for i in range(0, len(pixels), 3)
                   if max(pixels[i:i + 3]) - min(pixels[i:i + 3]) > 60)
    assert coloured > 200, f"page {page} has no coloured chart marks ({coloured} pixels)"


def test_no_blank_pages(pdf):
    blank = [p for p in range(1, _pages(pdf) + 1) if not _text(pdf, p).strip()]
    assert not blank, f"blank pages: {blank}"


def test_overfull_boxes_are_read_from_the_log():
    log = ("Overfull \\hbox (1668.49219pt too wide) in alignment at lines 4536--4555\n"
           "Underfull \\hbox (badness 10000) in paragraph at lines 3--4\n"
           "Overfull \\hbox (3.58461pt too wide) in paragraph at lines 893--893\n")
    assert overfull_boxes(log) == [(1668.49219, "in alignment at lines 4536--4555"),
                                   (3.58461, "in paragraph at lines 893--893")]


def test_nothing_is_wider_than_the_text_block(pdf):
    log = LOG.read_text(encoding="utf-8", errors="replace")
    wide = [(pt, where) for pt, where in overfull_boxes(log) if pt > MAX_OVERFULL_PT]
    assert not wide, f"overfull boxes over {MAX_OVERFULL_PT} pt in {LOG.name}: {wide}"


def test_every_chart_is_embedded_as_a_vector_pdf(pdf):
    """The LaTeX builder converts each chart's placeholder (`book.latex.ChartPdf`): one
    included PDF per chart, none left as a placeholder."""
    tex = (PDF.parent / "deepseek-shock.tex").read_text(encoding="utf-8")
    included = re.findall(r"\\sphinxincludegraphics(?:\[[^\]]*\])?\{\{([0-9a-f]{32})\}\.pdf\}",
                          tex)
    assert len(included) == _site_chart_count()
    assert all((PDF.parent / f"{name}.pdf").read_bytes().startswith(b"%PDF")
               for name in included)
    assert "deepshock-latex-chart" not in tex
