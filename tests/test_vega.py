"""Charts compiled to Vega when the book is built (`deepshock.book.vega`, `deepshock.book.layout`),
their build-time pictures (`deepshock.book.preview`) and formulas as MathML
(`deepshock.book.mathml`): the phone layout a chart declares is applied as deepshock.js applied
it before, the rows are sent once, a compiled chart is kept in the artefact store and read from
there, and a page's HTML carries the compiled chart."""

from __future__ import annotations

import json
import re

import pytest
import vl_convert

from deepshock.book import layout, mathml, preview, vega
from deepshock.story import charts

ROWS = [{"name": "A", "pct": -16.97}, {"name": "B", "pct": 5.0}]
BARS = {
    "title": {"text": "A made-up chart", "subtitle": ["Note", "Source: made up"]},
    "description": "Two bars", "datasets": {"d1": ROWS}, "data": {"name": "d1"},
    "width": 300, "height": 100,
    "layer": [
        {"mark": "bar", "encoding": {
            "x": {"field": "pct", "type": "quantitative", "title": "Change (%)"},
            "y": {"field": "name", "type": "nominal", "title": "Name", "axis": {"labelAngle": 0}},
            "tooltip": [{"field": "pct", "type": "quantitative"}]}},
        {"mark": {"type": "text", "fontSize": 8}, "encoding": {
            "x": {"field": "pct", "type": "quantitative"}, "y": {"field": "name", "type": "nominal"},
            "text": {"field": "pct", "type": "quantitative"}}},
        {"mark": "rule", "encoding": {"x": {"datum": 0}}},
    ],
    "config": {"title": {"fontSize": 15, "subtitleFontSize": 9}, "axis": {"titleFontSize": 12}},
}


def test_phone_layout_transposes_sets_drops_and_notes_in_that_order():
    spec = json.loads(json.dumps(BARS))
    spec["usermeta"] = {"narrow": {"transpose": True, "set": {"layer/0/mark": "tick"},
                                   "drop": ["layer/1", "layer/2"], "note": "Tap a bar"}}
    narrow = layout.narrow_spec(spec)
    assert spec["layer"][0]["mark"] == "bar" and len(spec["layer"]) == 3   # a copy
    assert narrow["width"] == 100 and narrow["height"] == 300
    bar = narrow["layer"]
    assert len(bar) == 1 and bar[0]["mark"] == "tick"   # both dropped, by their first indices
    assert bar[0]["encoding"]["y"]["field"] == "pct" and bar[0]["encoding"]["x"]["field"] == "name"
    assert "labelAngle" not in bar[0]["encoding"]["x"]["axis"]
    assert narrow["title"]["subtitle"] == ["Note", "Tap a bar", "Source: made up"]
    assert layout.narrow_spec(BARS) is None


def test_fonts_are_clamped_but_data_is_not():
    spec = {"mark": {"type": "text", "fontSize": 8}, "config": {"axis": {"labelFontSize": 9.5}},
            "datasets": {"d": [{"fontSize": 3}]}}
    layout.clamp_fonts(spec)
    assert spec["mark"]["fontSize"] == 11 and spec["config"]["axis"]["labelFontSize"] == 11
    assert spec["datasets"]["d"] == [{"fontSize": 3}]


@pytest.mark.parametrize("value, text", [(5.0, "5"), (-16.97, "-16.97"), (1e-05, "0.00001"),
                                         (1e21, "1e+21"), (True, "true"), ("x y", "x y")])
def test_labels_are_measured_as_javascript_writes_them(value, text):
    assert layout._js_string(value) == text


def test_a_view_that_prints_its_values_pads_its_x_scale_on_a_phone():
    spec = json.loads(json.dumps(BARS))
    assert layout.pad_labels(spec)
    limit = round(len("-16.97") * 11 * 0.6 + 8, 3)        # widest label at 11 px, plus 8 px
    expr = spec["layer"][1]["encoding"]["x"]["scale"]["padding"]["expr"]
    assert expr == f"round(min({limit}, 0.2 * {layout.WIDTH_SIGNAL}))"
    compiled = vega.to_vega(spec)
    x = next(s for s in compiled["scales"] if s["name"] == "x")
    assert x["padding"] == {"signal": f"round(min({limit}, 0.2 * width))"}
    assert not layout.pad_labels({"mark": "bar", "encoding": {"x": {"type": "quantitative"}}})


def test_y_titles_wrap_to_their_views_height():
    assert layout.y_title_limits(BARS) == {"Name": pytest.approx(220.0)}   # its view sets none
    tall = {"height": 300, "mark": "bar", "encoding": {"y": {"axis": {"title": ["A", "b"]}}}}
    assert layout.y_title_limits(tall) == {"A b": pytest.approx(330.0)}


def test_payload_sends_the_rows_once_and_a_grid_with_fewer_columns():
    chart = vega.payload(BARS)
    assert set(chart) == {"format", "preview", "layout", "wide", "narrow", "data"}
    assert list(chart["data"].values()) == [ROWS]
    assert len(chart["wide"]) == 1 and len(chart["narrow"]) == 1      # padded on a phone
    text = json.dumps([chart["wide"], chart["narrow"]])
    assert '"values"' not in text and text.count("deepshockData") == 2
    assert chart["layout"]["title"] == 15 and chart["layout"]["subtitle"] == 11   # clamped
    assert not chart["preview"]
    grid = {"data": {"values": ROWS}, "facet": {"field": "name", "type": "nominal"},
            "columns": 3, "spec": {"mark": "bar", "encoding": {"x": {"field": "pct",
                                                                    "type": "quantitative"}}}}
    compiled = vega.payload(grid)
    assert [v["layout"]["columns"] for v in compiled["wide"]] == [3, 2, 1]
    assert compiled["narrow"] is None       # nothing to change on a phone but the column


def test_a_chart_is_compiled_once_and_read_from_the_store(monkeypatch, tmp_path):
    monkeypatch.setenv("DEEPSHOCK_ARTEFACTS", str(tmp_path / "store"))
    calls = []
    real = vl_convert.vegalite_to_vega
    monkeypatch.setattr(vega.vlc, "vegalite_to_vega",
                        lambda spec, **k: calls.append(1) or real(spec, **k))
    first, name = vega.compiled(BARS)
    assert calls and (tmp_path / "store" / name).is_file()
    assert vl_convert.__version__ in name and charts.VL_VERSION in name
    count = len(calls)
    again, same = vega.compiled(BARS)
    assert (again, same) == (first, name) and len(calls) == count     # read, not compiled
    other = json.loads(json.dumps(BARS))
    other["layer"][0]["mark"] = "tick"
    assert vega.payload_name(other) != name


def _page(spec: dict) -> str:
    return charts.render(spec)["text/html"]


def test_a_page_carries_the_compiled_chart_and_a_preview_only_where_asked(monkeypatch,
                                                                          tmp_path):
    """A preview for a chart marked for one, and for a chart in the first screen (less than
    `FIRST_SCREEN_CHARS` of text before it); none for a chart further down."""
    monkeypatch.setenv("DEEPSHOCK_ARTEFACTS", str(tmp_path / "store"))
    marked = dict(BARS, usermeta={"preview": True})
    long = "<p>" + "word " * (preview.FIRST_SCREEN_CHARS // 5 + 10) + "</p>"
    lower = dict(BARS, description="Two bars lower down")
    body = long + _page(lower) + "<p>prose</p>" + _page(marked)
    shown = []
    out = vega.compile_page(body, lambda chart, name: shown.append(name) or "<b>pic</b>")
    assert out == vega.compile_page(body, lambda chart, name: "<b>pic</b>")   # deterministic
    assert len(shown) == 1 and out.count("<b>pic</b>") == 1 and "<p>prose</p>" in out
    assert out.index("<b>pic</b>") > out.index("<p>prose</p>")   # inside the marked chart's box
    found = [json.loads(f) for f in re.findall(r"var spec=(\{.*?\});function draw", out, re.S)]
    assert len(found) == 2 and all("wide" in f for f in found)
    assert [f["preview"] for f in found] == [False, True]
    assert "vega-lite" not in out
    top = vega.compile_page("<h1>Title</h1><p>A short opening.</p>" + _page(BARS) + long
                            + _page(lower), lambda chart, name: "<b>pic</b>")
    found = [json.loads(f) for f in re.findall(r"var spec=(\{.*?\});function draw", top, re.S)]
    assert [f["preview"] for f in found] == [True, False] and top.count("<b>pic</b>") == 1


@pytest.mark.parametrize("chars, near", [(0, True), (1499, True), (1500, False), (4000, False)])
def test_a_chart_is_in_the_first_screen_by_the_text_before_it(chars, near):
    """Text counts, with its white space collapsed; tags, scripts and styles do not."""
    text = ("x" * chars).join(["<h1>", "</h1>"])
    body = text + "<script>var spec = '" + "y" * 5000 + "';</script>\n<style>p{}</style>   <b></b>"
    assert preview.in_first_screen(body + "<div>", len(body)) is near


def test_preview_wraps_titles_and_inlines_only_the_version_its_url_names(tmp_path):
    lines = preview.wrap(["Any of 546 securities around 27 January 2025"], 200, 15, bold=True)
    assert len(lines) > 1 and all(preview.text_width(l, 15, True) <= 200 or " " not in l
                                  for l in lines)
    assert " ".join(lines) == "Any of 546 securities around 27 January 2025"
    text = "x,y\n1,2\n"
    (tmp_path / "f.csv").write_text(text)
    spec = {"data": [{"name": "a", "url": f"../_static/figdata/f.csv?v={charts.version(text)}",
                      "format": {"type": "csv"}}, {"name": "b", "deepshockData": "k"}]}
    filled = preview.with_data(spec, {"k": ROWS}, tmp_path)
    assert filled["data"][0]["values"] == text and "url" not in filled["data"][0]
    assert filled["data"][1]["values"] == ROWS and "deepshockData" in spec["data"][1]
    (tmp_path / "f.csv").write_text("x,y\n9,9\n")
    with pytest.raises(ValueError, match="another version"):
        preview.with_data(spec, {"k": ROWS}, tmp_path)


def test_formulas_become_mathml_and_an_unknown_command_fails():
    out = mathml.mathml(r"\bar r = \frac{1}{N}\sum_i r_i", display=True)
    assert out.startswith('<math alttext="\\bar r = \\frac{1}{N}\\sum_i r_i"')
    assert 'display="block"' in out and "<mfrac>" in out and "&#x02211;" in out
    from sphinx.errors import ExtensionError
    with pytest.raises(ExtensionError, match=r"\\undefinedmacro"):
        mathml.mathml(r"\undefinedmacro x")
    with pytest.raises(ExtensionError, match="cannot be written"):
        mathml.mathml(r"\frac{")


def test_a_picture_keeps_its_marks_and_text_without_attributes_an_image_never_exposes(
        monkeypatch, tmp_path):
    """The pictures are shown with `<img>` (not in the accessibility tree; the live chart's box
    has the description), so the marks' aria labels and roles are left out of their files."""
    monkeypatch.setenv("DEEPSHOCK_ARTEFACTS", str(tmp_path / "store"))
    chart, name = vega.compiled(BARS)
    drawn = vega.vlc.vega_to_svg(preview.with_data(chart["wide"][0], chart["data"], tmp_path))
    assert 'aria-label="' in drawn and 'role="' in drawn      # what vl-convert writes
    for layout, path in preview.pictures(chart, name, tmp_path).items():
        svg = path.read_text(encoding="utf-8")
        assert svg.startswith("<svg") and "<path" in svg, layout
        assert not re.search(r' (aria-label|aria-roledescription|role)="', svg), layout
        assert preview.size(path)[0] > 0
        texts = re.findall(r"<text[^>]*>([^<]+)</text>", svg)
        assert texts and set(texts) == set(re.findall(r"<text[^>]*>([^<]+)</text>", drawn)) \
            or layout == "narrow"
