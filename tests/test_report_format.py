"""deepshock/book/report.py, the formatting of every number in the prose and the gluing of a
chapter's numbers and figures, tested in-process (the chapters use it only inside their
kernels). Expected strings are written out by hand, never produced by the formatter itself."""

from __future__ import annotations

import hashlib
import json
import math

import pandas as pd
import pytest

from deepshock.book import report


@pytest.mark.parametrize("call, want", [
    (lambda: report.pct(0.0312), "+3.12%"),
    (lambda: report.pct(-0.1697), "-16.97%"),
    (lambda: report.pct(-0.1697, 1), "-17.0%"),
    (lambda: report.pct(0.5, signed=False), "50.00%"),
    (lambda: report.pct(0.0312, digits=0, signed=False), "3%"),
    (lambda: report.pp(1.25), "+1.25 pp"),
    (lambda: report.pp(-0.3, 1), "-0.3 pp"),
    (lambda: report.number(12345.678), "12,345.68"),
    (lambda: report.number(-1234567.891, 1), "-1,234,567.9"),
    (lambda: report.usd(142.62), "$142.62"),
    (lambda: report.usd(1234.5, 0), "$1,234"),
    (lambda: report.usd_bn(592.66e9), "$592.7bn"),
    (lambda: report.usd_bn(1234.5e9, 2), "$1,234.50bn"),
    (lambda: report.usd_bn(1.5e9, 0), "$2bn"),       # exactly 1.5 billions: rounds up
    (lambda: report.day("2025-01-27"), "27 January 2025"),
    (lambda: report.day(pd.Timestamp("2025-02-03")), "3 February 2025"),
    (lambda: report.day("2025-01-27", weekday=True), "Monday 27 January 2025"),
    (lambda: report.day("2025-01-27", True), "Monday 27 January 2025"),
])
def test_formats(call, want):
    assert call() == want


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, None])
@pytest.mark.parametrize("formatter", ["pct", "pp", "number", "usd", "usd_bn"])
def test_a_non_finite_number_is_never_published(formatter, bad):
    with pytest.raises(ValueError) as info:
        getattr(report, formatter)(bad)
    assert str(info.value) == f"refusing to publish a non-finite number: {bad!r}"


@pytest.fixture
def captured(monkeypatch) -> list:
    calls = []
    monkeypatch.setattr(report, "glue", lambda name, value, display=True:
                        calls.append((name, value, display)))
    return calls


M = "\u2212"   # the minus sign published negatives take (STYLE.md)


@pytest.mark.parametrize("text, want", [
    ("-0.3%", f"{M}0.3%"),
    ("-0.3%, 95% CI -3.3% to +2.6%", f"{M}0.3%, 95% CI {M}3.3% to +2.6%"),
    ("(-3.1%)", f"({M}3.1%)"),
    ("[-5,-1]", f"[{M}5,{M}1]"),
    ("KP -2.3**; t -0.5", f"KP {M}2.3**; t {M}0.5"),
    ("a;-1", f"a;{M}1"),
    ("x\n-7 and\t-.5", f"x\n{M}7 and\t{M}.5"),
    ("| -1.2 | -3 |", f"| {M}1.2 | {M}3 |"),
    # hyphens that are not signs stay: dates, words, ranges, list bullets, CSS, paths, tables
    ("2025-01-27", "2025-01-27"),
    ("state-of-the-art", "state-of-the-art"),
    ("1990-2000", "1990-2000"),
    ("- item", "- item"),
    ("-x", "-x"),
    ("margin:-1px", "margin:-1px"),
    ("a/-1", "a/-1"),
    ("x=-1", "x=-1"),
    ("|---|---|", "|---|---|"),
    ("-.", "-."),
    (f"{M}2.0%", f"{M}2.0%"),
])
def test_typeset_gives_a_negative_number_the_minus_sign(text, want):
    assert report.typeset(text) == want


def test_typeset_spec_changes_the_words_a_chart_shows_and_nothing_else():
    spec = {
        "title": {"text": "Fell -3%", "subtitle": ["down -1.5%", "flat"]},
        "description": "A fall of -2% (-2.1%).",
        "data": {"values": [{"x": "-1", "title": "-4"}]},
        "layer": [{"mark": {"type": "text", "text": "-2%"},
                   "encoding": {"text": {"field": "lab", "title": "Move -x"},
                                "y": {"field": "y", "title": "Change -5 to 5",
                                      "axis": {"labelExpr": "datum.value -1"}}}},
                  {"mark": "rule", "title": ["-1", {"text": "-2"}]}],
        "transform": [{"calculate": "datum.a -1", "as": "b"}],
        "params": [{"name": "p", "value": "-1"}],
        "width": -1,
    }
    got = report.typeset_spec(spec)
    assert got == {
        "title": {"text": f"Fell {M}3%", "subtitle": [f"down {M}1.5%", "flat"]},
        "description": f"A fall of {M}2% ({M}2.1%).",
        "data": {"values": [{"x": "-1", "title": f"{M}4"}]},
        "layer": [{"mark": {"type": "text", "text": f"{M}2%"},
                   "encoding": {"text": {"field": "lab", "title": "Move -x"},
                                "y": {"field": "y", "title": f"Change {M}5 to 5",
                                      "axis": {"labelExpr": "datum.value -1"}}}},
                  {"mark": "rule", "title": [f"{M}1", {"text": f"{M}2"}]}],
        "transform": [{"calculate": "datum.a -1", "as": "b"}],
        "params": [{"name": "p", "value": "-1"}],
        "width": -1,
    }
    assert spec["title"]["text"] == "Fell -3%"   # the kept spec itself is never changed
    assert report.typeset_spec(["-1", 3, None]) == ["-1", 3, None]
    assert report.typeset_spec({"title": 7}) == {"title": 7}


def test_glue_text_typesets_what_it_glues(captured):
    report.glue_text(a="-3.1%, 95% CI -4.9% to -1.3%")
    [(name, value, display)] = captured
    assert (name, value.data, display) == ("a", f"{M}3.1%, 95% CI {M}4.9% to {M}1.3%", False)


def test_figure_typesets_the_chart_s_words(build, captured, monkeypatch):
    checked = []
    monkeypatch.setattr(report, "check_chart", checked.append)
    monkeypatch.setattr(report, "figure_schema", lambda name, data, s: {"name": name})
    report.figure("fig-x", _Chart({"title": {"text": "It fell -3%"}, "mark": "bar"}), FRAME)
    assert checked == [{"title": {"text": f"It fell {M}3%"}, "mark": "bar"}]
    bundle = captured[0][1]._repr_mimebundle_()
    assert f"It fell {M}3%" in bundle["text/plain"]


def test_glue_text_glues_markdown_not_shown_where_called(captured):
    report.glue_text(a="+3.12%", b="27 January 2025")
    assert [(n, v.data, d) for n, v, d in captured] == [("a", "+3.12%", False),
                                                    ("b", "27 January 2025", False)]
    assert all(type(v).__name__ == "Markdown" for _, v, _ in captured)


@pytest.mark.parametrize("value", ["", 3.12, None])
def test_glue_text_refuses_what_is_not_formatted_text(captured, value):
    with pytest.raises(ValueError) as info:
        report.glue_text(ok="fine", bad=value)
    assert str(info.value) == \
        f"glue 'bad': expected a non-empty formatted string, got {value!r}"


def test_glue_html_carries_the_page_s_html_and_the_pdf_s_text(captured):
    report.glue_html("picker", "<select></select>", "the list")
    [(name, value, display)] = captured
    assert (name, display) == ("picker", False)
    assert value._repr_mimebundle_() == {"text/html": "<select></select>",
                                         "text/markdown": "the list", "text/plain": "the list"}


@pytest.fixture
def build(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPSHOCK_ROOT", str(tmp_path))
    return tmp_path / "_build" / "figdata"


FRAME = pd.DataFrame({"date": ["2025-01-24", "2025-01-27"], "ret": [0.5, -0.25]})
CSV = "date,ret\n2025-01-24,0.5\n2025-01-27,-0.25\n"


def test_data_url_writes_the_csv_and_names_it_by_its_content(build):
    version = hashlib.sha256(CSV.encode()).hexdigest()[:12]
    assert report.data_url("fig-x", FRAME) == f"../_static/figdata/fig-x.csv?v={version}"
    assert (build / "fig-x.csv").read_text(encoding="utf-8") == CSV
    assert report.data_url("fig-x", FRAME, depth=2).startswith("../../_static/figdata/fig-x.csv")
    assert report.data_url("fig-x", FRAME, depth=0).startswith("_static/figdata/fig-x.csv")
    with pytest.raises(ValueError, match="^data file 'fig-empty': no rows$"):
        report.data_url("fig-empty", FRAME.iloc[:0])
    assert not (build / "fig-empty.csv").exists()


class _Chart:
    def __init__(self, spec):
        self.spec = spec

    def to_dict(self):
        return self.spec


def test_figure_checks_the_chart_writes_its_data_and_dictionary_and_glues_it(
        build, captured, monkeypatch):
    spec = {"title": {"text": "It fell"}, "mark": "bar"}
    checked, described = [], []
    monkeypatch.setattr(report, "check_chart", checked.append)
    monkeypatch.setattr(report, "figure_schema", lambda name, data, s: described.append(
        (name, list(data.columns), s)) or {"name": name, "title": "It fell — ü"})
    report.figure("fig-x", _Chart(spec), FRAME)
    assert checked == [spec] and described == [("fig-x", ["date", "ret"], spec)]
    assert (build / "fig-x.csv").read_text(encoding="utf-8") == CSV
    text = (build / "fig-x.json").read_text(encoding="utf-8")
    assert text == '{\n "name": "fig-x",\n "title": "It fell — ü"\n}\n'
    assert json.loads(text) == {"name": "fig-x", "title": "It fell — ü"}
    [(name, value, display)] = captured
    assert (name, display) == ("fig-x", False)
    bundle = value._repr_mimebundle_()
    assert bundle["text/plain"] == "<chart: It fell>" and "It fell" in bundle["text/html"]


def test_figure_refuses_an_empty_frame(build, captured):
    with pytest.raises(ValueError, match="^figure 'fig-x': no data to draw$"):
        report.figure("fig-x", _Chart({}), FRAME.iloc[:0])
    assert captured == [] and not build.exists()


def test_publish_glues_every_text_then_every_figure(monkeypatch):
    calls = []
    monkeypatch.setattr(report, "glue_text", lambda **items: calls.append(("text", items)))
    monkeypatch.setattr(report, "figure", lambda *args: calls.append(("figure", args)))

    class Chapter:
        text = {"a": "1", "b": "2"}
        figures = {"fig-a": ("chart a", "data a"), "fig-b": ("chart b", "data b")}

    report.publish(Chapter())
    assert calls == [("text", {"a": "1", "b": "2"}),
                     ("figure", ("fig-a", "chart a", "data a")),
                     ("figure", ("fig-b", "chart b", "data b"))]
