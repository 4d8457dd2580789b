"""`deepshock.book.prework`: the charts' payloads, pictures and cards made beside Sphinx are the
files Sphinx itself would make, for the charts Sphinx will ask for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import types

import nbformat

from deepshock.book import cards, prework, vega
from deepshock.data import paths
from deepshock.story import charts

SPEC = {"title": {"text": "A made-up chart"}, "mark": "point", "data": {"values": [{"x": 1}]},
        "encoding": {"x": {"field": "x", "type": "quantitative"}}}
OTHER = dict(SPEC, mark="line")
MARKED = dict(SPEC, mark="bar", usermeta={"preview": True})


def _output(spec: dict, name: str | None = None, as_text: bool = False) -> dict:
    data = {charts.SPEC_MIME: json.dumps(spec) if as_text else spec, "text/plain": "<chart>"}
    if name is None:
        return nbformat.v4.new_output("display_data", data=data)
    return nbformat.v4.new_output(
        "display_data", data={f"{prework.GLUED}{k}": v for k, v in data.items()},
        metadata={"scrapbook": {"name": name, "mime_prefix": prework.GLUED}})


def _notebook(*outputs: dict):
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.outputs = list(outputs)
    text = nbformat.v4.new_output("display_data", data={"text/plain": "a number"})
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t"), cell,
                                           nbformat.v4.new_code_cell(outputs=[text])])


def test_charts_are_read_shown_or_glued_by_name_in_cell_order():
    found = prework.charts(_notebook(_output(SPEC, "fig-a"), _output(OTHER),
                                     _output(MARKED, "fig-c", as_text=True)))
    assert list(found) == ["fig-a", "#1", "fig-c"]
    assert found["fig-a"] == SPEC and found["#1"] == OTHER and found["fig-c"] == MARKED
    assert prework.charts(_notebook()) == {}


def test_charts_come_in_page_order_with_a_first_screen_guess():
    filler = "word " * 400   # 2,000 characters of prose: past a phone's first screen
    source = ("---\nkernelspec: {}\n---\n# Title\n\n```{code-cell} ipython3\n" + "x = 1\n" * 500
              + "```\n\nShort opening.\n\n```{glue:figure} fig-b\n```\n\n" + filler
              + "\n\n```{glue:figure} fig-a\n```\n\n```{glue:figure} fig-c\n```\n")
    specs = {"fig-a": SPEC, "fig-b": OTHER, "fig-c": MARKED, "#3": dict(SPEC, mark="area")}
    out = prework.in_order(source, specs)
    assert [spec for spec, _ in out] == [OTHER, SPEC, MARKED, specs["#3"]]
    # the code cell and the front matter are not text a reader sees: fig-b is in the first
    # screen; fig-a comes after 2,000 characters; fig-c is marked for a picture anyway
    assert [guess for _, guess in out] == [True, False, True, False]


def test_prework_makes_the_payload_and_pictures_sphinx_reads(monkeypatch, tmp_path):
    import vl_convert

    monkeypatch.setenv("DEEPSHOCK_ARTEFACTS", str(tmp_path / "store"))
    drawn = []
    monkeypatch.setattr(vl_convert, "vegalite_to_png",
                        lambda spec, **_: drawn.append(spec) or b"\x89PNG made up")
    monkeypatch.setattr(vl_convert, "vega_to_svg",      # a picture that fits any column
                        lambda vega, **_: '<svg width="300" height="200"></svg>')
    prework.prepare(tmp_path, [(SPEC, True), (OTHER, False)])   # a page with two charts
    prework.prepare(tmp_path, [])                                # and one with none
    prework.card(SPEC)                                           # the first page's card
    store = tmp_path / "store"
    for spec in (SPEC, OTHER):
        assert (store / vega.payload_name(spec)).is_file()
    pictures = sorted(p.name for p in (store / "vega").glob("*.svg"))
    stem = vega.payload_name(SPEC).split("/")[1].removesuffix(".json")
    assert len(pictures) == 2 and all(p.startswith(stem) for p in pictures)
    assert drawn == [SPEC]      # one card: the first chart of the one page with charts
    # Sphinx, writing a page whose first chart is SPEC, finds that card made: it draws nothing
    app = types.SimpleNamespace(outdir=str(tmp_path / "site"))
    monkeypatch.setattr(cards, "_pool", lambda: (_ for _ in ()).throw(AssertionError("drew")))
    name = cards.chart_image(app, charts._html(SPEC))
    assert (tmp_path / "site" / name).read_bytes() == b"\x89PNG made up"
    # and the payload it compiles from the page's own spec text is the same stored file
    assert vega.compiled(json.loads(json.dumps(SPEC)))[1] == vega.payload_name(SPEC)


def test_the_process_beside_makes_each_chapter_handed_to_it(tmp_path):
    """The build hands over each chapter as it is executed; the process makes its payloads,
    the pictures guessed and its card in the store, removes the notebook file it was handed,
    and exits once told no more will come."""
    root, store = tmp_path / "book", tmp_path / "store"
    (root / "chapters").mkdir(parents=True)
    (root / "chapters" / "a.md").write_text("# A\n\n```{glue:figure} fig-a\n```\n")
    env = {**os.environ, "DEEPSHOCK_ARTEFACTS": str(store)}
    beside = prework.Beside(root, env)
    assert beside.process is None                 # nothing handed over: no process
    beside.feed("chapters/a.md", nbformat.writes(_notebook(_output(SPEC, "fig-a"))))
    beside.close()
    assert beside.process.wait(timeout=120) == 0
    assert (store / vega.payload_name(SPEC)).is_file()
    stem = vega.payload_name(SPEC).split("/")[1].removesuffix(".json")
    assert len([p for p in (store / "vega").glob("*.svg") if p.name.startswith(stem)]) == 2
    raw = json.dumps(SPEC, sort_keys=True, separators=(",", ":"))
    assert (store / cards.stored_name(raw)).read_bytes().startswith(b"\x89PNG")
    assert not list((root / "_build" / "deps" / "prework").iterdir())   # each read, then removed
    prework.stop(beside)
    beside.feed("chapters/a.md", "{}")            # after it ended: no error, Sphinx makes it all


def test_stop_ends_the_process_and_a_write_cut_short_leaves_no_temporary_file(
        tmp_path, monkeypatch):
    beside = prework.Beside(tmp_path, dict(os.environ))
    beside.process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                                      stdin=subprocess.PIPE, text=True)
    started = time.perf_counter()
    prework.stop(beside)
    assert time.perf_counter() - started < 10 and beside.process.returncode is not None
    prework.stop(None)
    prework.stop(prework.Beside(tmp_path, dict(os.environ)))   # never started
    # a notebook handed over and never read (the process ended first) is not left behind
    held = tmp_path / "_build" / "deps" / "prework" / "1.ipynb"
    held.parent.mkdir(parents=True)
    held.write_text("{}")
    prework.stop(beside)
    assert not held.exists()
    # prework exits on SIGTERM through SystemExit, so a file being written is cleaned up
    def cut(*_):
        raise SystemExit(0)
    monkeypatch.setattr(os, "replace", cut)
    try:
        paths.write_atomic(tmp_path / "store" / "out.bin", b"x")
    except SystemExit:
        pass
    assert list((tmp_path / "store").iterdir()) == []
