"""Reproducible bytes: two builds of the same commit and data give the same site, file for file
and byte for byte, except the edition stamp.

The edition stamp is when this copy was made: the build time and the time the price cache was
synced. It is carried by the elements of class `deepshock-edition` (`deepshock.book.site`), and
only there: the comparison blanks the text of those elements and nothing else.

The session's build of the book (`tests.test_browser.site`) is compared with a second, clean
build of a copy of the book sources (`second_build`: made in the session's background process,
`tests.background`, or here when there is none), in another directory (a path that leaks into a
page shows up), with an empty artefact store (the calendars, placebo rows and chart images are
derived again) and every chapter executed again in fresh kernels. The copy is handed the same
PDF edition as the session's build (the site publishes it; the PDF's own dates follow
SOURCE_DATE_EPOCH, see the README). Files only in the session's build are not compared: they
may be left over from its earlier builds (Sphinx never deletes output), and a file named
differently from build to build still shows up, as missing from the session's build.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from deepshock.book.build import build
from deepshock.book.site import EDITION, PDF_SOURCE, cell_id
from tests.test_browser import SITE_ROOT, site  # noqa: F401  (the session's one build)

# The one rule that excludes the edition stamp: the text inside an element of its class.
STAMP = re.compile(rf'(<span class="{EDITION}(?: [\w-]+)*">)[^<]*(</span>)'.encode())
# What a book needs to build; everything else in the checkout (the package is imported from
# where it is installed, the tests, the caches and build output) stays out of the copy.
NOT_BOOK = shutil.ignore_patterns(".git", ".venv", ".cache", "_build", ".pytest_cache",
                                  ".hypothesis", "__pycache__", "tests", "bench", "deepshock",
                                  "*.egg-info", ".mutmut-cache", "mutants")


def normalized(path: Path) -> bytes:
    """The file's bytes, with the text of the edition stamp's elements blanked in HTML."""
    data = path.read_bytes()
    return STAMP.sub(rb"\1\2", data) if path.suffix == ".html" else data


def digests(html: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of the normalized bytes, for every file of a built site."""
    return {p.relative_to(html).as_posix(): hashlib.sha256(normalized(p)).hexdigest()
            for p in sorted(html.rglob("*")) if p.is_file()}


def differences(first: Path, second: Path) -> list[str]:
    """Every file of the clean build `second` that `first` lacks or holds with other bytes."""
    one, two = digests(first), digests(second)
    return ([f"{name}: missing from the first build" for name in sorted(two.keys() - one.keys())]
            + [f"{name}: bytes differ" for name in sorted(two.keys() & one.keys())
               if one[name] != two[name]])


def first_difference(a: bytes, b: bytes, context: int = 80) -> str:
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return (f"at byte {at}: {a[max(0, at - context):at + context]!r}\n"
            f"   versus: {b[max(0, at - context):at + context]!r}")


# --- the rule ----------------------------------------------------------------------------------

STAMPED = ('<p>This site was built on <span class="deepshock-edition deepshock-noindex">'
           '{} UTC</span>. Every chapter</p>')


def test_the_rule_blanks_the_stamp_and_nothing_else(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    for root, when in ((one, "7 December 2026, 02:08"), (two, "8 December 2026, 11:15")):
        (root / "chapters").mkdir(parents=True)
        (root / "chapters" / "about.html").write_text(STAMPED.format(when), encoding="utf-8")
        (root / "data.csv").write_text("day,close\n2025-01-27,118.42\n", encoding="utf-8")
    assert differences(one, two) == []
    # the same time outside the stamp's element, a changed number, a new file: each is named
    (two / "chapters" / "about.html").write_text(
        STAMPED.format("7 December 2026, 02:08") + "<p>built on 8 December 2026</p>",
        encoding="utf-8")
    (two / "data.csv").write_text("day,close\n2025-01-27,118.43\n", encoding="utf-8")
    (two / "extra.js").write_text("var x = 1;\n", encoding="utf-8")
    assert differences(one, two) == ["extra.js: missing from the first build",
                                     "chapters/about.html: bytes differ",
                                     "data.csv: bytes differ"]
    # the stamp's element in a CSV or a notebook is not special: the rule is for pages only
    (one / "notes.ipynb").write_text(STAMPED.format("1 May 2026, 00:00"), encoding="utf-8")
    (two / "notes.ipynb").write_text(STAMPED.format("2 May 2026, 00:00"), encoding="utf-8")
    assert "notes.ipynb: bytes differ" in differences(one, two)


def test_cell_ids_are_stable_unique_and_valid():
    ids = [cell_id("chapters/nvidia", i) for i in range(200)]
    assert ids == [cell_id("chapters/nvidia", i) for i in range(200)]
    assert len(set(ids)) == len(ids)
    assert cell_id("chapters/nvidia", 0) != cell_id("chapters/selloff", 0)
    assert all(re.fullmatch(r"[a-zA-Z0-9-_]{1,64}", i) for i in ids)  # nbformat 4.5's id rule


# --- the real book -----------------------------------------------------------------------------

@pytest.mark.build
def test_downloadable_notebooks_have_cell_ids_from_page_and_position(site):  # noqa: F811
    notebooks = sorted((site / "_sources").rglob("*.ipynb"))
    assert notebooks, "no downloadable notebook in the site"
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        page = path.relative_to(site / "_sources").with_suffix("").as_posix()
        assert [c["id"] for c in notebook.cells] == [cell_id(page, i)
                                                     for i in range(len(notebook.cells))], page


def test_the_stamp_is_left_out_of_the_search_index_and_the_description():
    from docutils import nodes
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser
    from docutils.utils import new_document

    from deepshock.book import page, site as extension

    doc = new_document("about", get_default_settings(Parser))
    section = nodes.section()
    stamped = nodes.paragraph("", "This site was built on ")
    stamped += extension.edition("", "7 December 2026, 02:08 UTC")
    plain = nodes.paragraph("", "Every chapter was executed against the price data listed below.")
    section += [stamped, plain]
    doc += section
    assert "02:08" in doc.astext()
    before = doc.pformat()
    with page.prose_only(doc) as prose:
        assert "02:08" not in prose.astext()                # not in the search index
    assert doc.pformat() == before                          # the page itself is left whole
    assert page.description(doc) == plain.astext()          # nor the meta description


@pytest.mark.build
def test_the_stamp_is_where_the_pages_show_it_and_nowhere_else(site):  # noqa: F811
    stamped = {p.relative_to(site).as_posix(): len(STAMP.findall(p.read_bytes()))
               for p in site.rglob("*.html") if STAMP.search(p.read_bytes())}
    assert stamped == {"intro.html": 1, "chapters/about.html": 2}  # built on ..., synced on ...
    about = (site / "chapters" / "about.html").read_text(encoding="utf-8")
    head = about.split("</head>")[0]
    for match in re.finditer(STAMP.pattern.decode(), about):
        text = re.sub(r"<[^>]+>", "", match.group(0))
        assert re.fullmatch(r"\d{1,2} \w+ \d{4}, \d\d:\d\d UTC", text), text
        assert text not in head, f"the stamp {text!r} is in a meta tag"


@pytest.mark.build
def test_every_local_stylesheet_and_script_link_carries_its_checksum(site):  # noqa: F811
    """Sphinx adds `?v=<checksum>` to a link only when the file is in the output as the page is
    written: a file an extension copies later (deepshock.book.site.LATE_ASSETS) would be linked
    without it in a clean build and with it in an incremental one."""
    from bs4 import BeautifulSoup

    fixed = {"_static/language_data.js", "_static/searchtools.js", "searchindex.js"}  # search page
    bare = set()
    for path in site.rglob("*.html"):
        if path.relative_to(site).parts[0].startswith("_"):
            continue  # theme templates copied as static files, not pages
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        links = [t.get("href") for t in soup.select('link[rel="stylesheet"]')]
        links += [t.get("src") for t in soup.select("script[src]")]
        bare |= {link for link in links
                 if link and "://" not in link and "?" not in link and link not in fixed}
    assert not bare, f"linked without a checksum: {sorted(bare)[:10]}"


def second_build(copy: Path, artefacts: Path) -> int:
    """Copy the book's sources to `copy` and build them there with the empty artefact store
    `artefacts`; return the build's exit code. Made after the session's build (whose PDF edition
    it is handed), in the session's background process (`tests.background`) or in the test."""
    shutil.copytree(SITE_ROOT, copy, ignore=NOT_BOOK, symlinks=True)
    pdf = SITE_ROOT / PDF_SOURCE
    if pdf.is_file():  # the session's build publishes the PDF edition: so does the copy's
        (copy / PDF_SOURCE).parent.mkdir(parents=True)
        shutil.copyfile(pdf, copy / PDF_SOURCE)
    before = os.environ.get("DEEPSHOCK_ARTEFACTS")
    os.environ["DEEPSHOCK_ARTEFACTS"] = str(artefacts)  # derived afresh
    try:
        return build("html", root=copy)
    finally:
        if before is None:
            del os.environ["DEEPSHOCK_ARTEFACTS"]
        else:
            os.environ["DEEPSHOCK_ARTEFACTS"] = before


@pytest.mark.build
def test_a_second_clean_build_gives_the_same_bytes(site, tmp_path):  # noqa: F811
    from tests import background

    made = background.wait("second")
    if made:
        assert made["code"] == 0, f"the second build failed\n{background.tail()}"
        copy = Path(made["root"])
    else:
        copy = tmp_path / "book-copy"
        assert second_build(copy, tmp_path / "artefacts") == 0, "the second build failed"
    second = copy / "_build" / "html"
    report = json.loads((copy / "_build" / "deps" / "last-build.json").read_text())
    assert report["dropped_all"] and report["executed"], "the second build executed nothing"
    found = differences(site, second)
    details = [f"{line}\n  {first_difference(normalized(site / name), normalized(second / name))}"
               for line in found[:5] for name in [line.split(":")[0]]
               if (site / name).is_file()]
    assert not found, (f"{len(found)} of {len(digests(second))} files differ between two builds "
                       "of the same commit and data:\n" + "\n".join(found) + "\n"
                       + "\n".join(details))
