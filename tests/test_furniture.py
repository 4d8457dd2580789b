"""The site's furniture: cards and canonical links under the public address, one figure number
in the site and the PDF, a neutral key-numbers box (light and dark), a search that finds "593",
and a reading time under each page's title.

The real book is the session's one build (`tests.test_browser.site`, after the PDF edition when
TeX Live is installed); the browser checks drive the session's Debian Chromium (`browser`,
tests/conftest.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup

from deepshock.book import page
from deepshock.book.search import number_words
from tests.conftest import raw_close
from tests.test_browser import pages, serve, site  # noqa: F401  (the session's build)
from tests.test_pdf import pdf  # noqa: F401  (the PDF edition, built once)

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
BASE = CONFIG["html"]["baseurl"]
ALERTS = {"attention", "caution", "danger", "error", "hint", "important", "note", "tip",
          "warning", "seealso"}


def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def meta(soup: BeautifulSoup) -> dict[str, str]:
    return {m.get("name") or m.get("property"): m.get("content") for m in soup.find_all("meta")}


# --- 1. cards and canonical links under the public site ------------------------------------------

def test_base_url_is_where_the_workflow_publishes_the_repository():
    """book.yml deploys the site with GitHub Pages (actions/deploy-pages), which serves a
    project repository github.com/OWNER/REPO at https://OWNER.github.io/REPO/."""
    workflow = (ROOT / ".github" / "workflows" / "book.yml").read_text(encoding="utf-8")
    assert "actions/deploy-pages@" in workflow and "upload-pages-artifact" in workflow
    owner, repo = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+)",
                               CONFIG["repository"]["url"]).groups()
    assert BASE == f"https://{owner.lower()}.github.io/{repo}/"


@pytest.mark.build
def test_every_page_card_and_canonical_link_are_absolute(site):  # noqa: F811
    checked = 0
    for path in pages(site):
        name = path.relative_to(site).as_posix()
        soup = soup_of(path)
        tags = meta(soup)
        assert tags.get("og:site_name") == CONFIG["title"], name
        assert tags.get("og:url") == BASE + name, name
        canonical = soup.find("link", rel="canonical")
        assert canonical is not None and canonical["href"] == BASE + name, name
        image = tags.get("og:image")
        if soup.select(".deepshock-chart"):
            assert image and image.startswith(BASE), f"{name}: og:image {image!r} is not absolute"
            assert (site / image.removeprefix(BASE)).is_file(), f"{name}: {image} is not in the site"
            checked += 1
    assert checked >= 10


# --- 2. one figure number in the site and the PDF -------------------------------------------------

def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def reading_order(site: Path) -> list[Path]:
    """The landing page, then every chapter in `_toc.yml`'s order (the PDF's order)."""
    return [site / "intro.html"] + [site / f"{entry['file']}.html"
                                    for part in yaml.safe_load(
                                        (ROOT / "_toc.yml").read_text())["parts"]
                                    for entry in part["chapters"]]


def site_figures(site: Path) -> list[tuple[str, str, str]]:  # noqa: F811
    """(figure id, number, caption's first words) of every numbered figure, in reading order."""
    found = []
    for path in reading_order(site):
        for figure in soup_of(path).select("figure[id]"):
            number = figure.select_one("span.caption-number")
            if number is None:
                continue
            text = figure.select_one("span.caption-text").get_text(" ")
            found.append((figure["id"], _normal(number.get_text()).removeprefix("Fig. ").strip(),
                          " ".join(_normal(text).split()[:4])))
    return found


REFERENCE = re.compile(r"\bFig\. (\d+(?:\.\d+)?)\b")


def references(text: str) -> list[tuple[str, str, str]]:
    """(number, the word before, the word after) of every "Fig. N" in `text`, in order."""
    found = []
    for match in REFERENCE.finditer(text):
        before = re.findall(r"\w+", text[max(0, match.start() - 80):match.start()])
        after = re.findall(r"\w+", text[match.end():match.end() + 80])
        found.append((match.group(1), before[-1] if before else "", after[0] if after else ""))
    return found


def site_references(site: Path) -> list[tuple[str, str, str]]:  # noqa: F811
    """`references` in the prose of every page (captions left out), in reading order."""
    found = []
    for path in reading_order(site):
        article = soup_of(path).select_one("article")
        for caption in article.select("figure[id] figcaption"):
            caption.decompose()
        found += references(_normal(article.get_text(" ")))
    return found


def pdf_references(raw: str, figures: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """`references` in the PDF's text once each figure's caption ("Fig. N: first words") is
    taken out: the prose's references, in reading order."""
    text = _normal(raw)
    for _, number, words in figures:
        text = text.replace(f"Fig. {number}: {words}", " ", 1)
    return references(text)


@pytest.mark.build
def test_figures_have_the_same_number_in_the_site_and_the_pdf(site, pdf):  # noqa: F811
    figures = site_figures(site)
    numbers = [number for _, number, _ in figures]
    assert numbers == [str(i) for i in range(1, len(figures) + 1)], numbers  # 1..N in the book
    raw = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    in_pdf = re.findall(r"^Fig\. (\d+(?:\.\d+)?): ", raw, re.M)  # a caption opens a line
    assert in_pdf == numbers, f"PDF captions {in_pdf} != site {numbers}"
    text = _normal(raw)
    for ident, number, words in figures:
        assert f"Fig. {number}: {words}" in text, f"{ident}: not Fig. {number} in the PDF"
    # every reference in the site names its figure's number ...
    number_of = {ident: number for ident, number, _ in figures}
    linked = 0
    for path in reading_order(site):
        for link in soup_of(path).select('a[href*="#fig-"] span.std-numref'):
            ident = link.find_parent("a")["href"].split("#", 1)[1]
            assert _normal(link.get_text()) == f"Fig. {number_of[ident]}", (path.name, ident)
            linked += 1
    # ... and the PDF's prose gives the same numbers, in the same order, at the same words (the
    # word before or after each reference: one side may be a heading or a page's running head)
    in_site, in_print = site_references(site), pdf_references(raw, figures)
    assert len(in_site) >= linked > 0
    assert [n for n, _, _ in in_print] == [n for n, _, _ in in_site], (
        f"references in the PDF {[n for n, _, _ in in_print]} != site {[n for n, _, _ in in_site]}")
    moved = [(one, two) for one, two in zip(in_site, in_print)
             if one[1] != two[1] and one[2] != two[2]]
    assert not moved, f"references at other words in the PDF (site, PDF): {moved}"


# --- 3. the key-numbers box: neutral, legible in light and dark mode ------------------------------

STYLE = """() => {
  const box = Array.from(document.querySelectorAll('div.admonition')).find(el =>
    el.querySelector('.admonition-title').textContent.trim() === 'Key numbers');
  const title = box.querySelector('.admonition-title');
  const back = el => { for (; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c; } return 'rgb(255, 255, 255)'; };
  const time = document.querySelector('.deepshock-reading-time');
  return {icon: getComputedStyle(title, '::after').content,
          border: getComputedStyle(box).borderLeftColor,
          title: [getComputedStyle(title).color, back(title)],
          item: [getComputedStyle(box.querySelector('li')).color, back(box.querySelector('li'))],
          time: [getComputedStyle(time).color, back(time)]};
}"""


def rgb(css: str) -> tuple[int, ...]:
    return tuple(int(float(v)) for v in re.findall(r"[\d.]+", css)[:3])


def contrast(one: str, two: str) -> float:
    """WCAG 2 contrast ratio of two CSS rgb() colours."""
    def luminance(colour: str) -> float:
        channels = [c / 255 for c in rgb(colour)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    light, dark = sorted((luminance(one), luminance(two)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_reference_values():
    assert contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)") == pytest.approx(21.0)
    assert contrast("rgb(118, 118, 118)", "rgb(255, 255, 255)") == pytest.approx(4.54, abs=0.01)


@pytest.mark.build
def test_key_numbers_box_is_not_an_alert(site):  # noqa: F811
    boxes = [d for d in soup_of(site / "intro.html").select("div.admonition")
             if d.select_one(".admonition-title").get_text(strip=True) == "Key numbers"]
    assert len(boxes) == 1
    assert "deepshock-key-numbers" in boxes[0]["class"]
    assert not ALERTS & set(boxes[0]["class"]), boxes[0]["class"]


@pytest.mark.build
@pytest.mark.parametrize("mode", ["light", "dark"])
def test_key_numbers_box_is_neutral_and_legible(site, browser, mode):  # noqa: F811
    server, base = serve(site)
    context = browser.new_context(viewport={"width": 390, "height": 900})
    try:
        tab = context.new_page()
        tab.goto(f"{base}/intro.html", wait_until="load")
        tab.evaluate(f"document.documentElement.dataset.theme = '{mode}'")
        style = tab.evaluate(STYLE)
    finally:
        context.close()
        server.shutdown()
    assert style["icon"] in ("none", "normal"), f"the box wears an icon: {style['icon']}"
    red, green, blue = rgb(style["border"])
    assert max(red, green, blue) - min(red, green, blue) <= 40, f"coloured rule {style['border']}"
    for part in ("title", "item", "time"):
        ratio = contrast(*style[part])
        assert ratio >= 4.5, f"{mode}: {part} text {style[part]} has contrast {ratio:.1f}"


# --- 4. search finds "593" -----------------------------------------------------------------------

def test_numbers_become_words_as_written_and_rounded():
    assert number_words("wiping $592.7bn off") == ["592", "593"]
    assert number_words("the reported $593bn") == ["593"]
    assert number_words("1,234.5 and 17.0%") == ["1234", "1235", "17"]
    assert number_words("Nvidia's H100 chips") == []  # part of a name, not a number
    assert number_words("fell 0.45%") == ["0"]


def nvidia_loss_bn() -> float:
    """Nvidia's loss on 27 January 2025 from the raw snapshot and the sourced share count."""
    close = raw_close("NVDA.csv")
    counts = pd.read_csv(ROOT / "data" / "shares.csv", parse_dates=["as_of"])
    counts = counts.loc[(counts["ticker"] == "NVDA") & (counts["as_of_precision"] == "day")
                        & (counts["as_of"] <= pd.Timestamp("2025-01-27"))]
    shares = counts.sort_values("as_of")["shares"].iloc[-1]  # the last count dated at or before
    return shares * (close[pd.Timestamp("2025-01-24")] - close[pd.Timestamp("2025-01-27")]) / 1e9


SEARCHED = """() => { const s = document.querySelector('#search-results .search-summary');
  return s && /found|match/i.test(s.textContent); }"""


@pytest.mark.build
def test_search_for_593_finds_the_landing_page_and_the_nvidia_chapter(site, browser, snapshot):  # noqa: F811
    query = f"{nvidia_loss_bn():.0f}"
    assert query == "593"
    server, base = serve(site)
    found = {}
    try:
        for patched in (True, False):  # without the book's search script: Sphinx's own search
            context = browser.new_context()
            if not patched:
                context.route("**/deepshock-search.js*", lambda route: route.abort())
            tab = context.new_page()
            tab.goto(f"{base}/search.html?q={query}", wait_until="load")
            tab.wait_for_function(SEARCHED, timeout=20_000)
            found[patched] = {a.get_attribute("href").split("?")[0] for a in
                              tab.query_selector_all("#search-results ul.search li a")}
            context.close()
    finally:
        server.shutdown()
    assert {"intro.html", "chapters/nvidia.html"} <= found[True], found[True]
    assert found[False] == set(), "Sphinx alone finds numbers: the book's script is not needed"
    # the two pages state the computed loss, which rounds to the figure searched for
    stated = f"${nvidia_loss_bn():,.1f}bn"
    for name in ("intro.html", "chapters/nvidia.html"):
        assert stated in soup_of(site / name).select_one("article").get_text(" "), name


# --- 5. reading time under each page's title -----------------------------------------------------

def test_reading_minutes_round_half_up_from_230_words():
    assert [page.reading_minutes(w) for w in (0, 114, 344, 345, 1380)] == [1, 1, 1, 2, 6]


def test_prose_words_leave_out_code_tables_math_and_the_stamp():
    from docutils.core import publish_doctree

    doctree = publish_doctree("Title\n=====\n\nOne two three, four.\n\n::\n\n    code words here\n\n"
                              "+-----+-----+\n| a b | c d |\n+-----+-----+\n\n"
                              ".. math:: x + y\n\n.. raw:: html\n\n   <b>raw words</b>\n")
    doctree += page.nodes.paragraph("", "stamp words", classes=[page.NOINDEX])
    before = doctree.pformat()
    assert page.prose_words(doctree) == 5  # "Title" and the four words of the paragraph
    assert doctree.pformat() == before     # counted without changing the page


def oracle_words(article) -> int:
    """Words of a built page's prose, recounted from its HTML: the article without code cells,
    tables, charts, scripts, math, the blocks kept out of the index, the table of contents and
    the PDF link (navigation), and the labels the HTML writer adds (heading links, figure
    numbers)."""
    for junk in article.select("div.cell, table, script, style, pre, .deepshock-chart, .math, "
                               "mjx-container, .deepshock-noindex, .deepshock-edition, "
                               "div.toctree-wrapper, p.deepshock-pdf, "
                               "a.headerlink, span.caption-number"):
        junk.decompose()
    return sum(1 for word in article.get_text(" ").split() if any(c.isalnum() for c in word))


@pytest.mark.build
def test_every_page_states_its_reading_time_under_its_title(site):  # noqa: F811
    for path in pages(site):
        if path.name in ("search.html", "genindex.html"):
            continue
        soup = soup_of(path)
        title = soup.select_one("article section > h1")
        time = soup.select_one("p.deepshock-reading-time")
        assert title is not None and time is not None, path.name
        assert time.find_parent("div") is title.find_next_sibling(), f"{path.name}: not under h1"
        words = int(time["data-words"])
        assert time.get_text() == f"{page.reading_minutes(words)} min read", path.name
        assert "min read" not in (meta(soup).get("description") or "")


@pytest.mark.build
@pytest.mark.parametrize("name", ["intro.html", "chapters/nvidia.html"])
def test_reading_time_is_the_prose_at_230_words_a_minute(site, name):  # noqa: F811
    soup = soup_of(site / name)
    time = soup.select_one("p.deepshock-reading-time")
    stated = int(time["data-words"])
    minutes = int(re.fullmatch(r"(\d+) min read", time.get_text()).group(1))
    words = oracle_words(soup.select_one("article"))
    assert words > 300
    assert abs(words - stated) <= 0.01 * words, (words, stated)
    assert abs(minutes - words / 230) <= 0.5 + 0.01 * words / 230


@pytest.mark.build
def test_reading_time_is_in_the_site_only(site, pdf):  # noqa: F811
    """Not in the PDF, and not in the search index: "min" leads only to pages whose prose
    says it."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "min read" not in text
    index = json.loads(re.search(r"Search\.setIndex\((.*)\)",
                                 (site / "searchindex.js").read_text(encoding="utf-8"),
                                 re.S).group(1))
    indexed = index["terms"].get("min", [])
    indexed = {index["docnames"][i] for i in ([indexed] if isinstance(indexed, int) else indexed)}
    for path in pages(site):
        article = soup_of(path).select_one("article")
        if article is None or path.name in ("search.html", "genindex.html"):
            continue
        for junk in article.select(".deepshock-noindex"):
            junk.decompose()
        says = re.search(r"\bmin\b", article.get_text(" "), re.I) is not None
        name = path.relative_to(site).with_suffix("").as_posix()
        assert (name in indexed) <= says, f"{name}: indexed under 'min' by its reading time"
    assert len(indexed) < len(pages(site)) - 2
