"""The book's chart module (`story.charts`) on its own: the colours and the ramp, the HTML a
chart becomes (placeholder, script, escaping), the LaTeX placeholder, the versioned data URLs
and their inlining, house-style minus signs, titles, phone layouts, the preview flag and the
chart standard's every refusal, on small specs written out here."""

from __future__ import annotations

import hashlib
import json
import re
from types import SimpleNamespace

import altair as alt
import pandas as pd
import pytest

from deepshock.story import charts

MINUS = "\u2212"


def test_palette_and_constants():
    assert charts.PALETTE == ["#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9",
                              "#000000", "#F0E442"]
    assert (charts.NEGATIVE, charts.POSITIVE, charts.NEUTRAL, charts.MUTED) == \
        ("#D55E00", "#0072B2", "#555555", "#BBBBBB")
    assert charts.ACCENT == "#CC79A7"
    assert charts.RAMP == ("#D55E00", "#FFFFFF", "#0072B2")
    assert charts.DASHES[0] == [1, 0] and len(charts.DASHES) == 6
    assert charts.SHAPES[0] == "circle" and len(charts.SHAPES) == 7
    assert (charts.WIDTH, charts.HEIGHT) == (600, 320)
    assert charts.VL_VERSION == ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    assert re.fullmatch(r"\d+\.\d+", charts.VL_VERSION)
    assert charts.SPEC_MIME == "application/vnd.deepshock.vegalite+json"
    assert charts.SPEC_ATTR == "deepshock_spec" and charts.PUBLISHED == "_static/figdata/"


def test_theme_is_registered_and_enabled():
    assert alt.theme.active == "deepshock"
    config = charts.theme()["config"]
    assert config["view"] == {"continuousWidth": 600, "continuousHeight": 320, "stroke": None}
    assert config["range"] == {"category": charts.PALETTE}


# ---- HTML and the mime bundle ---------------------------------------------------------------

SPEC = {"description": 'Two "bars" </script>', "title": {"text": "A title"}, "mark": "bar"}


def test_html_placeholder_and_script():
    out = charts._html(SPEC)
    payload = json.dumps(SPEC, sort_keys=True, separators=(",", ":"))
    ident = "vis-" + hashlib.sha1(payload.encode()).hexdigest()[:12]
    head, script = out.split("\n", 1)
    assert head == (f'<div class="deepshock-chart" id="{ident}" role="figure" aria-label="Two '
                    '\\&quot;bars\\&quot; </script>"></div>')
    assert script == (
        "<script>(function(){var spec=" + payload.replace("</", "<\\/") + ";"
        "function draw(){var el=document.getElementById('" + ident + "');"
        "if(typeof deepshockChart!=='function'){el.textContent='Chart could not be drawn: "
        "deepshock.js (the vegaEmbed loader) missing';el.className+=' chart-error';return;}"
        "deepshockChart(el,spec);}"
        "if(document.readyState==='loading'){document.addEventListener('DOMContentLoaded',draw);}"
        "else{draw();}})();</script>")
    assert "</script>\"" not in script and script.count("</script>") == 1
    assert charts._html({"mark": "bar"}).split("\n")[0].endswith('aria-label=""></div>')
    # the key order does not change the chart's id
    assert charts._html({"b": 1, "a": 2})[:60] == charts._html({"a": 2, "b": 1})[:60]


def test_render_bundle():
    out = charts.render(SPEC, anything=1)
    assert out == {"text/html": charts._html(SPEC), charts.SPEC_MIME: SPEC,
                   "text/plain": "<chart: A title>"}
    assert charts.render({"title": "Plain"})["text/plain"] == "<chart: Plain>"
    assert charts.render({"title": {"subtitle": "x"}})["text/plain"] == "<chart: >"
    assert charts.render({})["text/plain"] == "<chart: >"
    assert alt.renderers.active == "deepshock"


def test_latex_placeholder_holds_the_spec():
    assert charts.LatexChart.mime_priority_overrides == [("latex", charts.SPEC_MIME, 5)]
    as_text = SimpleNamespace(mime_type=charts.SPEC_MIME, content='{"mark":"bar"}')
    [node] = charts.LatexChart.handle_mime(None, as_text, True)
    assert node["classes"] == ["deepshock-latex-chart"] and node[charts.SPEC_ATTR] == \
        '{"mark":"bar"}'
    as_dict = SimpleNamespace(mime_type=charts.SPEC_MIME, content={"mark": "bar"})
    [node] = charts.LatexChart.handle_mime(None, as_dict, False)
    assert node[charts.SPEC_ATTR] == json.dumps({"mark": "bar"})
    other = SimpleNamespace(mime_type="text/html", content="<p>")
    assert charts.LatexChart.handle_mime(None, other, True) is None


# ---- versioned data files -------------------------------------------------------------------

def test_version_and_published():
    assert charts.version("a,b\n1,2\n") == hashlib.sha256(b"a,b\n1,2\n").hexdigest()[:12]
    assert len(charts.version("")) == 12
    assert charts.published("../_static/figdata/fig-x.csv?v=0123456789ab") == \
        ("fig-x.csv", "0123456789ab")
    assert charts.published("../../_static/figdata/a_b.1-c.csv?v=abcdefabcdef") == \
        ("a_b.1-c.csv", "abcdefabcdef")
    assert charts.published("_static/figdata/x.csv?v=abcdefabcdef") == ("x.csv", "abcdefabcdef")
    for url in ("../_static/figdata/x.csv?v=0123456789a", "../_static/figdata/x.csv?v=ABCDEF012345",
                "../_static/figdata/x.csv?v=0123456789abc", "https://e.org/_static/figdata/x.csv"
                "?v=0123456789ab", "../_static/figdataXx.csv?v=0123456789ab",
                "../_static/figdata/x/y.csv?v=0123456789ab", "./_static/figdata/x.csv?v="
                "0123456789ab", "../_static/figdata/x.csv"):
        assert charts.published(url) is None, url


def test_inline_data_inlines_every_published_file(tmp_path):
    text = "t,x\nA,1\n"
    (tmp_path / "fig-a.csv").write_text(text, encoding="utf-8")
    url = f"../_static/figdata/fig-a.csv?v={charts.version(text)}"
    spec = {"vconcat": [{"data": {"url": url, "format": {"type": "csv"}}, "mark": "bar"},
                        {"data": {"url": url}, "mark": "point"},
                        {"data": {"url": "https://e.org/y.csv"}, "mark": "line"},
                        {"data": "not a dict"}]}
    before = json.loads(json.dumps(spec))
    out = charts.inline_data(spec, tmp_path)
    assert out["vconcat"][0]["data"] == {"values": text, "format": {"type": "csv"}}
    assert out["vconcat"][1]["data"] == {"values": text}
    assert out["vconcat"][2:] == spec["vconcat"][2:]
    assert spec == before                          # the original is untouched
    plain = {"data": {"url": "https://e.org/y.csv"}}
    assert charts.inline_data(plain, tmp_path) is plain
    (tmp_path / "fig-a.csv").write_text("t,x\nA,2\n", encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        charts.inline_data(spec, tmp_path)
    assert str(raised.value) == (f"{tmp_path / 'fig-a.csv'}: another version (the chart loads "
                                 f"{url})")
    (tmp_path / "fig-a.csv").unlink()
    (tmp_path / "fig-a.csv").mkdir()               # not a file: missing
    with pytest.raises(ValueError) as raised:
        charts.inline_data(spec, tmp_path)
    assert str(raised.value) == f"{tmp_path / 'fig-a.csv'}: missing (the chart loads {url})"


def test_inline_data_reads_the_builds_figure_data_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPSHOCK_ROOT", str(tmp_path))
    from deepshock.data.paths import figdata_dir
    folder = figdata_dir()
    folder.mkdir(parents=True)
    text = "t\nB\n"
    (folder / "fig-b.csv").write_text(text, encoding="utf-8")
    spec = {"data": {"url": f"../_static/figdata/fig-b.csv?v={charts.version(text)}"}}
    assert charts.inline_data(spec)["data"] == {"values": text}
    assert charts.inline_data(spec, None)["data"] == {"values": text}


def test_spec_pdf_draws_a_vector_pdf(tmp_path):
    text = "x\n1\n2\n"
    (tmp_path / "fig-c.csv").write_text(text, encoding="utf-8")
    spec = {"data": {"url": f"../_static/figdata/fig-c.csv?v={charts.version(text)}",
                     "format": {"type": "csv"}}, "mark": "point",
            "encoding": {"x": {"field": "x", "type": "quantitative"}}}
    pdf = charts.spec_pdf(json.dumps(spec), tmp_path)
    assert pdf.startswith(b"%PDF")
    with pytest.raises(ValueError, match="missing"):
        charts.spec_pdf(json.dumps(spec), tmp_path / "nowhere")


def test_spec_pdf_uses_the_vega_lite_version_altair_writes(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(charts.vlc, "vegalite_to_pdf",
                        lambda spec, **kw: calls.append((spec, kw)) or b"%PDF")
    assert charts.spec_pdf('{"mark": "bar"}', tmp_path) == b"%PDF"
    assert calls == [({"mark": "bar"}, {"vl_version": charts.VL_VERSION})]


# ---- words and layout -----------------------------------------------------------------------

def test_minus_only_where_a_hyphen_is_a_minus():
    assert charts.minus("-9.1%") == f"{MINUS}9.1%"
    assert charts.minus("fell (-2.5%), [-1], {-2}, a,-3: -4; b=-5/-6") == \
        f"fell ({MINUS}2.5%), [{MINUS}1], {{{MINUS}2}}, a,{MINUS}3: {MINUS}4; b={MINUS}5/{MINUS}6"
    assert charts.minus("2025-01-27 and 12-15, x-1, -a, - 3") == \
        "2025-01-27 and 12-15, x-1, -a, - 3"
    assert charts.minus("a\t-1\n-2") == f"a\t{MINUS}1\n{MINUS}2"


def test_finish_sets_title_subtitle_source_and_description():
    chart = alt.Chart(pd.DataFrame({"x": [1]})).mark_point()
    done = charts.finish(chart, title="Fell -3%", source="Yahoo -x", description="down -2%",
                         subtitle="from -1 to -2")
    spec = done.to_dict()
    assert spec["title"] == {"text": f"Fell {MINUS}3%",
                             "subtitle": [f"from {MINUS}1 to {MINUS}2", "Source: Yahoo -x"]}
    assert spec["description"] == f"down {MINUS}2%"
    lines = charts.finish(chart, title=["A -1", "B -2"], source="S", description="d",
                          subtitle=["one -1", "two"]).to_dict()["title"]
    assert lines == {"text": [f"A {MINUS}1", f"B {MINUS}2"],
                     "subtitle": [f"one {MINUS}1", "two", "Source: S"]}
    bare = charts.finish(chart, title="T", source="S", description="d").to_dict()["title"]
    assert bare == {"text": "T", "subtitle": ["Source: S"]}


def test_narrow_layout_and_preview_keep_each_others_metadata():
    chart = alt.Chart(pd.DataFrame({"x": [1]})).mark_point()
    narrow = charts.narrow_layout(chart, drop=("layer/1",), set={"width": 280}, transpose=True,
                                  note="values -1 in the table")
    assert narrow.to_dict()["usermeta"] == {"narrow": {
        "drop": ["layer/1"], "set": {"width": 280}, "transpose": True,
        "note": f"values {MINUS}1 in the table"}}
    assert charts.narrow_layout(chart).to_dict()["usermeta"] == {
        "narrow": {"drop": [], "set": {}, "transpose": False}}
    assert "note" not in charts.narrow_layout(chart, note="").to_dict()["usermeta"]["narrow"]
    both = charts.preview(narrow).to_dict()["usermeta"]
    assert both["preview"] is True and both["narrow"]["drop"] == ["layer/1"]
    again = charts.narrow_layout(charts.preview(chart)).to_dict()["usermeta"]
    assert again["preview"] is True and "narrow" in again
    assert charts._usermeta(chart) == {}
    assert charts._usermeta(SimpleNamespace(usermeta={"a": 1})) == {"a": 1}
    assert charts._usermeta(SimpleNamespace(usermeta="text")) == {}
    assert charts._usermeta(SimpleNamespace()) == {}


def test_walk_visits_every_dict():
    spec = {"a": [{"b": 1}, [{"c": {"d": 2}}], 3], "e": {"f": {}}}
    seen = list(charts._walk(spec))
    assert seen == [spec, {"b": 1}, {"c": {"d": 2}}, {"d": 2}, {"f": {}}, {}]
    assert list(charts._walk([1, "x"])) == []


# ---- the chart standard ---------------------------------------------------------------------

def good() -> dict:
    return {"title": {"text": "T", "subtitle": ["x", "Source: S"]}, "description": "d",
            "datasets": {"d1": [{"x": 1}]},
            "layer": [{"encoding": {"x": {"field": "x", "title": "X"},
                                    "y": {"field": "y", "axis": {"title": "Y"}},
                                    "tooltip": [{"field": "x"}]}}]}


def test_check_chart_accepts_a_good_spec_and_refuses_each_fault():
    charts.check_chart(good())
    charts.check_chart({**good(), "layer": [{"encoding": {
        "x": {"field": "x", "axis": None}, "y": {"value": 0}, "tooltip": []}}]})
    faults = [
        ({**good(), "title": "T"}, "chart has no title"),
        ({**good(), "title": {"text": ""}}, "chart has no title"),
        ({k: v for k, v in good().items() if k != "title"}, "chart has no title"),
        ({**good(), "title": {"text": "T", "subtitle": ["Sources: S", "x Source: S"]}},
         "chart 'T' has no source line"),
        ({**good(), "title": {"text": "T"}}, "chart 'T' has no source line"),
        ({**good(), "title": {"text": "T", "subtitle": None}}, "chart 'T' has no source line"),
        ({**good(), "description": ""}, "chart 'T' has no accessible description"),
        ({k: v for k, v in good().items() if k != "description"},
         "chart 'T' has no accessible description"),
        ({**good(), "datasets": {"d1": [{"x": 1}], "d2": []}}, "chart 'T': dataset d2 is empty"),
        ({**good(), "layer": [{"encoding": {"x": {"field": "x"}, "tooltip": []}}]},
         "chart 'T': axis ['x'] has no title"),
        ({**good(), "layer": [{"encoding": {"x": {"field": "x", "axis": {}},
                                            "y": {"field": "y", "axis": {"title": ""}},
                                            "tooltip": []}}]},
         "chart 'T': axis ['x', 'y'] has no title"),
        ({**good(), "layer": [{"encoding": {"x": {"field": "x", "title": "X"}}}]},
         "chart 'T' has no tooltip"),
        ({**good(), "layer": [{"encoding": "none"}, {"mark": "bar"}]}, "chart 'T' has no tooltip"),
    ]
    for spec, message in faults:
        with pytest.raises(ValueError) as raised:
            charts.check_chart(spec)
        assert str(raised.value) == message, (spec, str(raised.value))
    # a tooltip in any layer counts, and an axis titled in one layer of two is enough
    charts.check_chart({**good(), "layer": [
        {"encoding": {"x": {"field": "x"}}},
        {"encoding": {"x": {"field": "x", "title": "X"}, "tooltip": {"field": "x"}}}]})
    charts.check_chart({**good(), "datasets": {}})
    charts.check_chart({k: v for k, v in good().items() if k != "datasets"})
    charts.check_chart({**good(), "layer": [
        {"encoding": {"x": {"field": "x", "title": "X"}, "tooltip": {"field": "x"}}},
        {"encoding": {"x": {"field": "x"}}}]})


# ---- the book's colours ---------------------------------------------------------------------

def test_rgb_reads_every_hex_form():
    assert charts._rgb("#D55E00") == (213, 94, 0)
    assert charts._rgb(" d55e00 ") == (213, 94, 0)
    assert charts._rgb("#abc") == (170, 187, 204)
    assert charts._rgb("#abcd") == (170, 187, 204)
    assert charts._rgb("#11223344") == (17, 34, 51)
    for bad in ("#12345", "#1234567", "#GGGGGG", "red", "#12", "", "X123456", "#12345X"):
        with pytest.raises(ValueError) as raised:
            charts._rgb(bad)
        assert str(raised.value) == f"not a hex colour: {bad!r}"


def test_tint_mixes_with_white():
    assert charts.tint("#D55E00", 1) == "#D55E00"
    assert charts.tint("#D55E00", 0) == "#FFFFFF"
    assert charts.tint("#0072B2", 0.5) == "#80B8D8"       # halves round to even: 184.5 -> 184
    assert charts.tint("#000000", 0.25) == "#BFBFBF"
    assert charts.tint("#102030", 0.3) == "#B7BCC1"
    for share in (-0.01, 1.01):
        with pytest.raises(ValueError) as raised:
            charts.tint("#000000", share)
        assert str(raised.value) == f"tint share {share} outside [0, 1]"


def test_ramp_runs_orange_white_blue():
    scale = charts.ramp(-2.0, 3.0).to_dict()
    assert scale == {"domain": [-2.0, 0.0, 3.0], "range": ["#D55E00", "#FFFFFF", "#0072B2"],
                     "clamp": True}
    assert charts.ramp(0, 2, mid=1).to_dict()["domain"] == [0, 1, 2]
    for low, high, mid in ((0.0, 1.0, 0.0), (-1.0, 0.0, 0.0), (1.0, -1.0, 0.0)):
        with pytest.raises(ValueError) as raised:
            charts.ramp(low, high, mid)
        assert str(raised.value) == f"ramp needs low < mid < high, got {low}, {mid}, {high}"


def test_colour_role_of_every_kind_of_colour():
    assert charts.colour_role("#D55E00") == "fell"
    assert charts.colour_role(charts.tint("#D55E00", 0.4)) == "fell"
    assert charts.colour_role("#0072B2") == "rose"
    assert charts.colour_role(charts.tint("#0072B2", 0.05)) == "rose"
    assert charts.colour_role("#CC79A7") == "accent"
    assert charts.colour_role("#555555") == "grey"
    assert charts.colour_role("#FFFFFF") == "grey" and charts.colour_role("#000000") == "grey"
    assert charts.colour_role("#565553") == "grey"           # within 3 of each other
    assert charts.colour_role("#575553") is None             # 4 apart: not a grey
    assert charts.colour_role("#575553", tolerance=4) == "grey"
    assert charts.colour_role("#009E73") is None
    assert charts.colour_role("#D55E08") is None             # green 5 off the tint
    assert charts.colour_role("#D55E03") == "fell"           # within 3
    assert charts.colour_role("#D65E00", tolerance=0) is None
    assert charts.colour_role("#CC79A8") is None             # only the accent itself
    assert charts.colour_role("#E0B0A0") is None             # a pink, not a tint of orange
    # darker than the colour itself (share above 1) is not a tint
    assert charts.colour_role("#A04000") is None
    assert charts.colour_role("#005080") is None
    # the share is read on the channel furthest from white (blue for orange, red for blue)
    assert charts.colour_role("#0072B5") == "rose"           # blue 3 off
    assert charts.colour_role("#D75E00") == "fell"           # red 2 off
    assert charts.colour_role("#D55E00", tolerance=0) == "fell"
    assert charts.colour_role("#0072B2", tolerance=0) == "rose"
    assert charts.colour_role(charts.tint("#0072B2", 0.6), tolerance=1) == "rose"
