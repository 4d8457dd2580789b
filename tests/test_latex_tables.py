"""Wide tables in the PDF get wrapping columns sized by their content (deepshock.book.latex)."""

from __future__ import annotations

from types import SimpleNamespace

from docutils import nodes
from sphinx import addnodes

from deepshock.book import latex


def table(rows: list[list[str]]) -> nodes.table:
    group = nodes.tgroup(cols=len(rows[0]))
    group += [nodes.colspec() for _ in rows[0]]
    body = nodes.tbody()
    for cells in rows:
        row = nodes.row()
        row += [nodes.entry("", nodes.paragraph(text=c)) for c in cells]
        body += row
    group += body
    out = nodes.table()
    out += group
    return out


def test_shares_follow_the_longest_word_within_bounds():
    t = table([["a", "Semiconductors", "x" * 60, "1.5 (2.0)"], ["bb", "US", "short", "-17.4"]])
    # 'a'/'bb' -> floor 4; 'Semiconductors' 14; a 60-character word capped at 36; '1.5 (2.0)' 9
    assert latex.column_shares(t) == [4, 14, 36, 9]


def test_spec_pads_each_column_and_shrinks_the_font_of_wide_tables():
    assert latex.spec([4, 6]) == r"|\X{6}{14}|\X{8}{14}|"
    assert latex.spec([4] * 5).count(r">{\footnotesize}") == 5
    assert latex.spec([4] * 8).count(r">{\scriptsize}") == 8


def test_tables_get_a_layout_unless_they_have_one_and_only_for_latex():
    doc = nodes.document(None, None)
    section = nodes.section()
    own = addnodes.tabular_col_spec(spec="|l|l|")
    container = nodes.container()
    container += table([["a", "b"]])   # its layout stands before the container
    section += [own, container, table([[str(i) for i in range(6)]])]
    doc += section
    latex.wrap_tables(SimpleNamespace(builder=SimpleNamespace(format="html")), doc, "x")
    assert len(list(doc.findall(addnodes.tabular_col_spec))) == 1
    latex.wrap_tables(SimpleNamespace(builder=SimpleNamespace(format="latex")), doc, "x")
    specs = list(doc.findall(addnodes.tabular_col_spec))
    assert [s["spec"] for s in specs][0] == "|l|l|" and len(specs) == 2
    wide = section.children[-3:]   # begingroup, layout, table, endgroup
    raws = [n.astext() for n in section.findall(nodes.raw)]
    assert raws == [r"\begingroup\setlength{\tabcolsep}{3pt}", r"\endgroup"]
    assert isinstance(wide[0], addnodes.tabular_col_spec) and isinstance(wide[1], nodes.table)
