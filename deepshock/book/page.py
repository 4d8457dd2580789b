"""Each web page shaped for its readers (part of the `deepshock.book.site` extension).

- The hidden code cells a chapter opens with move below its opening text ("In short"), so a
  reader meets the finding first and the "show code" toggles after it.
- The search index holds prose only: code cells and blocks marked ``deepshock-noindex`` (e.g.
  the build manifest, the edition stamp) are left out of it; it holds no word of an earlier
  build, so an incremental build writes the same index as a clean one.
- Each page states its reading time under its title ("6 min read": its prose words, without
  code, tables, charts and math, at WORDS_PER_MINUTE); HTML only.
- Every page carries the book's favicon, a meta description (its "In short" paragraph, else
  its first paragraph) and an Open Graph card: title, description and, on a page with a chart,
  a PNG of its first chart (`_static/og/`, drawn offline by vl-convert, once per chart, beside
  the build: `deepshock.book.cards`).
- Each chart's Vega-Lite spec is compiled to Vega as the page is written
  (`deepshock.book.vega.compile_page`): the page loads the Vega runtime, never the Vega-Lite
  compiler.
- Scripts a page does not use are not loaded: the Vega runtime is fetched by `deepshock.js`
  only when a chart comes into view (formulas are MathML, `deepshock.book.mathml`: no script);
  the theme's 1.5 MB icon-font script is replaced by CSS icons (`_static/deepshock.css`),
  Sphinx's search scripts load on the search page only (the search box elsewhere submits to
  it), and every other script file is deferred (run in order once the page is parsed, as each
  already waits for), so none holds up the first paint.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx

from . import search, styles
from .cards import cards_drawn, chart_image

NOINDEX = "deepshock-noindex"
EDITION = "deepshock-edition"  # the edition stamp (deepshock.book.site): never a description
FAVICON = "_static/favicon.svg"
READING = "deepshock-reading-time"  # "6 min read" under each page's title
WORDS_PER_MINUTE = 230
DESCRIPTION_CHARS = 300
# Template-level scripts the pages do not need (written by the theme's layout, not script_files).
# The theme's preloads of its own deferred scripts go too: fetched at high priority, they compete
# with the stylesheet for a phone's bandwidth before the first paint (each still loads, deferred).
UNUSED = [re.compile(r'\s*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>'),
          re.compile(r'\s*<link rel="preload" as="script" href="[^"]*_static/scripts/'
                     r'(?:bootstrap|pydata-sphinx-theme)\.js[^"]*" />')]
# A table cell holding one paragraph holds its text: the same layout (`_static/deepshock.css`
# gives cells the paragraphs' wrapping) with half the elements (a long table's cells are most of
# its page's DOM, which a phone styles and lays out before it is idle).
CELL = re.compile(r'(<t[dh]\b[^>]*>)<p>((?:(?!</?p[\s>]).)*?)</p>(</t[dh]>)', re.S)
# docutils marks bibliography entries with the deprecated DPUB role inside a role="list":
# entries become list items, as that list requires (axe / Lighthouse accessibility).
ARIA = [(re.compile(r'(<div class="citation" id="[^"]*" )role="doc-biblioentry"'), r'\1role="listitem"')]
SEARCH_TOOLS = re.compile(r'\s*<script src="[^"]*(?:_static/searchtools\.js|_static/language_data'
                          r'\.js|searchindex\.js)[^"]*"></script>')


# ---- opening text before code ----------------------------------------------------------------

def _is_code_cell(node: nodes.Node) -> bool:
    """A notebook code cell (myst-nb's container; its source may sit inside a toggle)."""
    return isinstance(node, nodes.container) and "cell" in node.get("classes", []) and any(
        "cell_input" in child.get("classes", []) for child in node.findall(nodes.Element))


def code_after_opening(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Move the code cells that precede a page's opening text to just after it: the "In short"
    paragraph when there is one, else the first paragraph."""
    if app.builder.format != "html":
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return
    children = list(section.children)
    paragraphs = [i for i, n in enumerate(children) if isinstance(n, nodes.paragraph)]
    if not paragraphs:
        return
    short = [i for i in paragraphs if children[i].astext().startswith("In short")]
    at = (short or paragraphs)[0]
    cells = [n for n in children[:at] if _is_code_cell(n)]
    for cell in cells:
        section.remove(cell)
    where = section.index(children[at]) + 1
    for offset, cell in enumerate(cells):
        section.insert(where + offset, cell)


# ---- reading time ----------------------------------------------------------------------------

def prose_words(doctree: nodes.document) -> int:
    """Words of the page's prose: its text without code, tables, charts and other raw HTML,
    math, and NOINDEX blocks (the edition stamp, so the count is the same in every build). A
    word is a run of non-space characters holding a letter or digit."""
    def drop(n: nodes.Element) -> bool:
        return (_is_code_cell(n) or NOINDEX in n.get("classes", [])
                or isinstance(n, (nodes.literal_block, nodes.table, nodes.raw, nodes.math,
                                  nodes.math_block, nodes.comment)))
    with _without(doctree, drop) as prose:
        return sum(1 for word in prose.astext().split() if any(c.isalnum() for c in word))


@contextmanager
def _without(doctree: nodes.document, drop) -> Iterator[nodes.document]:
    """`doctree` itself with the nodes `drop` selects taken out for the block, then put back
    where they were. Taking out and putting back costs a few list operations; copying a page's
    doctree (its charts' payloads included) cost about 0.1 s a page."""
    dropped = [n for n in doctree.findall(nodes.Element) if n.parent is not None and drop(n)]
    inner = set(map(id, dropped))
    top = [n for n in dropped if not any(id(a) in inner for a in _ancestors(n))]
    removed = []
    for node in reversed(top):   # last first: an earlier sibling's index stays as it was
        parent = node.parent
        at = parent.index(node)
        parent.remove(node)
        removed.append((parent, at, node))
    try:
        yield doctree
    finally:
        for parent, at, node in reversed(removed):
            parent.insert(at, node)


def reading_minutes(words: int) -> int:
    """Minutes to read `words` at WORDS_PER_MINUTE, rounded half up, at least 1."""
    return max(1, (2 * words + WORDS_PER_MINUTE) // (2 * WORDS_PER_MINUTE))


def reading_time(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """The page's reading time ("6 min read") under its title, in HTML only, kept out of the
    search index and the description; `data-words` holds the word count it comes from."""
    if app.builder.format != "html":
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None or not isinstance(section.children[0], nodes.title):
        return
    words = prose_words(doctree)
    minutes = reading_minutes(words)
    text = f'<p class="{READING}" data-words="{words}">{minutes} min read</p>'
    section.insert(1, nodes.raw("", text, format="html", classes=[NOINDEX]))


# ---- search: prose only -----------------------------------------------------------------------

def prose_only(doctree: nodes.document):
    """A context manager: within it, `doctree` without its code cells, literal blocks and
    NOINDEX blocks (all put back when the block ends)."""
    return _without(doctree, lambda n: _is_code_cell(n) or isinstance(n, nodes.literal_block)
                    or NOINDEX in n.get("classes", []))


def index_prose_only(app: Sphinx) -> None:
    builder = app.builder
    if builder.format != "html" or not hasattr(builder, "index_page"):
        return
    original = builder.index_page

    def index_page(pagename: str, doctree: nodes.document, title: str) -> None:
        with prose_only(doctree) as prose:
            original(pagename, prose, title)

    builder.index_page = index_page
    dump = builder.dump_search_index

    def dump_search_index() -> None:
        """Sphinx prunes the previous build's index of re-read pages but keeps their words,
        with no page left, as empty entries: drop them, so that an incremental build writes the
        index a clean build writes."""
        indexer = builder.indexer
        if indexer is not None:
            indexer.prune(builder.env.all_docs)
            for mapping in (indexer._mapping, indexer._title_mapping):
                for word in [word for word, pages in mapping.items() if not pages]:
                    del mapping[word]
        dump()

    builder.dump_search_index = dump_search_index


# ---- meta description and Open Graph card -----------------------------------------------------

def description(doctree: nodes.document | None) -> str | None:
    """The page's "In short" paragraph (without that label), else its first paragraph; never
    one holding the edition stamp, which differs from build to build."""
    if doctree is None:
        return None
    paragraphs = [p for p in doctree.findall(nodes.paragraph)
                  if not any(isinstance(a, (nodes.admonition, nodes.footnote, nodes.citation,
                                            nodes.table, nodes.caption, nodes.container))
                             for a in _ancestors(p))
                  and not any(EDITION in n.get("classes", []) for n in p.findall(nodes.Element))]
    chosen = next((p for p in paragraphs if p.astext().startswith("In short")), None)
    chosen = chosen or next((p for p in paragraphs if len(p.astext()) > 60), None)
    if chosen is None:
        return None
    text = re.sub(r"\s+", " ", chosen.astext()).strip()
    text = re.sub(r"^In short\.?\s*", "", text)
    if len(text) > DESCRIPTION_CHARS:
        text = text[:DESCRIPTION_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return text


def _ancestors(node: nodes.Node):
    node = node.parent
    while node is not None:
        yield node
        node = node.parent


def absolute(app: Sphinx, path: str) -> str | None:
    """`path` (relative to the site's root) as an absolute URL under `html_baseurl` (the public
    site, `_config.yml`), or None when the build has no base URL."""
    base = app.config.html_baseurl
    return f"{base.rstrip('/')}/{path}" if base else None


def page_meta(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Meta description, Open Graph card (absolute URLs: a card is read off the site), and only
    the scripts this page uses. Sphinx writes the canonical link from the same base URL."""
    project = app.config.project
    title = re.sub(r"<[^>]+>", "", context.get("title") or project)
    text = description(doctree) or f"{title}: a page of {project}, an executable research book."
    body = context.get("body", "")
    tags = [("name", "description", text), ("property", "og:title", title),
            ("property", "og:description", text), ("property", "og:type", "article"),
            ("property", "og:site_name", project)]
    url = absolute(app, app.builder.get_target_uri(pagename))
    if url:
        tags.append(("property", "og:url", url))
    image = chart_image(app, body)
    if image:
        tags += [("property", "og:image", absolute(app, image) or context["pathto"](image, 1)),
                 ("name", "twitter:card", "summary_large_image")]
    context["metatags"] = context.get("metatags", "") + "".join(
        f'\n<meta {kind}="{key}" content="{html.escape(value, quote=True)}" />'
        for kind, key, value in tags)

    has_chart = "deepshock-chart" in body
    kept = []
    for asset in context.get("script_files", []):
        name = str(getattr(asset, "filename", "") or "")
        if name.endswith("vega-bundle.js") or (name.endswith("deepshock.js") and not has_chart):
            continue
        if name.endswith("design-tabs.js") and "sd-tab" not in body:
            continue
        if name.endswith(search.SCRIPT):
            if pagename != "search":
                continue
            asset.attributes["defer"] = "defer"  # after searchtools.js, before the search runs
        if name and pagename != "search" and "defer" not in asset.attributes:
            # no script holds up the first paint: each runs, in order, once the page is parsed
            # (a copy: the builder shares one asset object among all pages)
            asset = type(asset)(asset.filename, priority=asset.priority,
                                **{**asset.attributes, "defer": "defer"})
        kept.append(asset)
    context["script_files"] = kept


def compile_charts(app: Sphinx, pagename: str, templatename: str, context: dict,
                   doctree) -> None:
    """Each chart of the page compiled to Vega (after `page_meta`, which draws the card's image
    from the Vega-Lite spec)."""
    body = context.get("body", "")
    if "deepshock-chart" not in body:
        return
    from . import preview
    from .vega import compile_page

    def show(chart: dict, name: str) -> str:   # a chart at the top of its page: its pictures
        figdata = Path(app.srcdir) / "_build" / "figdata"
        urls, sizes = {}, {}
        for layout, svg in preview.pictures(chart, name, figdata).items():
            target = Path(app.outdir) / "_static" / "preview" / svg.name
            if not target.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(svg.read_bytes())
            urls[layout] = context["pathto"](f"_static/preview/{svg.name}", 1)
            sizes[layout] = preview.size(svg)
        return preview.picture(urls, sizes)

    context["body"] = compile_page(body, show)


def trim_pages(app: Sphinx, exception: Exception | None) -> None:
    """Drop the theme's template-level scripts no page uses (and the search scripts from every
    page but the search page) from the written HTML, mend docutils' bibliography roles, unwrap
    table cells' single paragraphs (`CELL`) and link one purged stylesheet
    (`deepshock.book.styles`) in place of the theme's nine."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    pages = [path for path in out.rglob("*.html") if not path.relative_to(out).parts[0].startswith("_")]
    for path in pages:
        text = path.read_text(encoding="utf-8")
        trimmed = text
        for pattern in UNUSED:
            trimmed = pattern.sub("", trimmed)
        for pattern, repl in ARIA:
            trimmed = pattern.sub(repl, trimmed)
        trimmed = CELL.sub(r"\1\2\3", trimmed)
        if path.relative_to(out).as_posix() != "search.html":
            trimmed = SEARCH_TOOLS.sub("", trimmed)
        if trimmed != text:
            path.write_text(trimmed, encoding="utf-8")
    styles.combine_styles(out, pages)


def favicon(app: Sphinx, config) -> None:
    """The book's icon (`_static/favicon.svg`) when the book has one (throwaway test books
    built from the same configuration do not)."""
    if not config.html_favicon and (Path(app.srcdir) / FAVICON).is_file():
        config.html_favicon = FAVICON


def setup(app: Sphinx) -> None:
    app.connect("config-inited", favicon)
    app.connect("doctree-resolved", code_after_opening, priority=700)
    app.connect("doctree-resolved", reading_time, priority=800)  # after the code moved
    app.connect("builder-inited", index_prose_only)
    app.connect("html-page-context", page_meta, priority=700)
    app.connect("html-page-context", compile_charts, priority=900)
    app.connect("build-finished", cards_drawn, priority=100)
    app.connect("build-finished", trim_pages)
