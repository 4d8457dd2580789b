"""The built website works offline in a real browser, on a phone and on a desktop.

A session fixture builds the real book once (the same strict build as `make book`; the PDF
edition first when TeX Live is installed, so the site offers it), serves `_build/html` on
127.0.0.1 and loads every page in headless Debian Chromium driven by Playwright (launched through
`executable_path`; Playwright's own browser downloads are never used), at 390 px and 1400 px
wide. Recorded per page and width: every request, failed responses, console errors and uncaught
exceptions, the state of every chart, the smallest chart text as rendered (CSS px after any
scaling), overlapping chart labels, and anything wider than the viewport or its column.
390 px screenshots of every chart go to `_build/browser-shots/`. Set DEEPSHOCK_SITE_ROOT to
check another copy of the book.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import threading
from itertools import combinations
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from deepshock.book.build import build
from tests.conftest import CHROMIUM  # noqa: F401  (other test modules import it from here)

ROOT = Path(__file__).resolve().parent.parent
SITE_ROOT = Path(os.environ.get("DEEPSHOCK_SITE_ROOT", ROOT)).resolve()
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOCAL_SCHEMES = {"data", "blob", "about"}
MAX_PAGE_BYTES = 400_000
PHONE, DESKTOP = 390, 1400
MIN_TEXT_PX = 11.0
CHART_WAIT_MS = 20_000  # a page may take this long to draw its charts before it is reported

# Charts drawn (or failed) on the page: every .deepshock-chart holds SVG marks or an error.
SETTLED = """() => Array.from(document.querySelectorAll('.deepshock-chart')).every(el =>
  el.classList.contains('chart-error') || el.querySelector('svg .role-mark > *'))"""

# What the page reports: its charts, their text as rendered, overlaps and overflow.
PROBE = """() => {
  const round = x => Math.round(x * 10) / 10;
  const article = document.querySelector('.bd-article') || document.body;
  const col = article.getBoundingClientRect();
  const charts = Array.from(document.querySelectorAll('.deepshock-chart')).map(el => {
    const texts = Array.from(el.querySelectorAll('svg text')).filter(t =>
      t.textContent.trim() && getComputedStyle(t).visibility !== 'hidden' &&
      parseFloat(getComputedStyle(t).opacity || '1') > 0 && t.getBBox().width > 0);
    const sized = texts.map(t => {
      const m = t.getScreenCTM();
      return {text: t.textContent.trim().slice(0, 40),
              px: parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b),
              box: t.getBoundingClientRect()};
    });
    const small = sized.filter(s => s.px < %(min)s - 0.05).map(s => `${s.text} (${round(s.px)} px)`);
    const overlaps = [];
    for (let i = 0; i < sized.length; i++) for (let j = i + 1; j < sized.length; j++) {
      const a = sized[i].box, b = sized[j].box;
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 2 && h > 2) overlaps.push(`${sized[i].text} / ${sized[j].text}`);
    }
    const box = el.getBoundingClientRect(), svg = el.querySelector('svg');
    return {id: el.id, svg: !!svg, marks: el.querySelectorAll('svg .role-mark > *').length,
            error: el.classList.contains('chart-error') ? el.textContent : null,
            min_px: sized.length ? round(Math.min(...sized.map(s => s.px))) : null,
            small: small.slice(0, 5), overlaps: overlaps.slice(0, 5),
            width: round(svg ? svg.getBoundingClientRect().width : box.width),
            right_over: round((svg ? svg.getBoundingClientRect().right : box.right) - col.right)};
  });
  // Elements wider than the article column, unless they scroll inside a box that fits it.
  const scroller = el => {
    for (let p = el.parentElement; p && p !== article; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') return p;
    }
    return null;
  };
  const wide = [];
  for (const el of article.querySelectorAll('table, figure, img, svg.marks, pre, .deepshock-chart, .cell_output, .pst-scrollable-table-container')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0) continue;
    const box = scroller(el);
    const outer = box ? box.getBoundingClientRect() : r;
    if (outer.right > col.right + 1 || outer.left < col.left - 1) {
      wide.push(`${el.tagName.toLowerCase()}.${String(el.className).split(' ')[0]} ${round(outer.width)} px in ${round(col.width)} px`);
    }
    if (box && el.tagName === 'TABLE' && box.scrollWidth > box.clientWidth + 1) {
      const key = el.querySelector('tbody tr > :first-child');
      if (key && getComputedStyle(key).position !== 'sticky') {
        wide.push(`table scrolls without its key column held in view`);
      }
    }
  }
  return {ready: document.readyState, charts, errors: document.querySelectorAll('.chart-error').length,
          vega_lite: ['vegaLite', 'vl', 'vegaEmbed'].filter(name => typeof window[name] !== 'undefined'),
          viewport: document.documentElement.clientWidth,
          page_width: document.documentElement.scrollWidth, column: round(col.width),
          wide: wide.slice(0, 10),
          pdf_links: Array.from(document.querySelectorAll('a[href$=".pdf"]')).map(a => a.href),
          search_boxes: Array.from(document.querySelectorAll(
            '.search-button-field, .search-button, form.bd-search, #searchbox input')).filter(el => {
              const r = el.getBoundingClientRect(), s = getComputedStyle(el);
              return r.width > 0 && r.height > 0 && s.visibility !== 'hidden';
            }).length};
}""" % {"min": MIN_TEXT_PX}


def external(urls: list[str]) -> list[str]:
    """Requests that would leave this machine (anything but loopback, data: and blob:)."""
    return [u for u in urls if urlsplit(u).scheme not in LOCAL_SCHEMES
            and urlsplit(u).hostname not in LOOPBACK]


def visit(browser, url: str, width: int = DESKTOP, shots: Path | None = None) -> dict:
    """Load `url` in a fresh context `width` px wide, bring every chart into view (as a reader
    scrolling would) and return requests, problems, chart state and layout measurements."""
    context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    requests, problems = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(f"console: {m.text}")
            if m.type in ("error", "assert") else None)
    page.on("pageerror", lambda e: problems.append(f"exception: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"load failed: {r.failure} {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)
    try:
        page.goto(url, wait_until="load")
        for chart in page.query_selector_all(".deepshock-chart"):
            chart.scroll_into_view_if_needed()
            if chart.query_selector(".deepshock-preview"):
                chart.hover()   # a chart shown as its picture goes live when a reader touches it
        try:
            page.wait_for_function(SETTLED, timeout=CHART_WAIT_MS)
        except Exception:  # reported below as undrawn charts
            pass
        page.evaluate("window.scrollTo(0, 0)")
        state = page.evaluate(PROBE)
        if shots is not None:  # the sticky header would cover the top of each picture
            page.add_style_tag(content=".bd-header-article, .header-article, #pst-back-to-top "
                                       "{visibility: hidden !important}")
            stem = urlsplit(url).path.strip("/").replace("/", "_").removesuffix(".html")
            for i, chart in enumerate(page.query_selector_all(".deepshock-chart")):
                chart.scroll_into_view_if_needed()
                chart.screenshot(path=str(shots / f"{stem}-{i + 1}-{width}px.png"))
    finally:
        context.close()
    return {"url": url, "width": width, "requests": requests, "problems": problems, **state}


# --- fixtures ----------------------------------------------------------------------------------

@functools.cache
def build_site() -> Path:
    """Build the book with the same strict build as `make book` (once per test run), after the
    PDF edition when TeX Live is installed, so that the site offers it as `make book` in CI does.
    The session's background process (`tests.background`) makes both while other tests run;
    without it they are made here."""
    from tests import background
    from tests.test_pdf import build_pdf, can_build_pdf

    if can_build_pdf() and SITE_ROOT == ROOT:
        build_pdf()
    made = background.wait("html")
    code = made["code"] if made else build("html", root=SITE_ROOT)
    assert code == 0, (f"strict build of {SITE_ROOT} failed with exit code {code}"
                       + (f"\n{background.tail()}" if made else ""))
    return SITE_ROOT / "_build" / "html"


@pytest.fixture(scope="session")
def site() -> Path:
    """The built site, `_build/html` (other test modules import this fixture)."""
    return build_site()


def serve(directory: Path):
    """Serve `directory` on 127.0.0.1 from a free port in a thread; return (server, base URL)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass
    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address) -> None:
            pass  # a browser closing a connection early is not a site problem
    handler = functools.partial(Quiet, directory=str(directory))
    server = Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


# `browser` (headless Debian Chromium under Playwright) is in conftest.py: one per session, shared
# with the other modules that drive Chromium (Playwright's sync API allows one at a time).


def pages(html: Path) -> list[Path]:
    """Every page of the site (not the theme's templates under `_static`, `_sources`, ..., nor
    the root `index.html`, which only redirects to the first page)."""
    return sorted(p for p in html.rglob("*.html")
                  if not p.relative_to(html).parts[0].startswith(("_", "."))
                  and 'http-equiv="Refresh"' not in p.read_text(encoding="utf-8")[:2000])


@pytest.fixture(scope="session")
def visits(site, browser) -> list[dict]:
    """Load every page at both widths; also written to `_build/browser-report.json`."""
    shots = site.parent / "browser-shots"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir()
    server, base = serve(site)
    try:
        seen = [visit(browser, f"{base}/{page.relative_to(site).as_posix()}", width,
                      shots if width == PHONE else None)
                for width in (PHONE, DESKTOP) for page in pages(site)]
    finally:
        server.shutdown()
    (site.parent / "browser-report.json").write_text(json.dumps(seen, indent=1))
    return seen


def at(visits: list[dict], width: int) -> list[dict]:
    return [v for v in visits if v["width"] == width]


# --- the harness itself can fail -----------------------------------------------------------------

def test_harness_records_foreign_requests_errors_and_layout(browser, tmp_path):
    (tmp_path / "index.html").write_text(
        '<html><body><div class="bd-article" style="width:300px">'
        '<img src="http://127.0.0.2:9/canary.png">'
        '<div class="deepshock-chart chart-error" id="c">Chart could not be drawn: canary</div>'
        '<div class="deepshock-chart" id="d"><svg class="marks" width="600" height="40" '
        'viewBox="0 0 600 40" style="width:300px;height:20px"><g class="role-mark"><rect '
        'width="5" height="5"/></g><text x="0" y="20" font-size="11">tiny</text>'
        '<text x="4" y="22" font-size="11">overlap</text></svg></div>'
        '<table><tr><td style="white-space:nowrap">' + "wide " * 100 + '</td></tr></table>'
        '</div><script>console.error("canary error"); missingFunction();</script></body></html>')
    server, base = serve(tmp_path)
    try:
        seen = visit(browser, f"{base}/index.html", width=PHONE)
    finally:
        server.shutdown()
    assert [u for u in seen["requests"] if urlsplit(u).hostname == "127.0.0.2"], seen["requests"]
    assert external(["http://127.0.0.2:9/x", "https://cdn.example/x.js", f"{base}/a.js",
                     "data:image/png;base64,AAAA"]) == ["http://127.0.0.2:9/x",
                                                        "https://cdn.example/x.js"]
    assert any("canary error" in p for p in seen["problems"])
    assert any("missingFunction" in p for p in seen["problems"])
    error, scaled = seen["charts"]
    assert error["error"] == "Chart could not be drawn: canary" and not error["svg"]
    assert seen["errors"] == 1
    assert scaled["min_px"] == 5.5 and scaled["small"], scaled   # 11 px scaled to half
    assert scaled["overlaps"] == ["tiny / overlap"], scaled
    assert any(w.startswith("table.") for w in seen["wide"]), seen["wide"]
    assert seen["page_width"] > seen["viewport"]


# --- the site --------------------------------------------------------------------------------

@pytest.mark.build
@pytest.mark.browser
def test_every_page_loads_only_local_resources(visits):
    assert len(visits) >= 6  # intro, search, genindex and the chapters, at two widths
    leaks = {v["url"]: external(v["requests"]) for v in visits if external(v["requests"])}
    assert not leaks, f"pages request third-party hosts: {leaks}"
    assert all(v["requests"] for v in visits)


@pytest.mark.build
@pytest.mark.browser
def test_every_chart_draws(visits):
    charts = [(v["url"], v["width"], c) for v in visits for c in v["charts"]]
    assert charts, "the site has no chart at all"
    broken = [(url, w, c["id"], c["error"]) for url, w, c in charts
              if not (c["svg"] and c["marks"]) or c["error"]]
    assert not broken, f"charts not drawn: {broken}"
    assert not [v["url"] for v in visits if v["errors"]], "a page shows a chart-error"


@pytest.mark.build
@pytest.mark.browser
def test_no_console_errors_or_failed_loads(visits):
    problems = {f"{v['url']} @{v['width']}": v["problems"] for v in visits if v["problems"]}
    assert not problems, f"browser reported problems: {problems}"


@pytest.mark.build
@pytest.mark.browser
def test_chart_text_is_legible_on_a_phone(visits):
    """At 390 px no chart text renders below 11 CSS px, and no two labels overlap."""
    charts = [(v["url"], c) for v in at(visits, PHONE) for c in v["charts"]]
    assert charts and all(c["min_px"] for _, c in charts), charts
    small = {f"{url}#{c['id']}": c["small"] for url, c in charts if c["small"]}
    assert not small, f"chart text under {MIN_TEXT_PX} px at {PHONE} px: {small}"
    overlaps = {f"{url}#{c['id']}": c["overlaps"] for url, c in charts if c["overlaps"]}
    assert not overlaps, f"overlapping chart labels at {PHONE} px: {overlaps}"


@pytest.mark.build
@pytest.mark.browser
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_nothing_is_wider_than_the_screen_or_its_column(visits, width):
    seen = at(visits, width)
    assert seen
    wider = {v["url"]: v["page_width"] for v in seen if v["page_width"] > v["viewport"]}
    assert not wider, f"pages wider than the {width} px viewport: {wider}"
    charts = {f"{v['url']}#{c['id']}": c["right_over"] for v in seen for c in v["charts"]
              if c["right_over"] > 1}
    assert not charts, f"charts running past their column at {width} px: {charts}"
    boxes = {v["url"]: v["wide"] for v in seen if v["wide"]}
    assert not boxes, f"tables or figures wider than their column at {width} px: {boxes}"


@pytest.mark.build
@pytest.mark.browser
def test_one_search_box(visits):
    boxes = {f"{v['url']} @{v['width']}": v["search_boxes"] for v in visits
             if v["search_boxes"] != 1 and not v["url"].endswith("/search.html")}
    assert not boxes, f"pages without exactly one search box in view: {boxes}"


@pytest.mark.build
@pytest.mark.browser
def test_every_page_offers_the_book_pdf(visits, browser, site):
    if not (site / "_static" / "deepseek-shock.pdf").is_file():
        pytest.skip("this build has no PDF edition (TeX Live missing: `make pdf` makes it)")
    missing = [v["url"] for v in visits if not v["pdf_links"]]
    assert not missing, f"pages without a link to the book PDF: {missing}"
    server, base = serve(site)
    context = browser.new_context()
    try:
        for link in sorted({urlsplit(u).path for v in visits for u in v["pdf_links"]}):
            reply = context.request.get(urljoin(base, link))
            assert reply.ok, f"{link}: HTTP {reply.status}"
            assert reply.body()[:5] == b"%PDF-", f"{link} is not a PDF"
    finally:
        context.close()
        server.shutdown()


@pytest.mark.build
def test_pages_stay_small(site):
    sizes = {p.relative_to(site).as_posix(): p.stat().st_size for p in pages(site)}
    too_big = {name: size for name, size in sizes.items() if size > MAX_PAGE_BYTES}
    assert not too_big, f"pages over {MAX_PAGE_BYTES} bytes: {too_big}"


@pytest.mark.build
def test_every_page_has_a_description_card_and_favicon(site):
    for page in pages(site):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        name = page.relative_to(site).as_posix()
        meta = {m.get("name") or m.get("property"): m.get("content") for m in soup.find_all("meta")}
        assert len(meta.get("description") or "") > 40, f"{name}: no meta description"
        assert meta.get("og:title") and meta.get("og:description"), f"{name}: no Open Graph card"
        icon = soup.find("link", rel="icon")
        assert icon and (page.parent / icon["href"]).is_file(), f"{name}: no favicon"
        if soup.select(".deepshock-chart"):  # an absolute URL under the site's base URL
            image = re.sub(r"^https://[^/]+/[^/]+/", "", meta.get("og:image", ""))
            assert (site / image).is_file() and image.endswith(".png"), \
                f"{name}: card has no chart image"
        assert not soup.find("script", src=re.compile(r"fontawesome")), f"{name}: icon-font script"


@pytest.mark.build
def test_chapters_open_with_prose_before_code(site):
    """The "In short" paragraph comes before any code toggle on every chapter that has one."""
    checked = 0
    for page in pages(site):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        article = soup.select_one("article.bd-article")
        short = next((p for p in article.find_all("p") if p.get_text().startswith("In short")),
                     None) if article else None
        if short is None:
            continue
        cell = article.select_one("div.cell")
        if cell is not None:
            assert short.find_all_previous("div", class_="cell") == [], \
                f"{page.name}: code cell before the opening text"
        checked += 1
    assert checked >= 5


@pytest.mark.build
def test_search_indexes_prose_not_code(site):
    index = (site / "searchindex.js").read_text(encoding="utf-8")
    terms = json.loads(re.search(r"Search\.setIndex\((.*)\)", index, re.S).group(1))["terms"]
    assert "nvidia" in terms
    # names that occur only in the chapters' hidden code cells (report.glue_text, usd_bn)
    code = {"glue_text", "usd_bn"} & set(terms)
    assert not code, f"the search index holds code: {code}"


def _payload(script: str) -> dict:
    """A chart's compiled payload, as its page hands it to deepshock.js."""
    found = re.search(r"var spec=(\{.*?\});function draw", script, re.S)
    return json.loads(found.group(1).replace("<\\/", "</"))


def _spec_row_counts(script: str, page: Path) -> list[int]:
    """Rows of each dataset a chart draws (a layered chart's CSV may stack several); a file
    the chart loads by URL is read from the site, relative to its `page`."""
    chart = _payload(script)
    counts = [len(rows) for rows in chart["data"].values()]
    stack = [chart["wide"]]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for entry in node.get("data") if isinstance(node.get("data"), list) else []:
                if isinstance(entry, dict) and "url" in entry:
                    loaded = page.parent / urlsplit(entry["url"]).path
                    assert loaded.is_file(), f"{page.name}: the chart loads {loaded}, not in the site"
                    counts.append(len(pd.read_csv(loaded)))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return counts


@pytest.mark.build
def test_every_chart_has_a_caption_linking_its_data(site):
    checked = 0
    for page in pages(site):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for chart in soup.select(".deepshock-chart"):
            where = f"{page.relative_to(site)}#{chart.get('id')}"
            figure = chart.find_parent("figure")
            assert figure is not None and figure.get("id"), f"{where}: chart is not a named figure"
            caption = figure.find("figcaption")
            assert caption is not None and caption.get_text(strip=True), f"{where}: no caption"
            links = [a["href"] for a in caption.select("a.download[href]")
                     if a["href"].endswith(".csv")]
            assert len(links) == 1, f"{where}: caption must link one CSV, found {links}"
            csv = (page.parent / links[0]).resolve()
            assert csv.is_file(), f"{where}: {links[0]} is not in the site"
            assert csv.stem == figure["id"], f"{where}: caption links {csv.name}"
            data = pd.read_csv(csv)
            assert len(data) and not data.isna().all(axis=1).any(), f"{where}: empty rows"
            sizes = _spec_row_counts(chart.find_next_sibling("script").string, page)
            layered = {sum(c) for n in range(1, len(sizes) + 1) for c in combinations(sizes, n)}
            assert len(data) in layered, \
                f"{where}: {csv.name} has {len(data)} rows; the chart's datasets have {sizes}"
            checked += 1
    assert checked, "no glued figure found in the site"


@pytest.mark.build
def test_download_menu_offers_source_notebook_and_the_book_not_a_print(site):
    page = site / "chapters" / "nvidia.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    menu = soup.select(".dropdown-download-buttons a, .dropdown-download-buttons button")
    links = {a.get_text(strip=True): a.get("href") for a in menu}
    assert {".md", ".ipynb"} <= set(links), links
    assert ".pdf" not in links, "the menu's .pdf prints the web page instead of the book"
    assert not soup.select('.dropdown-download-buttons [onclick*="print"]')
    notebook = json.loads((page.parent / links[".ipynb"]).read_text(encoding="utf-8"))
    assert notebook["cells"] and notebook["nbformat"] == 4
    assert (page.parent / links[".md"]).read_text(encoding="utf-8").startswith("---")
    if (site / "_static" / "deepseek-shock.pdf").is_file():
        assert (page.parent / links["book .pdf"]).read_bytes()[:5] == b"%PDF-"


# --- the chart runtime: compiled charts, loaded late, tooltips -------------------------------------

@pytest.mark.build
@pytest.mark.browser
def test_no_page_loads_the_vega_lite_compiler(visits, site):
    """Charts arrive compiled to Vega (deepshock.book.vega): no script a page loads holds the
    Vega-Lite compiler or vega-embed, and no page defines their globals."""
    assert not {v["url"]: v["vega_lite"] for v in visits if v["vega_lite"]}
    scripts = {urlsplit(u).path for v in visits for u in v["requests"]
               if urlsplit(u).path.endswith(".js")}
    assert any(path.endswith("/vega-bundle.js") for path in scripts), scripts
    for path in sorted(scripts):   # strings of the compiler's and vega-embed's own code
        text = (site / path.lstrip("/")).read_text(encoding="utf-8", errors="replace")
        found = [s for s in ("vega-lite", "Invalid specification", "vegaEmbed") if s in text]
        assert not found, f"{path} holds the Vega-Lite compiler or vega-embed: {found}"
    checked = 0
    for page in pages(site):
        html = page.read_text(encoding="utf-8")
        assert "schema/vega-lite" not in html, f"{page.name} holds a Vega-Lite spec"
        for script in BeautifulSoup(html, "html.parser").select(".deepshock-chart + script"):
            chart = _payload(script.string)
            assert chart["wide"] and all("marks" in spec for spec in chart["wide"]), page.name
            checked += 1
    assert checked >= 10


FIRST_CHART_TOP = """() => { const c = document.querySelector('.deepshock-chart');
  return c ? c.getBoundingClientRect().top + scrollY : null; }"""


def _first_visit(browser, url: str):
    """A phone's first visit to `url`: (context, page, the URLs it requested)."""
    context = browser.new_context(viewport={"width": PHONE, "height": 844})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(urlsplit(r.url).path))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(1500)
    return context, page, requests


@pytest.mark.build
@pytest.mark.browser
def test_the_chart_runtime_loads_only_when_a_chart_nears_the_view(site, browser):
    """On a page whose first chart is below the first screen, nothing of Vega is fetched until
    the reader scrolls to it; then the chart draws."""
    server, base = serve(site)
    found = None
    try:
        for page_path in pages(site):
            if "deepshock-chart" not in page_path.read_text(encoding="utf-8"):
                continue
            context, page, requests = _first_visit(browser, f"{base}/{page_path.relative_to(site).as_posix()}")
            try:
                top = page.evaluate(FIRST_CHART_TOP)
                if top is None or top < 844 + 600:   # in or near the first screen: not this test's
                    continue
                found = page_path.name
                assert not [r for r in requests if r.endswith("vega-bundle.js")], requests
                assert page.evaluate("() => !document.querySelector('.deepshock-chart svg')")
                page.query_selector(".deepshock-chart").scroll_into_view_if_needed()
                page.wait_for_function("() => document.querySelector('.deepshock-chart.deepshock-drawn')",
                                       timeout=CHART_WAIT_MS)
                assert [r for r in requests if r.endswith("vega-bundle.js")]
            finally:
                context.close()
            break
    finally:
        server.shutdown()
    assert found, "no page has its first chart below the first screen"


@pytest.mark.build
@pytest.mark.browser
def test_a_chart_at_the_top_shows_its_picture_and_goes_live_when_touched(site, browser):
    """The explorer's chart (`story.charts.preview`): its first screen shows the build-time
    picture and fetches neither the runtime nor the chart's data; focusing the box it is bound
    to makes it live."""
    server, base = serve(site)
    context, page, requests = _first_visit(browser, f"{base}/chapters/explorer.html")
    try:
        shown = page.evaluate("""() => { const img = document.querySelector(
          '.deepshock-chart .deepshock-preview img'); return img && img.complete ?
          [img.naturalWidth, img.getBoundingClientRect().width, img.currentSrc] : null; }""")
        assert shown and shown[0] > 0 and 0 < shown[1] <= PHONE, shown
        assert "-narrow-" in shown[2], shown   # the phone's picture
        assert not [r for r in requests if r.endswith("vega-bundle.js") or "/figdata/" in r]
        page.focus("#explorer-pick")
        page.wait_for_function("() => document.querySelector('.deepshock-chart.deepshock-drawn')",
                               timeout=CHART_WAIT_MS)
        assert [r for r in requests if r.endswith("vega-bundle.js")]
        assert page.evaluate("() => !document.querySelector('.deepshock-preview')")
    finally:
        context.close()
        server.shutdown()


TOOLTIP = """() => { const t = document.querySelector('#vg-tooltip-element.visible');
  return t ? t.textContent : null; }"""


@pytest.mark.build
@pytest.mark.browser
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_hovering_a_mark_shows_its_tooltip(site, browser, width):
    server, base = serve(site)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{base}/chapters/nvidia.html", wait_until="load")
        chart = page.query_selector(".deepshock-chart")
        chart.scroll_into_view_if_needed()
        chart.hover()   # the first screen's chart is its picture until the reader touches it
        page.wait_for_function("() => document.querySelector('.deepshock-chart.deepshock-drawn')",
                               timeout=CHART_WAIT_MS)
        text = None
        for mark in chart.query_selector_all("svg .role-mark > *")[:40]:
            box = mark.bounding_box()
            if not box or box["width"] < 2 or box["height"] < 2:
                continue
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(100)
            text = page.evaluate(TOOLTIP)
            if text:
                break
        assert text and len(text) > 3, "no tooltip on any mark"
        tip = page.evaluate("() => document.querySelector('#vg-tooltip-element').getBoundingClientRect().right")
        assert tip <= width, "the tooltip runs off the screen"
        page.mouse.move(1, 1)
        page.wait_for_function("() => !document.querySelector('#vg-tooltip-element.visible')",
                               timeout=5_000)
    finally:
        context.close()
        server.shutdown()


@pytest.mark.build
@pytest.mark.browser
def test_no_page_fetches_an_icon_font(visits):
    fonts = {v["url"]: [u for u in v["requests"] if re.search(r"\.(woff2?|ttf|otf)(\?|$)", u)]
             for v in visits}
    assert not {url: f for url, f in fonts.items() if f}, "pages fetch web fonts"
