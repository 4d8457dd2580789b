"""The PDF edition's figure numbers, charts and tables. Figures are numbered through the book,
as in the site (`book_wide_figure_numbers`), and a reference's "Fig." stays on the line of its
number (`tied_references`). Charts: `ChartPdf` turns the placeholders of
`story.charts.LatexChart` into vector PDF images, for the LaTeX builder only. Tables: every
table without its own column layout (a `tabularcolumns` directive before it) gets wrapping
columns sized by its content.

Sphinx sets a table of many rows as a `longtable` of `l` columns, which never wrap, so a wide
table runs off the page. Here each column becomes `\\X{w}{total}` (a wrapping paragraph column
whose width is proportional to its longest cell, capped so that one long cell cannot starve the
others), in a smaller font when the table has many columns.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform

from ..data.paths import kept

CAP, FLOOR = 36, 4    # a column's share grows with its longest cell, within these bounds
PAD = 2               # characters' worth of the column's own padding (tabcolsep, narrowed)
SMALL_FROM, TINY_FROM = 5, 8  # columns from which the table is set in \footnotesize, \scriptsize


def column_shares(table: nodes.table) -> list[int]:
    """Per column: its longest cell in characters, within FLOOR..CAP."""
    widths: list[int] = []
    for row in table.findall(nodes.row):
        for i, entry in enumerate(row.findall(nodes.entry)):
            if entry.parent is not row:
                continue
            size = max((len(word) for word in entry.astext().split()), default=0)
            size = max(size, min(len(entry.astext()), CAP))
            if i >= len(widths):
                widths.append(0)
            widths[i] = max(widths[i], size)
    return [min(max(w, FLOOR), CAP) for w in widths]


def spec(shares: list[int]) -> str:
    """The LaTeX column spec: `|\\X{a}{T}|...|`, in a smaller font for wide tables."""
    padded = [w + PAD for w in shares]
    total = sum(padded)
    font = (r">{\scriptsize}" if len(shares) >= TINY_FROM
            else r">{\footnotesize}" if len(shares) >= SMALL_FROM else "")
    return "|" + "|".join(f"{font}\\X{{{w}}}{{{total}}}" for w in padded) + "|"


def has_layout(table: nodes.table) -> bool:
    """True when a `tabularcolumns` directive precedes the table (directly, or before the
    containers the table opens, e.g. a glued table inside a container)."""
    node = table
    while node.parent is not None:
        siblings = node.parent.children
        at = siblings.index(node)
        if at > 0:
            return isinstance(siblings[at - 1], addnodes.tabular_col_spec)
        node = node.parent
    return False


def wrap_tables(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "latex":
        return
    for table in list(doctree.findall(nodes.table)):
        if has_layout(table) or table.parent is None:
            continue
        shares = column_shares(table)
        if not shares:
            continue
        layout = addnodes.tabular_col_spec()
        layout["spec"] = spec(shares)
        parent, at = table.parent, table.parent.index(table)
        if len(shares) >= SMALL_FROM:  # narrow the padding inside this table only
            parent.insert(at + 1, nodes.raw("", r"\endgroup", format="latex"))
            parent.insert(at, nodes.raw("", r"\begingroup\setlength{\tabcolsep}{3pt}",
                                        format="latex"))
            at += 1
        parent.insert(at, layout)


class ChartPdf(SphinxPostTransform):
    """The LaTeX builder's charts: each placeholder left by `story.charts.LatexChart` becomes
    a vector PDF image (named by the spec's hash under `_build/jupyter_execute/charts/`, and
    kept in the artefact store so a clean build copies it instead of converting again)."""

    default_priority = 5          # after myst-nb's mime selection (4): only the kept outputs
    builders = ("latex",)

    def run(self, **kwargs) -> None:
        import vl_convert as vlc  # here, not at Sphinx start-up: a no-change build needs neither

        from ..data.paths import code_digest
        from ..story.charts import SPEC_ATTR, spec_pdf

        folder = Path(self.app.outdir).parent / "jupyter_execute" / "charts"
        for node in list(self.document.findall(nodes.container)):
            content = node.get(SPEC_ATTR)
            if content is None:
                continue
            digest = hashlib.sha256(content.encode()).hexdigest()[:32]
            path = folder / f"{digest}.pdf"
            if not path.is_file():
                pdf = kept(f"charts/{digest}-{vlc.__version__}-{code_digest(spec_pdf)}.pdf",
                           lambda content=content: spec_pdf(content))
                folder.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(pdf, path)
            uri = Path(os.path.relpath(path.resolve(), Path(self.app.srcdir).resolve())).as_posix()
            self.env.images.add_file(self.env.config.root_doc, uri)
            node.replace_self(nodes.image(uri=uri, candidates={"*": uri}))


def book_wide_figure_numbers(app: Sphinx, config) -> None:
    """Number figures in the PDF as `_config.yml` numbers them in the site (`numfig_secnum_depth`
    0: Fig. 1..N through the book, so one number cites a figure in both). sphinx-jupyterbook-latex
    sets the depth to 2 for a book with parts when the LaTeX builder starts (Fig. 1.1, per
    chapter); the book's own setting is put back after it."""
    wanted = config.numfig_secnum_depth

    def restore(app: Sphinx) -> None:
        if app.builder.format == "latex":
            app.config.numfig_secnum_depth = wanted

    app.connect("builder-inited", restore, priority=900)  # after sphinx-jupyterbook-latex (500)


def tied_references(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """In the PDF, a no-break space before the number of every {numref} ("Fig. %s"; Sphinx's
    xelatex preamble makes U+00A0 a tie), so that no line or page ends between the two and the
    print reads "Fig. N" as the site does. Only the LaTeX builder; the site keeps its text."""
    if app.builder.format != "latex":
        return
    for reference in doctree.findall(addnodes.number_reference):
        reference["title"] = reference.get("title", "%s").replace(" %s", "\u00a0%s")


def setup(app: Sphinx) -> None:
    app.add_post_transform(ChartPdf)
    app.connect("config-inited", book_wide_figure_numbers)
    app.connect("doctree-resolved", tied_references)
    app.connect("doctree-resolved", wrap_tables)
