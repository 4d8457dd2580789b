"""Formulas on the web as MathML, written at build time (part of `deepshock.book.site`).

The HTML math renderer ``deepshock_mathml`` (`_config.yml`: ``html_math_renderer``) turns each
formula's TeX into MathML with `latex2mathml`, which every current browser draws itself: a page
with math loads no script and no web font for it (MathJax, as the site served it, added about
256 kB compressed and a layout shift to the pages with math), and the formula is there before
any script runs. The TeX
stays in the ``alttext`` attribute; the PDF edition typesets the TeX itself, as before. A
formula latex2mathml cannot read, or with a command it does not know, fails the build.
"""

from __future__ import annotations

import html
import re

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.locale import _
from sphinx.util.math import get_node_equation_number

NAME = "deepshock_mathml"


def mathml(tex: str, display: bool = False) -> str:
    """`tex` as a MathML element (``display="block"`` for a displayed formula)."""
    try:
        out = convert(tex.strip(), display="block" if display else "inline")
    except Exception as error:  # noqa: BLE001 - any failure is the formula's
        raise ExtensionError(f"formula {tex!r} cannot be written as MathML: {error}") from error
    unknown = re.findall(r">(\\[A-Za-z]+)<", out)
    if unknown:
        raise ExtensionError(f"formula {tex!r}: MathML has no {', '.join(sorted(set(unknown)))}")
    alt = html.escape(tex.strip(), quote=True)
    return out.replace("<math ", f'<math alttext="{alt}" ', 1)


def visit_math(self, node: nodes.math) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math notranslate nohighlight"))
    self.body.append(mathml(node.astext()) + "</span>")
    raise nodes.SkipNode


def visit_displaymath(self, node: nodes.math_block) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node["number"]:
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    parts = [part for part in node.astext().split("\n\n") if part.strip()]
    for part in parts:
        if "\\\\" in part:
            part = "\\begin{aligned}" + part + "\\end{aligned}"
        self.body.append(mathml(part, display=True))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app: Sphinx) -> None:
    app.add_html_math_renderer(NAME, (visit_math, None), (visit_displaymath, None))
