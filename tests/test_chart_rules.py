"""The chart rules (READER.md), checked over EVERY chart the built book publishes.

The charts are not listed here: they are read from the build, so a new chart is covered the day
it is published. Each page of `_build/html` embeds its charts' Vega-Lite specs; the executed
notebooks' glue files (`_build/jupyter_execute/**/*.glue.json`) name them (the glue key, e.g.
`fig-selloff-us`), and `report.figure` wrote the exact rows each one draws to
`_build/figdata/<name>.csv`. Three rules:

* colour: only NEGATIVE (orange, fell), POSITIVE (blue, rose), greys and the one ACCENT, and
  graded fills only on the orange-white-blue ramp (`charts.colour_role`), read from the spec
  compiled to Vega, so that Vega's defaults (a mark with no colour, a named scheme) count too;
* every number in a chart's title is in the chart's data as rounded in the title: a value of
  the data, a count of its rows, of a column's values or of its negative or positive values,
  or a ratio of two values (numbers a dedicated test checks instead are listed in ELSEWHERE);
* house style in the words a chart shows (title, subtitle, description, labels, tooltips):
  U+2212 for a minus sign, and at most one decimal for a percentage on a story chart.

Charts that break a rule today are listed, by name, with what breaks: the lists must only
shrink, and a listed chart that now passes fails the test, so that the lists stay honest.
"""

from __future__ import annotations

import glob
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from deepshock.story.charts import (ACCENT, NEGATIVE, POSITIVE, SPEC_MIME, VL_VERSION, colour_role,
                                    inline_data, tint)
from tests.test_browser import pages, site  # noqa: F401  (the session's one build of the book)

STORY = {"intro", "launch", "nvidia", "selloff", "tokyo", "contagion", "aftermath", "meaning"}

# --- today's violations: these lists only shrink ---------------------------------------------
# chart -> what breaks the colour rule (issue 23 lists the colour offenders as Figs. 3, 5, 6, 8,
# 9, 10, 13, 14, 17 in its own, older numbering; the names below are the build's).
KNOWN_COLOUR: dict[str, str] = {}
# chart -> what breaks "orange means fell, blue means rose" (an orange or blue used for a
# series, a group or a highlight that is neither a fall nor a rise).
KNOWN_MEANING: dict[str, str] = {}
# chart -> (column, "<0") : orange picked by a label the words cannot read, on a chart whose
# every row is a fall (checked): the orange bars are falls, so the colour keeps its meaning.
ACCEPTED_MEANING: dict[str, tuple[str, str]] = {
    "fig-selloff-sox-worst": ("ret_pct", "<0"),   # the SOX's worst days; orange = 27 January
}
# chart -> the numbers of its title that are in none of its data, as rounded in the title.
KNOWN_TITLE: dict[str, str] = {}
# chart -> what breaks the house style in its words (a hyphen for a minus in labels or axis
# titles, two decimals in a story chart's labels, tooltips or description). Titles and
# descriptions get their minus signs from charts.finish.
KNOWN_STYLE: dict[str, str] = {}
# (chart, number as written in the title) -> the test that checks it against the chart's data
# instead (a number the data hold only as a difference of times, a floor, a threshold).
ELSEWHERE: dict[tuple[str, str], str] = {
    ("fig-tokyo-timeline", "8"): "tests/test_titles.py::test_tokyo_timeline_title (hours "
                                 "between Tokyo's close and New York's open)",
    ("fig-contagion-reopening", "0.5"): "tests/test_titles.py::test_reopening_title (the "
                                        "largest near gap rounded up, and who is within it)",
    ("fig-selloff-us", "21.0"): "tests/test_titles.py::test_selloff_cross_section_title (the "
                                 "power companies' mean, a mean of the drawn rows)",
    ("fig-meaning-plans", "11000"): "tests/test_meaning.py::test_plans_title_states_the_drawn_"
                                    "rows (the multiple of the run's cost, floored)",
}


# --- the charts the build publishes -----------------------------------------------------------

@dataclass(frozen=True)
class Chart:
    name: str
    page: str            # the page's name, e.g. "selloff" (story or research)
    spec: dict
    data: tuple          # the frames it draws: its datasets and its published CSV


VIS = re.compile(r'class="deepshock-chart" id="(vis-[0-9a-f]+)"')


def embedded(html: str) -> list[str]:
    """The id of every chart a built page draws, in page order (the page holds the chart
    compiled to Vega; the Vega-Lite spec it was compiled from is glued under the same id)."""
    return VIS.findall(html)


def glued(build: Path) -> dict[str, tuple[str, dict]]:
    """chart id -> (glue name, Vega-Lite spec), for every chart glued by an executed notebook."""
    names = {}
    for path in glob.glob(str(build / "jupyter_execute" / "**" / "*.glue.json"), recursive=True):
        for key, output in json.loads(Path(path).read_text(encoding="utf-8")).items():
            data = output.get("data") or {}
            spec, html = data.get(SPEC_MIME), data.get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            if isinstance(spec, dict):
                for vis in VIS.findall(html):
                    names[vis] = (key, spec)
    return names


def _frames(spec: dict, csv: Path | None) -> tuple:
    frames = [pd.DataFrame(rows) for rows in spec.get("datasets", {}).values() if rows]
    for node in _walk(spec):
        data = node.get("data")
        if isinstance(data, dict) and isinstance(data.get("values"), list) and data["values"]:
            frames.append(pd.DataFrame(data["values"]))
        elif isinstance(data, dict) and isinstance(data.get("values"), str):
            from io import StringIO
            frames.append(pd.read_csv(StringIO(data["values"])))
    if csv is not None and csv.is_file():
        frames.append(pd.read_csv(csv))
    return tuple(f for f in frames if not f.empty)


def published(html_dir: Path) -> list[Chart]:
    """Every chart of every page of the built site, named by its glue key (a chart drawn
    without one is named page#n, and fails `test_every_published_chart_is_named`)."""
    build = html_dir.parent
    names, found = glued(build), []
    for path in pages(html_dir):
        page = path.stem
        for i, vis in enumerate(embedded(path.read_text(encoding="utf-8"))):
            name, spec = names.get(vis, (f"{page}#{i + 1}", {}))
            spec = inline_data(spec, build / "figdata")
            found.append(Chart(name, page, spec, _frames(spec, build / "figdata" / f"{name}.csv")))
    return found


@pytest.fixture(scope="module")
def charts(site) -> list[Chart]:  # noqa: F811
    found = published(site)
    assert len(found) >= 20, f"only {len(found)} charts found in {site}"
    return found


def _walk(node: object):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _known(found: dict[str, list[str]], known: dict[str, str], names: set[str], rule: str):
    """Fail on a new violation, on a listed chart that now passes, on a stale name."""
    new = {n: p for n, p in found.items() if p and n not in known}
    fixed = sorted(n for n in known if n in names and not found.get(n))
    gone = sorted(n for n in known if n not in names)
    message = []
    if new:
        message.append(f"{rule} broken by: " + "; ".join(f"{n}: {', '.join(p[:4])}"
                                                         for n, p in sorted(new.items())))
    if fixed:
        message.append(f"{rule} now holds for {fixed}: remove them from the known list")
    if gone:
        message.append(f"known list names charts the book no longer publishes: {gone}")
    assert not message, "\n".join(message)


# --- rule 1: colours --------------------------------------------------------------------------

HEX = re.compile(r"^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
GREY_NAMES = {"white", "black", "gray", "grey", "silver", "lightgray", "lightgrey", "darkgray",
              "darkgrey", "dimgray", "dimgrey", "gainsboro", "whitesmoke"}
NOT_COLOURS = {"transparent", "none", "currentcolor"}
COLOUR_RANGES = {"category", "ordinal", "ramp", "diverging", "heatmap"}
ORDER = {"fell": 0, "grey": 1, "rose": 2}


def compiled(spec: dict) -> dict:
    """The spec as Vega draws it: Vega-Lite's defaults (a mark's colour, a scale's range)
    written out."""
    import vl_convert as vlc

    return vlc.vegalite_to_vega(spec, vl_version=VL_VERSION)


def colour_problems(spec: dict) -> list[str]:
    """Colours of the chart outside the book's set, and graded scales off the ramp."""
    vega = compiled(spec)
    config = vega.get("config", {})
    body = {k: v for k, v in vega.items() if k != "config"}
    lite = {k: v for k, v in spec.items() if k != "config"}
    bad = set()
    for node in itertools.chain(_walk(body), _walk(lite)):
        for key, value in node.items():
            if isinstance(value, str) and HEX.match(value) and colour_role(value) is None:
                bad.add(f"{value.lower()} ({key})")
            if isinstance(value, list):
                bad |= {f"{v.lower()} ({key})" for v in value
                        if isinstance(v, str) and HEX.match(v) and colour_role(v) is None}
            if key in ("fill", "stroke", "color") and isinstance(value, dict):
                named = value.get("value")
                if isinstance(named, str) and not HEX.match(named) \
                        and named.lower() not in GREY_NAMES | NOT_COLOURS:
                    bad.add(f"named colour {named!r}")
    for scale in body.get("scales", []) + [s for n in _walk(body.get("marks", []))
                                           for s in n.get("scales", [])]:
        rng = scale.get("range")
        if isinstance(rng, dict) and "scheme" in rng:
            bad.add(f"colour scheme {rng['scheme']!r} (scale {scale.get('name')}): use "
                    "charts.ramp")
        elif isinstance(rng, str) and rng in COLOUR_RANGES:
            theme = (config.get("range") or {}).get(rng)
            if not isinstance(theme, list):
                bad.add(f"Vega's default {rng!r} colours (scale {scale.get('name')})")
            else:
                bad |= {f"{c.lower()} (theme's {rng} range)" for c in theme
                        if isinstance(c, str) and colour_role(c) is None}
        elif isinstance(rng, list) and scale.get("type") in (
                "linear", "log", "pow", "sqrt", "symlog", "sequential", "quantize", "quantile",
                "threshold") and all(isinstance(c, str) and HEX.match(c) for c in rng):
            roles = [ORDER.get(colour_role(c) or "", -1) for c in rng]
            if roles != sorted(roles) or -1 in roles:
                bad.add(f"graded scale {scale.get('name')} not orange-white-blue: {rng}")
    return sorted(bad)


def _colour_uses(node, path=""):
    """(where, meaning) of every use of the fell / rose colours (tints included) in a spec,
    with what decides it: a scale's domain value, a condition's test, or a fixed colour."""
    if isinstance(node, dict):
        domain, rng = node.get("domain"), node.get("range")
        if isinstance(rng, list) and isinstance(domain, list) and len(domain) == len(rng):
            for colour, label in zip(rng, domain):
                role = _role(colour)
                if role in ("fell", "rose"):
                    yield path, role, f"domain value {label!r}"
        if isinstance(node.get("condition"), dict):
            cond = node["condition"]
            for value, truth in ((cond.get("value"), True), (node.get("value"), False)):
                role = _role(value)
                if role in ("fell", "rose"):
                    yield path, role, f"{cond.get('test', '')} is {truth}"
        for key, value in node.items():
            if key == "color" and _role(value) in ("fell", "rose"):
                yield path, _role(value), "a fixed mark colour"
            yield from _colour_uses(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _colour_uses(value, f"{path}/{i}")


def _role(value) -> str | None:
    return colour_role(value) if isinstance(value, str) and HEX.match(value) else None


FALL_WORDS = re.compile(r"\b(fell|fall|falls|down|loss|lost|negative|decline|lower|below|cut"
                        r"|lowered|reduced)\b", re.I)
RISE_WORDS = re.compile(r"\b(rose|rise|rises|up|gain|gained|positive|higher|above|raised"
                        r"|increased)\b", re.I)
LOSS_FIELD = re.compile(r"datum\.\w*(loss|fall|drop)\w*", re.I)  # positive = a fall


def meaning_problems(spec: dict) -> list[str]:
    """Uses of orange or blue that do not say fell or rose: a domain value or a condition
    whose words or sign test do not match the colour. A fixed mark colour is judged by the
    rule test_titles.py applies to story charts: it must draw falls (its layer encodes a
    return) -- here, a fixed orange or blue is allowed only on marks whose data are all moves
    of the matching sign."""
    bad = []
    for where, role, how in _colour_uses({k: v for k, v in spec.items() if k != "config"}):
        if how.startswith("domain value"):
            label = how.split(" ", 2)[2]
            bare = label.strip("'\"")
            if bare.lower() in ("true", "false"):
                continue  # a yes/no field: what it means is in its name, not in the domain
            says = ("fell" if FALL_WORDS.search(bare) or re.search(r"[−-]\d", bare) else
                    "rose" if RISE_WORDS.search(bare) else None)
            if says != role:
                bad.append(f"{role} colour for {label} at {where}")
        elif " is " in how:
            test, truth = how.rsplit(" is ", 1)
            below = bool(re.search(r"<\s*0\b|<=\s*0\b", test))
            above = bool(re.search(r">\s*=?\s*0\b", test))
            if not (below or above):
                bad.append(f"{role} colour on a condition that is not a sign: {test}")
            elif (role == "fell") != ((below if truth == "True" else above)
                                      != bool(LOSS_FIELD.search(test))):
                bad.append(f"{role} colour when {test} is {truth}")
    return bad


def test_the_colour_rules_can_fail():
    ok = {"mark": "bar", "encoding": {"x": {"field": "v", "type": "quantitative"}, "color": {
        "field": "v", "type": "quantitative", "scale": {"domain": [-5, 0, 5],
                                                         "range": [NEGATIVE, "#ffffff",
                                                                   POSITIVE]}}},
          "data": {"values": [{"v": -1}, {"v": 2}]}}
    assert colour_problems(ok) == []
    green = json.loads(json.dumps(ok).replace(POSITIVE, "#009E73"))
    assert any("#009e73" in p for p in colour_problems(green))
    backwards = json.loads(json.dumps(ok).replace(NEGATIVE, "#TMP").replace(POSITIVE, NEGATIVE)
                           .replace("#TMP", POSITIVE))
    assert any("not orange-white-blue" in p for p in colour_problems(backwards))
    default = {"mark": "bar", "encoding": {"x": {"field": "v", "type": "quantitative"}},
               "data": {"values": [{"v": 1}]}}
    assert colour_problems(default), "Vega-Lite's default blue mark must count"
    scheme = {**ok, "encoding": {**ok["encoding"], "color": {
        "field": "v", "type": "quantitative", "scale": {"scheme": "viridis"}}}}
    assert any("scheme" in p for p in colour_problems(scheme))
    fine = {**default, "mark": {"type": "bar", "color": tint(NEGATIVE, 0.4)}}
    assert colour_problems(fine) == []
    accent = {**default, "mark": {"type": "bar", "color": ACCENT}}
    assert colour_problems(accent) == []


def test_the_meaning_rule_can_fail():
    series = {"encoding": {"color": {"scale": {"domain": ["Nvidia", "SOX"],
                                               "range": [POSITIVE, "#000000"]}}}}
    assert meaning_problems(series)
    signs = {"encoding": {"color": {"condition": {"test": "datum.ret < 0", "value": NEGATIVE},
                                    "value": POSITIVE}}}
    assert meaning_problems(signs) == []
    flipped = {"encoding": {"color": {"condition": {"test": "datum.ret < 0", "value": POSITIVE},
                                      "value": NEGATIVE}}}
    assert meaning_problems(flipped)


@pytest.mark.build
def test_every_chart_uses_only_the_book_colours(charts):
    found = {c.name: colour_problems(c.spec) for c in charts}
    _known(found, KNOWN_COLOUR, {c.name for c in charts}, "the colour rule")


def _all_falls(chart: Chart, column: str) -> bool:
    values = [pd.to_numeric(f[column], errors="coerce") for f in chart.data if column in f]
    return bool(values) and all(v.notna().all() and (v < 0).all() for v in values)


@pytest.mark.build
def test_orange_and_blue_mean_fell_and_rose_on_every_chart(charts):
    found = {}
    for chart in charts:
        problems = meaning_problems(chart.spec)
        if chart.name in ACCEPTED_MEANING:
            column, _ = ACCEPTED_MEANING[chart.name]
            assert _all_falls(chart, column), f"{chart.name}: not every {column} is a fall"
            problems = [p for p in problems if " for " not in p]  # label-picked colours only
        found[chart.name] = problems
    _known(found, KNOWN_MEANING, {c.name for c in charts}, "orange = fell, blue = rose")


# --- rule 2: the numbers of a title are in the chart's data -----------------------------------

MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|"
          "December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten "
                                    "eleven twelve thirteen fourteen fifteen sixteen seventeen "
                                    "eighteen nineteen twenty".split())}
NUMBER = re.compile(r"(?<![\w.])[−+-]?\$?(\d[\d,]*(?:\.\d+)?)\s?(%|bn|M\b|k\b)?")


def title_text(spec: dict) -> str:
    title = spec.get("title", {})
    text = title.get("text", "") if isinstance(title, dict) else title
    return " ".join(text) if isinstance(text, list) else str(text)


def title_numbers(text: str) -> list[tuple[str, int, str]]:
    """(digits as written, decimals, unit) of every number in a title that states a quantity:
    not a day of the month, a year or a month's name; small numbers in words included."""
    dated = re.compile(rf"\b\d{{1,2}}\s+(?:{MONTHS})\b|\b(?:{MONTHS})\s+\d{{1,2}}\b"
                       r"|\b(?:19|20)\d{2}\b")
    bare = dated.sub(" ", text)
    found = []
    for match in NUMBER.finditer(bare):
        digits, unit = match.group(1).replace(",", ""), match.group(2) or ""
        found.append((digits, len(digits.split(".")[1]) if "." in digits else 0, unit))
    for word in re.findall(r"\b[A-Za-z]+\b", bare):
        if word.lower() in WORDS and word.lower() not in ("zero", "one"):
            found.append((str(WORDS[word.lower()]), 0, ""))
    return found


def candidates(frames: tuple) -> tuple[set[float], set[int]]:
    """(values, counts) a title may state about the frames: every number in them (numbers
    written inside text labels included), and counts of rows, of distinct values, of each
    value, of any set of values of a column with few of them, and of negative or positive
    numbers."""
    values, counts = set(), set()
    for frame in frames:
        counts.add(len(frame))
        for column in frame.columns:
            series = frame[column].dropna()
            counts.add(int(series.nunique()))
            numeric = pd.to_numeric(series, errors="coerce").dropna()
            if len(numeric) == len(series) and len(series):
                values |= {float(v) for v in numeric}
                counts |= {int((numeric < 0).sum()), int((numeric > 0).sum()),
                           int((numeric >= 0).sum()), int((numeric <= 0).sum())}
                if frame[column].nunique() <= 400:
                    uniq = sorted({abs(float(v)) for v in numeric if v})
                    values |= {a / b for a in uniq for b in uniq if a > b}
            else:
                for text in series.astype(str):
                    values |= {float(n.replace(",", "")) for n in
                               re.findall(r"\d[\d,]*(?:\.\d+)?", text.replace("−", "-"))}
                tally = series.astype(str).value_counts()
                counts |= {int(n) for n in tally}
                if len(tally) <= 8:
                    counts |= {int(sum(c)) for k in range(2, len(tally))
                               for c in itertools.combinations(tally.tolist(), k)}
    return values, counts


def title_problems(name: str, spec: dict, frames: tuple) -> list[str]:
    """Numbers of the title found in none of the chart's data as rounded in the title."""
    values, counts = candidates(frames)
    bad = []
    for digits, decimals, unit in title_numbers(title_text(spec)):
        if (name, digits) in ELSEWHERE:
            continue
        target = float(digits)
        if decimals == 0 and not unit and target == int(target) and int(target) in counts:
            continue
        scales = {"%": (1, 100), "bn": (1, 1e-9), "M": (1, 1e-6), "k": (1, 1e-3)}.get(unit, (1,))
        if any(f"{abs(v) * s:.{decimals}f}" == f"{target:.{decimals}f}"
               for v in values for s in scales):
            continue
        bad.append(f"{digits}{unit}")
    return bad


def test_the_title_rule_can_fail():
    frame = pd.DataFrame({"name": ["A", "B", "C"], "ret_pct": [-21.46, -3.0, 1.2]})
    spec = {"title": {"text": "A fell 21.5%; 2 of 3 fell"}}
    assert title_problems("x", spec, (frame,)) == []
    assert title_problems("x", {"title": {"text": "A fell 21.4%"}}, (frame,)) == ["21.4%"]
    assert title_problems("x", {"title": {"text": "Four of 3 fell"}}, (frame,)) == ["4"]
    assert title_problems("x", {"title": {"text": "On 27 January 2025 A fell most"}},
                          (frame,)) == []


@pytest.mark.build
def test_every_chart_title_states_its_own_data(charts):
    found = {c.name: title_problems(c.name, c.spec, c.data) for c in charts}
    numbers = {c.name: {d for d, _, _ in title_numbers(title_text(c.spec))} for c in charts}
    stale = [key for key in ELSEWHERE if key[1] not in numbers.get(key[0], set())]
    assert not stale, f"ELSEWHERE names numbers no title states any more: {stale}"
    _known(found, KNOWN_TITLE, {c.name for c in charts}, "title = data")


# --- rule 3: house style in the words a chart shows -------------------------------------------

HYPHEN_MINUS = re.compile(r"(?:^|(?<=[\s(\[{,:;=/]))-(?=\d)")
TWO_DECIMALS = re.compile(r"\d\.\d{2,}\s?(?:%|pp\b|points?\b|percentage points)")
FORMAT_DECIMALS = re.compile(r"\.(\d+)[f%]")


def shown_fields(spec: dict) -> set[str]:
    """Fields whose values the chart writes out: text marks and tooltips."""
    fields = set()
    for node in _walk(spec):
        encoding = node.get("encoding")
        if not isinstance(encoding, dict):
            continue
        for channel in ("text", "tooltip"):
            found = encoding.get(channel)
            for item in found if isinstance(found, list) else [found]:
                if isinstance(item, dict) and "field" in item:
                    fields.add(item["field"])
    return fields


def shown_words(spec: dict) -> list[str]:
    """The chart's own words: title, subtitle, description, axis and legend titles, fixed
    texts."""
    title = spec.get("title", {})
    words = [title_text(spec), *map(str, (title.get("subtitle") or []) if
                                   isinstance(title, dict) else []),
             str(spec.get("description", ""))]
    for node in _walk(spec):
        for key in ("title", "text"):
            value = node.get(key)
            if isinstance(value, str):
                words.append(value)
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                words += value
            elif isinstance(value, dict) and isinstance(value.get("value"), str):
                words.append(value["value"])
    return words


def _around(text: str, found: re.Match) -> str:
    return text[max(0, found.start() - 20):found.end() + 10]


def style_problems(spec: dict, frames: tuple, story: bool) -> list[str]:
    bad = set()
    fields = shown_fields(spec)
    texts = list(shown_words(spec))
    for frame in frames:
        for column in fields & set(frame.columns):
            if not pd.api.types.is_numeric_dtype(frame[column]):
                texts += frame[column].dropna().astype(str).tolist()
    for text in texts:
        for found in HYPHEN_MINUS.finditer(text):
            bad.add(f"hyphen for a minus: {_around(text, found)!r}")
        for found in TWO_DECIMALS.finditer(text) if story else ():
            bad.add(f"two decimals: {_around(text, found)!r}")
    if story:
        for node in _walk(spec):
            encoding = node.get("encoding")
            if not isinstance(encoding, dict):
                continue
            for channel in ("text", "tooltip"):
                found = encoding.get(channel)
                for item in found if isinstance(found, list) else [found]:
                    if not isinstance(item, dict):
                        continue
                    fmt = str(item.get("format", ""))
                    about = f"{item.get('field', '')} {item.get('title', '')}"
                    digits = FORMAT_DECIMALS.search(fmt)
                    if digits and int(digits.group(1)) > 1 and re.search(
                            r"pct|%|ret|point|pp", about, re.I):
                        bad.add(f"{item.get('field')} shown with format {fmt!r}")
    return sorted(bad)


def test_the_style_rule_can_fail():
    spec = {"title": {"text": "A fell 2.5%", "subtitle": ["Source: X"]},
            "encoding": {"tooltip": [{"field": "label", "type": "nominal"},
                                     {"field": "ret_pct", "format": "+.2f",
                                      "type": "quantitative"}]}}
    frame = pd.DataFrame({"label": ["A (−2.5%)"], "ret_pct": [-2.5]})
    assert style_problems(spec, (frame,), story=False) == []
    assert style_problems(spec, (frame,), story=True) == ["ret_pct shown with format '+.2f'"]
    hyphen = pd.DataFrame({"label": ["A (-2.5%)", "2025-01-27"], "ret_pct": [-2.5, 0]})
    assert style_problems(spec, (hyphen,), story=False) == [
        "hyphen for a minus: 'A (-2.5%)'"]
    assert style_problems({"title": {"text": "B rose 9.15%"}}, (), story=True)


@pytest.mark.build
def test_chart_words_follow_the_house_style(charts):
    found = {c.name: style_problems(c.spec, c.data, c.page in STORY) for c in charts}
    _known(found, KNOWN_STYLE, {c.name for c in charts}, "house style in charts")


@pytest.mark.build
def test_every_published_chart_is_named(charts):
    """Each chart is glued under a name (`report.figure`), so its data are downloadable and
    the lists above can name it."""
    unnamed = sorted(c.name for c in charts if "#" in c.name)
    assert not unnamed, f"charts drawn without report.figure: {unnamed}"


def test_accent_is_one_colour_that_means_neither():
    """ACCENT is one constant of charts.py, neither orange, blue nor grey."""
    assert isinstance(ACCENT, str) and colour_role(ACCENT) == "accent"


# --- one minus sign: every published negative number takes U+2212 (STYLE.md) ---------------

ASCII_SIGN = re.compile(r"(?:^|(?<=[\s(\[,;]))-(?=\.?\d)")   # an independent copy of the rule


def _words(spec: object, key: str = "") -> list[str]:
    """Every title, subtitle, text and description string of a Vega-Lite spec."""
    if isinstance(spec, dict):
        return [w for k, v in spec.items() if k != "data" for w in _words(v, k)]
    if isinstance(spec, list):
        return [w for v in spec for w in _words(v, key)]
    return [spec] if isinstance(spec, str) and key in ("title", "subtitle", "text",
                                                        "description") else []


def ascii_signs(build: Path) -> list[tuple[str, str, str]]:
    """(page, glue name, text) of every glued prose value or chart word that writes a negative
    number with the hyphen."""
    found = []
    for path in sorted(glob.glob(str(build / "jupyter_execute" / "**" / "*.glue.json"),
                                 recursive=True)):
        for key, output in json.loads(Path(path).read_text(encoding="utf-8")).items():
            data = output.get("data") or {}
            md = data.get("text/markdown", "")
            texts = ["".join(md) if isinstance(md, list) else md] + _words(data.get(SPEC_MIME))
            found += [(Path(path).name, key, t) for t in texts if ASCII_SIGN.search(t)]
    return found


def test_the_minus_rule_can_fail(tmp_path):
    out = tmp_path / "jupyter_execute" / "chapters"
    out.mkdir(parents=True)
    (out / "x.glue.json").write_text(json.dumps({
        "a": {"data": {"text/markdown": "fell (-3.1%)"}},
        "b": {"data": {"text/markdown": "fell (\u22123.1%) on 2025-01-27"}},
        "c": {"data": {SPEC_MIME: {"title": {"text": "A", "subtitle": ["down -2%"]},
                                   "data": {"values": [{"title": "-1"}]}}}}}))
    assert ascii_signs(tmp_path) == [("x.glue.json", "a", "fell (-3.1%)"),
                                     ("x.glue.json", "c", "down -2%")]


@pytest.mark.build
def test_every_published_negative_takes_the_minus_sign(site):  # noqa: F811
    build = site.parent
    assert len(glob.glob(str(build / "jupyter_execute" / "**" / "*.glue.json"),
                         recursive=True)) >= 12
    assert ascii_signs(build) == []
