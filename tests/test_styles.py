"""The site's one stylesheet (`deepshock.book.styles`) and the pages' trimmed HTML
(`deepshock.book.page.trim_pages`): hand-written CSS and pages with the expected outcome."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deepshock.book import page, styles

THEME = ('@charset "UTF-8";/*! a banner */:root{--x:1}.used{color:red}.unused{color:blue}'
         '.used .unused,.used>p{margin:0}a.used:hover,.gone a{x:y}[data-theme=dark] .used{a:b}'
         '@media (min-width:960px){.unused{a:b}.used{c:d}}@media print{.unused{a:b}}'
         '@font-face{font-family:F;src:url(../f.woff2)}@keyframes k{0%{opacity:0}}'
         '.x:not(.used),.bs-tooltip-auto .arrow-used{q:r}p::before{content:"}{"}'
         '.s[data-x="a.unused"]{t:u}')


def test_purge_keeps_the_rules_the_site_can_use():
    out = styles.purge(THEME, {"used", "arrow-used", "s"})
    rules = re.findall(r"([^{}]+)\{([^{}]*)\}", re.sub(r"@(media|keyframes)[^{]*\{", "", out))
    selectors = [sel.strip() for sel, _ in rules]
    assert ".used" in selectors and ".unused" not in selectors
    assert ".used>p" in selectors and ".used .unused" not in out          # one selector of a list
    assert "a.used:hover" in selectors and ".gone a" not in out
    assert "[data-theme=dark] .used" in selectors                          # attributes are not classes
    assert "@media (min-width:960px){.used{c:d}}" in out and "@media print" not in out
    assert "@font-face{font-family:F;src:url(../f.woff2)}" in out and "@keyframes k{" in out
    assert ":root{--x:1}" in out and "@charset" not in out and "banner" not in out
    assert ".bs-tooltip-auto .arrow-used" in out and ".x:not(.used)" not in out   # x unused
    assert 'p::before{content:"}{"}' in out                                # braces in a string
    assert '.s[data-x="a.unused"]' in out                                  # a dot in an attribute


def test_purge_inlines_an_import_in_its_place():
    files = {"../basic.css": ".used{a:b}.unused{c:d}"}
    out = styles.purge('/* x */@import "../basic.css";.used{e:f}', {"used"}, files.__getitem__)
    assert out == ".used{a:b}\n.used{e:f}"


def _site(tmp_path: Path) -> Path:
    static = tmp_path / "_static"
    (static / "styles").mkdir(parents=True)
    (static / "styles" / "theme.css").write_text('@import "../basic.css";\n')
    (static / "basic.css").write_text(".body{a:b}.unused{c:d}")
    (static / "extra.css").write_text(".shown{e:f}.menu-open{g:h}.never{i:j}\n"
                                      "/*# sourceMappingURL=extra.css.map*/")
    (static / "menu.js").write_text('el.classList.add("menu-open")')
    head = ('<link href="{up}_static/styles/theme.css?digest=1" rel="stylesheet" />\n'
            '    <link rel="stylesheet" type="text/css" href="{up}_static/extra.css?v=2" />\n')
    for name in ("index.html", "chapters/one.html"):
        up = "../" * name.count("/")
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(f"<head>\n{head.format(up=up)}</head>"
                                     '<body class="body"><p class="shown">x</p></body>')
    (tmp_path / "other.html").write_text(  # another set of stylesheets: left as it is
        '<head><link rel="stylesheet" type="text/css" href="_static/extra.css?v=2" /></head>')
    return tmp_path


def test_pages_link_one_purged_stylesheet_with_its_version(tmp_path):
    site = _site(tmp_path)
    pages = sorted(site.rglob("*.html"))
    styles.combine_styles(site, pages)
    css = (site / styles.COMBINED).read_text()
    assert ".body{a:b}" in css and ".shown{e:f}" in css and ".menu-open{g:h}" in css
    assert ".unused" not in css and ".never" not in css and "sourceMappingURL" not in css
    assert css.index(".body{a:b}") < css.index(".shown{e:f}")          # the pages' order
    one = (site / "chapters" / "one.html").read_text()
    links = re.findall(r'<link [^>]*>', one)
    assert len(links) == 1 and re.fullmatch(
        r'<link rel="stylesheet" href="\.\./_static/styles/deepshock-site\.css\?v=[0-9a-f]{8}" />',
        links[0])
    assert "_static/extra.css" in (site / "other.html").read_text()
    first = {p: p.read_text() for p in pages}
    styles.combine_styles(site, pages)                                   # a second build: same
    assert {p: p.read_text() for p in pages} == first
    (site / "_static" / "extra.css").write_text(".shown{e:g}")              # the theme changed:
    (site / "index.html").write_text(first[site / "index.html"].replace(  # a rewritten page
        links[0].replace("../", ""), '<link rel="stylesheet" type="text/css" '
        'href="_static/styles/theme.css?digest=1" />').replace("x</p>", "y</p>"))
    styles.combine_styles(site, pages)
    assert ".shown{e:g}" in (site / styles.COMBINED).read_text()
    new = re.findall(r'deepshock-site\.css\?v=([0-9a-f]+)', (site / "chapters/one.html").read_text())
    assert new and new[0] not in links[0]                                 # every page, new version


@pytest.mark.parametrize("before, after", [
    ('<td class="text-left"><p>Nvidia</p></td>', '<td class="text-left">Nvidia</td>'),
    ("<th><p>A <em>b</em></p></th>", "<th>A <em>b</em></th>"),
    ("<td><p>one</p>\n<p>two</p></td>", "<td><p>one</p>\n<p>two</p></td>"),   # two paragraphs stay
    ("<td><p>x</p><ul><li>y</li></ul></td>", "<td><p>x</p><ul><li>y</li></ul></td>"),
    ("<div><p>prose</p></div>", "<div><p>prose</p></div>"),
])
def test_a_cell_with_one_paragraph_holds_its_text(before, after):
    assert page.CELL.sub(r"\1\2\3", before) == after
