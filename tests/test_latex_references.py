"""A figure reference in the PDF keeps "Fig." and its number together (deepshock.book.latex)."""

from __future__ import annotations

from types import SimpleNamespace

from docutils import nodes
from sphinx import addnodes
from sphinx.util import texescape
from sphinx.writers.latex import escape_abbr

from deepshock.book import latex


def document_with(*titles: str) -> nodes.document:
    doc = nodes.document(None, None)
    paragraph = nodes.paragraph()
    for title in titles:
        paragraph += addnodes.number_reference("", "", nodes.Text(title % "5"), title=title)
    doc += paragraph
    return doc


def titles(doc: nodes.document) -> list[str]:
    return [ref["title"] for ref in doc.findall(addnodes.number_reference)]


def test_references_are_tied_for_latex_only():
    doc = document_with("Fig. %s", "Figure %s of the book")
    latex.tied_references(SimpleNamespace(builder=SimpleNamespace(format="html")), doc, "x")
    assert titles(doc) == ["Fig. %s", "Figure %s of the book"]
    latex.tied_references(SimpleNamespace(builder=SimpleNamespace(format="latex")), doc, "x")
    assert titles(doc) == ["Fig.\u00a0%s", "Figure\u00a0%s of the book"]


def test_the_tie_reaches_the_latex_source():
    """Sphinx's LaTeX writer escapes a title as below; its xelatex preamble makes U+00A0 a tie."""
    texescape.init()
    doc = document_with("Fig. %s")
    latex.tied_references(SimpleNamespace(builder=SimpleNamespace(format="latex")), doc, "x")
    written = escape_abbr(texescape.escape(titles(doc)[0], "xelatex")).replace(r"\%s", "%s")
    assert written % r"\ref{x}" == "Fig.\\@\u00a0\\ref{x}"
