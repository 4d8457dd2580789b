"""Sphinx extension for the book's website: self-contained pages and download links.

Loaded from `_config.yml` (`sphinx.extra_extensions`). It

- drops sphinx-thebe's scripts, whose inline config names a third-party CDN (the book has no
  live code cells, so thebe is never used);
- offers each chapter's executed notebook (`.ipynb`) in the theme's download menu, next to the
  MyST `.md` source;
- publishes the PDF edition (`_build/latex/deepseek-shock.pdf`, made by `make pdf`) inside the
  site as `_static/deepseek-shock.pdf` when it exists, adds it to the download menu and provides
  the ``{deepshock-pdf}`` directive, a link that reads "no PDF in this build" when it is absent;
- provides the edition stamp, the only part of a page that differs between two builds of the
  same commit and data: the ``{deepshock-built}`` role (the time of this build, or
  `SOURCE_DATE_EPOCH` when set) and the ``{deepshock-synced}`` role (when the price cache was
  synced), each an element of class ``deepshock-edition`` (`EDITION`) left out of the search
  index and the meta description. In the site the stamps are set as the build ends, in every
  page that carries one (`stamp_pages`), so a build that changes nothing else re-reads and
  rewrites no page; the PDF re-reads its pages that use them on every build (cheaply: their
  notebooks stay cached), so no chapter has to re-execute for them;
- keeps the rest of each build reproducible: the downloadable notebooks get cell ids derived
  from the page and the cell's position (jupytext gives random ones), and the execution table
  of the about page drops its clock columns (when each notebook ran and for how long);
- shapes each page for readers (`deepshock.book.page`): the opening text before the code
  toggles, its reading time under the title, a search index of prose only, a meta description
  and an Open Graph card, charts compiled to Vega (`deepshock.book.vega`), formulas as MathML
  (`deepshock.book.mathml`), and no script a page does not use;
- builds once what extensions would look up again for every glued value or citation
  (`deepshock.book.lookups`);
- makes numbers searchable (`deepshock.book.search`): "593" finds the pages that state $593bn
  or $592.7bn;
- publishes the data file a chart loads by URL (`report.data_url`: the explorer) under
  `_static/figdata/` when, and only when, a page loads it, and fails the build when the file is
  missing or is not the version the page names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import os
import re
import shutil
from pathlib import Path

import nbformat

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective

from . import about, doctrees, latex, lookups, mathml, page, search
from ..data.sync import read_manifest

PDF_NAME = "deepseek-shock.pdf"
PDF_SOURCE = Path("_build") / "latex" / PDF_NAME
PDF_TARGET = f"_static/{PDF_NAME}"
EDITION = page.EDITION  # class of the elements that carry the edition stamp
CLOCK_COLUMNS = ("Modified", "Run Time (s)")  # myst-nb's execution table: when, how long
# Extensions' build-finished handlers that copy static files the pages link to.
LATE_ASSETS = [("myst_nb.sphinx_ext", "add_global_html_resources")]


def pdf_source(srcdir: str | Path) -> Path | None:
    """The PDF edition of the book rooted at `srcdir`, if it has been built."""
    path = Path(srcdir) / PDF_SOURCE
    return path if path.is_file() else None


def pdf_size(srcdir: str | Path) -> int | None:
    """The PDF edition's size in bytes (what the link states), None when there is none."""
    source = pdf_source(srcdir)
    return None if source is None else source.stat().st_size


def pdf_changed(app: Sphinx, env, added, changed, removed) -> list[str]:
    """The pages with a PDF link (`PdfLink`) whose PDF has appeared, gone or changed size."""
    now = pdf_size(env.srcdir)
    return [doc for doc, then in getattr(env, "deepshock_pdf", {}).items()
            if then != now and doc in env.found_docs and doc not in changed]


def forget_pdf(app: Sphinx, env, docname: str) -> None:
    getattr(env, "deepshock_pdf", {}).pop(docname, None)


def _is_thebe(asset: object) -> bool:
    name = str(getattr(asset, "filename", "") or "")
    body = str(getattr(asset, "attributes", {}).get("body", ""))
    return "sphinx-thebe" in name or "THEBE_JS_URL" in body


def drop_thebe_config(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Remove the thebe/Binder config block sphinx-thebe writes into every page."""
    for node in list(doctree.findall(nodes.raw)):
        text = node.astext()
        if "text/x-thebe-config" in text or text.startswith("<script>kernelName = "):
            node.parent.remove(node)


def drop_thebe(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key] if not _is_thebe(asset)]


def offer_notebook(app: Sphinx, pagename: str, templatename: str, context: dict,
                   doctree) -> None:
    """Copy the executed notebook next to the page's source; the theme then offers `.ipynb`."""
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.read(executed, as_version=4)
    for index, cell in enumerate(notebook.cells):
        cell["id"] = cell_id(pagename, index)
    text = nbformat.writes(notebook) + "\n"
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    context["ipynb_source"] = f"{pagename}.ipynb"


def cell_id(pagename: str, index: int) -> str:
    """A notebook cell's id from its page and position: the same in every build (jupytext and
    myst-nb give each cell a random one), unique within the notebook."""
    return hashlib.sha256(f"{pagename}#{index}".encode()).hexdigest()[:12]


def offer_pdf(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Offer the whole book's PDF in the theme's download menu instead of the theme's ".pdf",
    which only prints the web page; with no PDF in this build, offer no ".pdf" at all."""
    available = pdf_source(app.srcdir) is not None
    for button in context.get("header_buttons", []):
        if button.get("label") != "download-buttons":
            continue
        kept = [b for b in button["buttons"] if b.get("label") != "download-pdf-button"]
        if available:
            kept.append({
                "type": "link", "url": context["pathto"](PDF_TARGET, 1), "text": "book .pdf",
                "tooltip": "Download the whole book (PDF)", "icon": "fas fa-file-pdf",
                "label": "download-book-pdf-button",
            })
        button["buttons"] = kept
    if available:  # every page, also those without a download menu (search, index)
        link = (f'<p class="deepshock-pdf-footer"><a href="{context["pathto"](PDF_TARGET, 1)}">'
                "Download the whole book (PDF)</a></p>")
        context["theme_extra_footer"] = (context.get("theme_extra_footer") or "") + link


def publish_pdf(app: Sphinx, exception: Exception | None) -> None:
    """Copy the PDF edition into the HTML output, or remove a stale copy when there is none."""
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / PDF_TARGET
    source = pdf_source(app.srcdir)
    if source is None:
        target.unlink(missing_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


DATA_URL = re.compile(r'"url":"((?:\.\./)*_static/figdata/[^"?]+\?v=[0-9a-f]+)"')


def publish_data(app: Sphinx, pagename: str, templatename: str, context: dict,
                 doctree) -> None:
    """Copy each data file a chart of this page loads (`_build/figdata/<name>`, written when
    the chapter ran) to `_static/figdata/<name>` in the site, checking its version."""
    from ..story.charts import published, version

    for url in sorted(set(DATA_URL.findall(context.get("body", "")))):
        name, wanted = published(url) or (None, None)
        source = Path(app.srcdir) / "_build" / "figdata" / str(name)
        if name is None or not source.is_file():
            raise ExtensionError(f"{pagename}: a chart loads {url}, but {source} does not exist")
        text = source.read_text(encoding="utf-8")
        if version(text) != wanted:
            raise ExtensionError(f"{pagename}: a chart loads {url}, but {source} is version "
                                 f"{version(text)}: execute the page again")
        target = Path(app.outdir) / "_static" / "figdata" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


class PdfLink(SphinxDirective):
    """``{deepshock-pdf}``: a link to the PDF edition in HTML output (nothing in the PDF itself).

    The page is read again whenever the PDF appears, goes or changes size (`pdf_changed`), so
    the link appears as soon as the PDF exists.
    """

    def run(self) -> list[nodes.Node]:
        if not hasattr(self.env, "deepshock_pdf"):
            self.env.deepshock_pdf = {}
        self.env.deepshock_pdf[self.env.docname] = pdf_size(self.env.srcdir)
        source = pdf_source(self.env.srcdir)
        if source is None:
            html = ('<p class="deepshock-pdf">This copy of the site was built without the PDF '
                    'edition (<code>make pdf</code> makes it).</p>')
        else:
            up = "../" * self.env.docname.count("/")
            size = source.stat().st_size / 1e6
            html = (f'<p class="deepshock-pdf"><a href="{up}{PDF_TARGET}">Download the whole book '
                    f'as a PDF</a> ({size:.1f} MB).</p>')
        return [nodes.raw("", html, format="html")]


def build_time(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{deepshock-built}`UTC` ``: '29 November 2026, 02:55 UTC', this build's time."""
    _reread_unless_html(inliner)
    return [edition(rawtext, built_stamp(), "built")], []


def synced_time(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{deepshock-synced}`UTC` ``: when the price cache this build read was synced."""
    _reread_unless_html(inliner)
    return [edition(rawtext, synced_stamp(), "synced")], []


def built_stamp() -> str:
    return about.stamp(now().isoformat())


def synced_stamp() -> str:
    return about.stamp(read_manifest().get("synced_at"))


STAMPS = {"built": built_stamp, "synced": synced_stamp}
STAMP_SPAN = re.compile(rf'(<span class="{EDITION} [^"]*{EDITION}-(\w+)[^"]*">)[^<]*(</span>)')


def _reread_unless_html(inliner) -> None:
    """A page with a stamp is read again in every PDF build; the site sets its stamps when the
    build ends (`stamp_pages`) instead."""
    env = inliner.document.settings.env
    if env.app.builder.format != "html":
        env.note_reread()


def stamp_pages(app: Sphinx, exception: Exception | None) -> None:
    """Set every stamp of the written site to this build's values (whether or not this build
    wrote its page)."""
    if exception is not None or app.builder.format != "html":
        return
    values = {kind: make() for kind, make in STAMPS.items()}
    out = Path(app.outdir)
    for path in out.rglob("*.html"):
        if path.relative_to(out).parts[0].startswith("_"):
            continue
        text = path.read_text(encoding="utf-8")
        if f"{EDITION}-" not in text:
            continue
        stamped = STAMP_SPAN.sub(lambda m: m.group(1) + values[m.group(2)] + m.group(3), text)
        if stamped != text:
            path.write_text(stamped, encoding="utf-8")


def now() -> dt.datetime:
    """The build's time: `SOURCE_DATE_EPOCH` (seconds, UTC) when set, as reproducible builds
    use it (Sphinx and xdvipdfmx read it too), else the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc)


def edition(rawtext: str, text: str, kind: str = "built") -> nodes.inline:
    """An element of the edition stamp (`kind`: a key of `STAMPS`): marked, and kept out of the
    search index."""
    return nodes.inline(rawtext, text, classes=[EDITION, page.NOINDEX, f"{EDITION}-{kind}"])


def assets_before_pages(app: Sphinx, builder) -> None:
    """Put the static files that extensions copy only when the build finishes (`LATE_ASSETS`)
    into the output before any page is written. Sphinx adds a checksum (`?v=`) to a stylesheet's
    or script's link only if its file is already there, so the links of a clean build and of an
    incremental one would differ."""
    if builder.format != "html":
        return
    (Path(app.outdir) / "_static").mkdir(parents=True, exist_ok=True)
    for module, function in LATE_ASSETS:
        getattr(importlib.import_module(module), function)(app, None)


class ExecutionTableWithoutClock(SphinxPostTransform):
    """Drop the columns of myst-nb's execution table (``{nb-exec-table}``) that change on every
    build, when each notebook ran and how long it took; the document, method and status stay."""

    default_priority = 9  # after myst-nb builds the table (8), before references resolve (10)

    def run(self, **kwargs) -> None:
        for table in list(self.document.findall(nodes.table)):
            header = [entry.astext() for entry in next(table.findall(nodes.row), [])]
            if header[:1] != ["Document"] or not set(CLOCK_COLUMNS) <= set(header):
                continue
            drop = {i for i, name in enumerate(header) if name in CLOCK_COLUMNS}
            tgroup = next(table.findall(nodes.tgroup))
            for row in list(table.findall(nodes.row)):
                for i in sorted(drop, reverse=True):
                    row.remove(row.children[i])
            specs = [c for c in tgroup.children if isinstance(c, nodes.colspec)]
            for i in sorted(drop, reverse=True):
                tgroup.remove(specs[i])
            tgroup["cols"] = len(header) - len(drop)


def setup(app: Sphinx) -> dict:
    app.connect("doctree-resolved", drop_thebe_config, priority=600)
    app.connect("html-page-context", drop_thebe)
    app.connect("html-page-context", offer_notebook, priority=400)
    app.connect("html-page-context", offer_pdf, priority=600)
    app.connect("html-page-context", publish_data)
    app.connect("build-finished", publish_pdf)
    app.connect("build-finished", stamp_pages)
    app.connect("env-get-outdated", pdf_changed)
    app.connect("env-purge-doc", forget_pdf)
    app.connect("write-started", assets_before_pages)
    page.setup(app)
    doctrees.setup(app)
    lookups.setup(app)
    mathml.setup(app)
    search.setup(app)
    latex.setup(app)
    app.add_directive("deepshock-pdf", PdfLink)
    app.add_role("deepshock-built", build_time)
    app.add_role("deepshock-synced", synced_time)
    app.add_post_transform(ExecutionTableWithoutClock)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
