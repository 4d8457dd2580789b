"""The closing chapter's story code (`story.meaning`: `prices`, `spending` and the chapter's
prose in `__init__`): every helper, rule branch, table line and chart spec on small made-up
frames written out here; where prices stood, Nvidia's results day and the prose numbers on the
data against an oracle computed here from the raw snapshot files and the facts files with plain
pandas. Every test computes afresh (function-scoped, never the artefact store), so that each one
runs the code it checks. Fast: no book, no kernel."""

from __future__ import annotations

import csv
import re
from types import SimpleNamespace

import pandas as pd
import pytest

from deepshock.data import artefacts
from deepshock.data.validate import DataError
from deepshock.story import meaning
from deepshock.story.meaning import prices as P, spending as S
from tests.conftest import ROOT, SNAPSHOT
from tests.chartspec import clean

T = pd.Timestamp
M = "\u2212"
BASE, SHOCK, END = T("2025-01-24"), T("2025-01-27"), T("2025-06-30")
POWER = ["VST", "CEG", "GEV", "NRG"]
TOKYO = ["6857.T", "8035.T", "6146.T", "6920.T", "7735.T", "6723.T"]
ORANGE, BLUE, GREY, MUTED, ACCENT = "#D55E00", "#0072B2", "#555555", "#BBBBBB", "#CC79A7"


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(artefacts, "keep", lambda name, compute, *parts, **kw: compute())


def closes(ticker: str) -> pd.Series:
    manifest = pd.read_csv(SNAPSHOT / "manifest.csv", dtype=str).set_index("ticker")
    frame = pd.read_csv(SNAPSHOT / manifest.at[ticker, "file"], parse_dates=["date"])
    return frame.set_index("date")["close"]


def path(ticker: str) -> pd.Series:
    """Close against the last close on or before 24 January, per session to 30 June (%)."""
    c = closes(ticker).dropna()
    return (c.loc[(c.index > BASE) & (c.index <= END)] / c.loc[:BASE].iloc[-1] - 1) * 100


# --- prices: helpers ------------------------------------------------------------------------------

def test_day_level_and_rank_words():
    assert P.ON == "27 January" and P.DAY0 == P.SHOCK == SHOCK
    assert P.day(T("2025-01-26"), True) == "Sunday 26 January"
    assert P.day(T("2025-03-03")) == "3 March"
    assert P.level(10.84) == "10.8% above" and P.level(-7.06) == "7.1% below"
    assert P.level(0.0) == "0.0% above" and P.level(-0.04) == "0.0% below"
    res = {"sessions": 1234, "rank": 1, "worst": -0.0871, "worst_date": T("2025-03-03")}
    where = "in the 1,234 sessions from the shock to the end of the data"
    assert P.rank_text(res) == f"its largest fall {where}"
    tail = f"{where} (the largest, 8.7%, came on 3 March)"
    for rank, nth in ((2, "second"), (3, "third"), (4, "fourth"), (5, "number 5")):
        assert P.rank_text({**res, "rank": rank}) == f"its {nth}-largest fall {tail}"


def test_results_on_the_data_against_the_raw_closes(fresh):
    c = closes("NVDA")
    rets = (c / c.shift(1) - 1).loc[SHOCK + pd.Timedelta(days=1):END]
    day = T("2025-02-27")
    res = P.results()
    with (ROOT / "data" / "earnings.csv").open(encoding="utf-8", newline="") as f:
        row = [r for r in csv.DictReader(f) if "NVDA" in r["tickers"]
               and T(r["date"]) > SHOCK][0]
    ended = re.search(r"quarter ended (\d{1,2} \w+ \d{4})", row["period"]).group(1)
    assert res == {"date": T(row["date"]), "period_end": T(ended), "day": day,
                   "ret": pytest.approx(rets[day], abs=1e-12),
                   "rank": int((rets < rets[day]).sum()) + 1, "sessions": len(rets),
                   "worst_date": rets.idxmin(), "worst": pytest.approx(rets.min(), abs=1e-12)}
    assert res["rank"] == 2 and res["period_end"] == T("2025-01-26")
    short = P.results(T("2025-02-28"))
    window = rets.loc[:"2025-02-28"]
    assert short["sessions"] == len(window) and short["rank"] == int(
        (window < rets[day]).sum()) + 1 == 1
    assert short["worst_date"] == day


def test_results_take_the_first_results_after_the_shock_in_their_own_zone(fresh, monkeypatch):
    table = P.context.earnings()
    nv = table.loc[table["tickers"].map(lambda t: "NVDA" in t)]
    same_day = nv.assign(date=SHOCK, period="quarter ended 27 October 2024")
    monkeypatch.setattr(P.context, "earnings",
                        lambda: pd.concat([same_day, table]).sort_values("date", kind="stable"))
    assert P.results()["date"] == T("2025-02-26")      # a release on the shock's day is not after
    monkeypatch.setattr(P.context, "earnings", lambda: table)
    # a release at 20:30 New York time is 01:30 UTC the next day: its date is New York's
    late = T("2025-02-26 20:30").tz_localize("America/New_York")
    monkeypatch.setattr(P.event, "news", lambda label: late.tz_convert("UTC"))
    assert P.results()["date"] == T("2025-02-26")


def test_results_refuses_bad_facts(fresh, monkeypatch):
    table = P.context.earnings()
    nv = table["tickers"].map(lambda t: "NVDA" in t)
    monkeypatch.setattr(P.context, "earnings", lambda: table.loc[~nv])
    with pytest.raises(DataError, match="^earnings.csv: no Nvidia results after the shock$"):
        P.results()
    early = table.assign(date=table["date"].where(~nv, T("2025-01-10")))
    monkeypatch.setattr(P.context, "earnings", lambda: early)
    with pytest.raises(DataError, match="no Nvidia results"):
        P.results()
    moved = table.assign(date=table["date"].where(~nv, T("2025-02-25")))
    monkeypatch.setattr(P.context, "earnings", lambda: moved)
    with pytest.raises(DataError, match=r"^shocks.csv: 'Nvidia falls after results' is not dated "
                                        r"like Nvidia's results \(2025-02-25\)$"):
        P.results()
    vague = table.assign(period=table["period"].where(~nv, "the fourth quarter"))
    monkeypatch.setattr(P.context, "earnings", lambda: vague)
    with pytest.raises(DataError, match="^earnings.csv: Nvidia's period 'the fourth quarter' "
                                        "names no quarter end$"):
        P.results()


def test_where_prices_stood_against_the_raw_closes(fresh):
    got = P.standing().set_index("key")
    assert list(got.index) == ["NVDA", "^SOX", "^GSPC", "US power", "Japan semiconductors"]
    assert list(got["label"]) == ["Nvidia", "SOX index", "S&P 500", "US power (4)",
                                  "Tokyo chips (6)"]
    assert list(got["members"]) == [1, 1, 1, 4, 6]
    spx = closes("^GSPC")
    april = (spx / spx.shift(1) - 1).loc["2025-04-01":"2025-04-30"]
    start, stop = april.nsmallest(2).index.min(), april.idxmax()
    for key in ("NVDA", "^SOX", "^GSPC"):
        p = path(key)
        row = got.loc[key]
        assert row["first_pct"] == pytest.approx(p.iloc[0], abs=5e-5), key      # 4 decimals
        assert row["end_pct"] == pytest.approx(p.iloc[-1], abs=5e-5), key
        assert (row["first_date"], row["end_date"]) == (p.index[0], p.index[-1]), key
        assert row["low_pct"] == pytest.approx(p.min(), abs=1e-9), key
        assert row["low_date"] == p.idxmin()
        assert row["low_in_tariffs"] == (start <= p.idxmin() <= stop)
    for key, members in (("US power", POWER), ("Japan semiconductors", TOKYO)):
        wide = pd.concat({t: path(t) for t in members}, axis=1).dropna().mean(axis=1)
        row = got.loc[key]
        assert row["first_pct"] == pytest.approx(wide.iloc[0], abs=1e-3), key
        assert row["end_pct"] == pytest.approx(wide.iloc[-1], abs=1e-3), key
        assert (row["first_date"], row["end_date"]) == (wide.index[0], wide.index[-1]), key
        assert row["low_pct"] == pytest.approx(wide.min(), abs=1e-3), key
        assert row["low_date"] == wide.idxmin(), key
        assert row["low_in_tariffs"] == (start <= wide.idxmin() <= stop)
    assert got["low_in_tariffs"].all()


# --- prices: the chart on a made-up frame ---------------------------------------------------------

STAND = pd.DataFrame({
    "key": ["NVDA", "^SOX", "US power"], "label": ["Nvidia", "SOX index", "US power (4)"],
    "members": [1, 1, 4], "first_pct": [-16.97, -9.23, -21.456],
    "first_date": [T("2025-01-27")] * 3, "end_pct": [10.84, -3.05, 25.0],
    "end_date": [T("2025-06-30"), T("2025-06-27"), T("2025-06-30")],
    "low_pct": [-30.0, -35.2, -40.1],
    "low_date": [T("2025-04-04"), T("2025-04-08"), T("2025-04-07")],
    "low_in_tariffs": [True, True, False]})


def test_standing_long_every_cell():
    got = P.standing_long(STAND)
    assert got.assign(date=got["date"].dt.strftime("%Y-%m-%d")).to_dict("list") == {
        "label": ["Nvidia", "SOX index", "US power (4)"] * 2, "members": [1, 1, 4] * 2,
        "when": ["First session"] * 3 + ["30 June"] * 3,
        "date": ["2025-01-27"] * 3 + ["2025-06-30", "2025-06-27", "2025-06-30"],
        "pct": [-16.97, -9.23, -21.456, 10.84, -3.05, 25.0],
        "sign": ["below", "below", "below", "above", "below", "above"],
        "side": ["left"] * 3 + ["right"] * 3,
        "text": [f"{M}17.0%", f"{M}9.2%", f"{M}21.5%", "+10.8%", f"{M}3.0%", "+25.0%"]}
    later = STAND.assign(first_pct=[15.0, -9.23, 0.0])      # a first point right of the end
    got = P.standing_long(later)
    assert list(got["side"]) == ["right", "left", "left", "left", "right", "right"]
    assert list(got["text"])[:3] == ["+15.0%", f"{M}9.2%", "+0.0%"]
    assert list(got["sign"]) == ["above", "below", "above", "above", "below", "above"]


def test_standing_title_branches():
    assert P.standing_title(STAND) == ("Two of three stood above their pre-shock close on "
                                       "30 June; all three had fallen at first")
    up = STAND.assign(end_pct=[1.0, 0.0, 2.0], first_pct=[-1.0, 0.5, -2.0])
    assert P.standing_title(up) == ("All three stood above their pre-shock close on 30 June; "
                                    "two had fallen at first")
    down = STAND.assign(end_pct=-1.0, end_date=T("2025-05-30"))
    assert P.standing_title(down) == ("No of three stood above their pre-shock close on "
                                      "30 May; all three had fallen at first")


TIP = [{"field": "label", "title": "Series", "type": "nominal"},
       {"field": "when", "title": "When", "type": "nominal"},
       {"field": "date", "format": "%-d %b %Y", "title": "Date", "type": "temporal"},
       {"field": "pct", "format": "+.1f", "title": "Against pre-shock close (%)",
        "type": "quantitative"},
       {"field": "members", "title": "Securities averaged", "type": "quantitative"}]
X = {"axis": {"labelExpr": ("datum.value > 0 ? '+' + datum.value : datum.value < 0 ? '\u2212' + "
                            "abs(datum.value) : '0'")},
     "field": "pct", "scale": {"domain": [-40, 40], "nice": False},
     "title": "Against the last close before 27 January (%)", "type": "quantitative"}
Y = {"axis": {"labelLimit": 150}, "field": "label",
     "sort": ["Nvidia", "SOX index", "US power (4)"], "title": None, "type": "nominal"}


def _text(side: str) -> dict:
    return {"mark": {"type": "text", "align": "right" if side == "left" else "left",
                     "color": "#222222", "dx": -9 if side == "left" else 9, "fontSize": 11},
            "encoding": {"text": {"field": "text", "type": "nominal"}, "tooltip": TIP, "x": X,
                         "y": Y},
            "transform": [{"filter": f"(datum.side === '{side}')"}]}


def test_standing_chart_spec():
    chart = P.standing_chart(STAND)
    assert clean(chart) == {
        "layer": [
            {"mark": {"type": "rule", "color": GREY},
             "encoding": {"x": {"field": "v", "type": "quantitative"}}},
            {"mark": {"type": "line", "color": MUTED, "strokeWidth": 3},
             "encoding": {"detail": {"field": "label", "type": "nominal"}, "tooltip": TIP,
                          "x": X, "y": Y}},
            {"mark": {"type": "point", "filled": True, "opacity": 1, "size": 90},
             "encoding": {"color": {"field": "sign", "legend": None,
                                    "scale": {"domain": ["below", "above"],
                                              "range": [ORANGE, BLUE]},
                                    "title": None, "type": "nominal"},
                          "shape": {"field": "when", "scale": {"range": ["circle", "diamond"]},
                                    "sort": ["First session"], "title": None, "type": "nominal"},
                          "tooltip": TIP, "x": X, "y": Y}},
            _text("left"), _text("right")],
        "description": (f"Dumbbell chart. Nvidia: {M}17.0% on its first session, +10.8% on "
                        f"30 June 2025; SOX index: {M}9.2% on its first session, {M}3.0% on "
                        f"27 June 2025; US power (4): {M}21.5% on its first session, +25.0% on "
                        "30 June 2025."),
        "height": {"step": 34},
        "title": {"text": ("Two of three stood above their pre-shock close on 30 June; all "
                           "three had fallen at first"),
                  "subtitle": ["Move on the first session after the shock, and level on 30 June "
                               "2025", "Both compounded from the last close before 27 January; "
                               "orange: below it, blue: above",
                               "(n): simple average of n stocks. April's tariff sell-off came in "
                               "between", "Source: Yahoo Finance daily closes; exchange "
                               "calendars"]},
        "width": 440}
    sets = [pd.DataFrame(r) for r in chart.to_dict()["datasets"].values()]
    assert any(len(s) == 6 and list(s["text"]) == list(P.standing_long(STAND)["text"])
               for s in sets)
    assert any(list(s.columns) == ["v"] and s["v"].tolist() == [0] for s in sets)
    # the axis keeps 12 points of room beyond the outer points, in whole tens
    edge = STAND.assign(end_pct=[10.84, -3.05, 27.5], first_pct=[-16.97, -9.23, -27.5])
    assert clean(P.standing_chart(edge))["layer"][1]["encoding"]["x"]["scale"]["domain"] == \
        [-40, 40]                                          # 27.5 + 12 still within 40
    wide = STAND.assign(end_pct=[10.84, -3.05, 28.1], first_pct=[-16.97, -9.23, -28.01])
    assert clean(P.standing_chart(wide))["layer"][1]["encoding"]["x"]["scale"]["domain"] == \
        [-50, 50]


# --- spending: made-up statements ------------------------------------------------------------------

CAPEX = pd.DataFrame({
    "ticker": ["MSFT", "META", "META", "GOOGL", "META", "GOOGL", "AMZN"],
    "company": ["Microsoft", "Meta Platforms", "Meta Platforms", "Alphabet", "Meta Platforms",
                "Alphabet", "Amazon"],
    "stated": pd.to_datetime(["2025-01-03", "2025-01-24", "2025-01-27", "2025-02-04",
                              "2025-04-30", "2025-05-02", "2025-07-01"]),
    "period_start": pd.to_datetime(["2024-07-01", "2025-01-01", "2025-01-01", "2025-01-01",
                                    "2025-01-01", "2026-01-01", "2025-01-01"]),
    "period_end": pd.to_datetime(["2025-06-30", "2025-12-31", "2025-12-31", "2025-12-31",
                                  "2025-12-31", "2026-12-31", "2025-12-31"]),
    "low_usd_bn": [80.0, 60.0, 60.0, 75.0, 64.0, 70.0, 100.0],
    "high_usd_bn": [80.0, 65.0, 65.0, 75.0, 72.0, 70.0, 100.0],
    "form": ["point", "range", "range", "point", "range", "point", "implied"],
    "period": ["FY2025", "2025", "2025", "2025", "2025", "2026", "2025"],
    "covers": ["AI data centres", "capex", "capex", "capex", "capex", "capex", "capex"],
    "certainty": ["confirmed"] * 6 + ["likely"],
    "year_basis": ["fiscal"] + ["calendar"] * 6})


@pytest.fixture
def made_up(monkeypatch):
    monkeypatch.setattr(S.capex, "capex", lambda: CAPEX.copy())
    return S.plans()


def test_money_words():
    assert S.bn(80) == "$80bn" and S.bn(26.3) == "$26.3bn" and S.bn(1234.0) == "$1,234bn"
    row = SimpleNamespace(low_usd_bn=60.0, high_usd_bn=65.5, form="range")
    assert S.figure_text(row) == "$60–65.5bn"
    assert S.figure_text(SimpleNamespace(low_usd_bn=105.2, high_usd_bn=105.2,
                                         form="implied")) == "$105.2bn (implied)"
    assert S.figure_text(SimpleNamespace(low_usd_bn=80.0, high_usd_bn=80.0,
                                         form="point")) == "about $80bn"
    assert S.QUARTERS == 4 and S.SHOCK == SHOCK
    assert S.STATUS == {"before": "Stated before 27 January",
                        "kept": "Kept or first stated after it", "raised": "Raised after it",
                        "cut": "Cut after it", "run": "DeepSeek-V3's final training run"}
    assert S.COLOURS == {"before": "#999999", "kept": GREY, "raised": BLUE, "cut": ORANGE,
                         "run": ACCENT}


def test_plans_rule_every_row(made_up):
    t = made_up
    assert list(t["stated"].dt.strftime("%m-%d")) == ["01-03", "01-24", "01-27", "02-04",
                                                      "04-30", "05-02"]      # July: after END
    assert list(t["when"]) == ["before", "before", "after", "after", "after", "after"]
    assert list(t["change"]) == ["first", "first", "kept", "first", "raised", "first"]
    assert list(t["figure"]) == ["about $80bn", "$60–65bn", "$60–65bn", "about $75bn",
                                 "$64–72bn", "about $70bn"]
    assert list(t["short"]) == ["Microsoft", "Meta", "Meta", "Alphabet", "Meta", "Alphabet"]
    later = S.plans(shock=T("2025-01-28"), end=T("2025-12-31"))
    assert list(later["when"])[:3] == ["before"] * 3 and len(later) == 7
    assert later["figure"].iloc[-1] == "$100bn (implied)"


def test_cuts_and_raises(monkeypatch):
    rows = CAPEX.iloc[[1, 4]].assign(stated=pd.to_datetime(["2025-01-24", "2025-03-01"]))
    for low, high, change in ((60.0, 65.0, "kept"), (59.0, 70.0, "cut"), (60.0, 64.0, "cut"),
                              (60.0, 66.0, "raised"), (61.0, 65.0, "raised")):
        table = rows.assign(low_usd_bn=[60.0, low], high_usd_bn=[65.0, high])
        monkeypatch.setattr(S.capex, "capex", lambda table=table: table.reset_index(drop=True))
        assert list(S.plans()["change"]) == ["first", change], (low, high)


def test_changes_text_branches():
    def table(cut=(), up=(), n=4):
        rows = [("X", "before", "first")] + [(c, "after", "cut") for c in cut] + \
            [(u, "after", "raised") for u in up] + [(f"T{i}", "after", "kept") for i in range(n)]
        return pd.DataFrame(rows, columns=["short", "when", "change"]).assign(
            ticker=lambda f: f["short"])
    assert S.changes_text(table(n=3)) == "none of the four cut its spending plan after the shock"
    assert S.changes_text(table(up=["Meta"], n=2)) == (
        "none of the four cut its spending plan after the shock, and Meta raised its own")
    assert S.changes_text(table(up=["Meta", "Amazon"])) .endswith(
        ", and Meta and Amazon raised theirs")
    assert S.changes_text(table(cut=["Meta"])) == "Meta cut its plan after the shock"
    assert S.changes_text(table(cut=["Meta", "Alphabet"], up=["Amazon"])) == (
        "Meta and Alphabet cut their plans after the shock, and Amazon raised its own")
    before = table(n=0).assign(change="cut")               # a cut before the shock is not one
    assert S.changes_text(before).startswith("none of the one cut")


RUN = SimpleNamespace(cost=5_576_000.0, gpu_hours=2_788_000.0, price=2.0)


def test_plans_frame_every_cell(made_up, monkeypatch):
    monkeypatch.setattr(S.launch, "event", lambda label: {"V3 report": {"date": T("2024-12-27")}}[label])
    f = S.plans_frame(made_up, RUN)
    assert list(f["row"]) == ["Microsoft · 3 Jan", "Meta · 24 Jan", "Meta · 27 Jan",
                              "Meta · 30 Apr", "Alphabet · 4 Feb", "Alphabet · 2 May",
                              "DeepSeek-V3 · run"]
    assert list(f["status"]) == ["Stated before 27 January"] * 2 + [
        "Kept or first stated after it", "Raised after it", "Kept or first stated after it",
        "Kept or first stated after it", "DeepSeek-V3's final training run"]
    assert list(f["low_usd"]) == [80e9, 60e9, 60e9, 64e9, 75e9, 70e9, 5_576_000.0]
    assert list(f["high_usd"]) == [80e9, 65e9, 65e9, 72e9, 75e9, 70e9, 5_576_000.0]
    assert list(f["label"])[-1] == "$5.576M" and list(f["label"])[3] == "$64–72bn"
    assert list(f["company"])[-1] == "DeepSeek" and f["stated"].iloc[-1] == T("2024-12-27")
    assert f["covers"].iloc[-1] == ("2.788 million GPU-hours at an assumed $2 an hour; no "
                                    "research, hardware or earlier runs")
    assert list(f["period"]) == ["FY2025", "2025", "2025", "2025", "2025", "2026",
                                 "one training run"]
    assert list(f["change"]) == ["first", "first", "kept", "raised", "first", "first", ""]
    assert list(f["certainty"]) == ["confirmed"] * 7 and list(f["short"])[1] == "Meta"
    cut = made_up.assign(change=["first", "first", "cut", "first", "first", "first"])
    assert S.plans_frame(cut, RUN)["status"].iloc[2] == "Cut after it"
    assert f["short"].iloc[-1] == "DeepSeek"
    assert list(f.index) == list(range(7))                # one row label per drawn row
    odd = S.plans_frame(made_up, SimpleNamespace(cost=1_234_500.5, gpu_hours=617_500.5,
                                                 price=2.0)).iloc[-1]
    assert odd["label"] == "$1.235M" and odd["covers"].startswith("0.618 million GPU-hours")
    row, multiple = S.smallest(f)
    # latest plans: Microsoft $80bn, Meta $64bn (30 April), Alphabet $70bn (2 May)
    assert row["row"] == "Meta · 30 Apr" and multiple == 11_000
    assert S.plans_title(f) == ("After DeepSeek, no platform cut its plan; the smallest is over "
                                "11,000 times the $5.576M run")
    cheap = f.assign(low_usd=f["low_usd"].where(f["company"] != "DeepSeek", 6_500_000.0))
    assert S.smallest(cheap)[1] == 9_000                  # 64e9 / 6.5e6 = 9,846: down to 9,000
    cuts = f.assign(change=["first", "first", "cut", "first", "first", "cut", ""])
    assert S.plans_title(cuts).startswith("After DeepSeek, two of three platforms cut their plans;")


def test_plans_markdown_every_line(made_up):
    assert S.plans_markdown(made_up).splitlines() == [
        "| Stated | Period | Covers | Figure |", "|---|---|---|---|",
        "| Microsoft, 3 Jan 2025 | Jul 2024–Jun 2025 | AI data centres | about $80bn |",
        "| Meta, 24 Jan 2025 | 2025 | capex | $60–65bn |",
        "| Meta, 27 Jan 2025 | 2025 | capex | $60–65bn (kept) |",
        "| Alphabet, 4 Feb 2025 | 2025 | capex | about $75bn |",
        "| Meta, 30 Apr 2025 | 2025 | capex | $64–72bn (raised) |",
        "| Alphabet, 2 May 2025 | 2026 | capex | about $70bn |"]
    cut = made_up.assign(change=["first", "first", "cut", "first", "first", "first"])
    assert S.plans_markdown(cut).splitlines()[4].endswith("| $60–65bn (cut) |")


PTIP = [{"field": "stated", "format": "%-d %b %Y", "title": "Stated", "type": "temporal"}] + [
    {"field": c, "title": n, "type": "nominal"} for c, n in (
        ("company", "Company"), ("label", "Figure"), ("period", "Period"), ("covers", "Covers"),
        ("status", "Status"), ("certainty", "Certainty"))]


def test_plans_chart_spec(made_up, monkeypatch):
    monkeypatch.setattr(S.launch, "event", lambda label: {"date": T("2024-12-27")})
    frame = S.plans_frame(made_up, RUN)
    spec = clean(S.plans_chart(frame))
    rows = list(frame["row"])
    scale = {"domain": [1_000_000, 160e9], "nice": False, "type": "log"}
    colour = {"field": "status", "legend": {"columns": 2, "labelLimit": 260},
              "scale": {"domain": ["Stated before 27 January", "Kept or first stated after it",
                                   "Raised after it", "DeepSeek-V3's final training run"],
                        "range": ["#999999", GREY, BLUE, ACCENT]},
              "title": None, "type": "nominal"}
    y = {"axis": {"labelFontSize": 11, "labelLimit": 160}, "field": "row", "sort": rows,
         "title": None, "type": "nominal"}
    at = lambda c: {"field": c, "scale": scale, "title": "US dollars (log scale)",  # noqa: E731
                    "type": "quantitative"}
    money = ("datum.value >= 1e9 ? '$' + format(datum.value / 1e9, ',') + 'bn' : '$' + "
             "format(datum.value / 1e6, ',') + 'M'")
    assert spec["layer"] == [
        {"mark": {"type": "rule", "strokeWidth": 4},
         "encoding": {"color": colour, "tooltip": PTIP,
                      "x": {"axis": {"grid": True, "labelExpr": money,
                                     "values": [1e6, 1e7, 1e8, 1e9, 1e10, 1e11]}, **at("low_usd")},
                      "x2": {"field": "high_usd"}, "y": y}},
        {"mark": {"type": "point", "filled": True, "opacity": 1, "size": 70},
         "encoding": {"color": colour, "tooltip": PTIP, "x": at("usd"), "y": y},
         "transform": [{"fold": ["low_usd", "high_usd"], "as": ["end", "usd"]}]},
        {"mark": {"type": "text", "align": "right", "color": "#222222", "dx": -9, "fontSize": 11},
         "encoding": {"text": {"field": "label", "type": "nominal"}, "tooltip": PTIP,
                      "x": at("low_usd"), "y": y},
         "transform": [{"filter": "(datum.company !== 'DeepSeek')"}]},
        {"mark": {"type": "text", "align": "left", "color": "#222222", "dx": 9, "fontSize": 11},
         "encoding": {"text": {"field": "label", "type": "nominal"}, "tooltip": PTIP,
                      "x": at("high_usd"), "y": y},
         "transform": [{"filter": "(datum.company === 'DeepSeek')"}]}]
    assert spec["height"] == {"step": 26} and spec["width"] == 440
    assert spec["usermeta"] == {"narrow": {"drop": [], "set": {
        "layer/0/encoding/x/axis/values": [1e6, 1e8, 1e10],
        "layer/0/encoding/y/axis/labelLimit": 130}, "transpose": False}}
    assert spec["title"] == {
        "text": ("After DeepSeek, no platform cut its plan; the smallest is over 11,000 times the "
                 "$5.576M run"),
        "subtitle": ["Plans stated before and after 27 January 2025, and DeepSeek's final "
                     "training run", "Not one measure: Microsoft's covers AI data centres in a "
                     "year to June; Amazon's is implied",
                     "Source: Company releases, calls and posts as reported by the press; "
                     "DeepSeek-V3 technical report"]}
    assert spec["description"] == (
        "Dot chart on a logarithmic dollar scale. Microsoft, stated 3 January 2025: about $80bn "
        "for FY2025 (AI data centres; stated before 27 January); Meta Platforms, stated 24 "
        "January 2025: $60–65bn for 2025 (capex; stated before 27 January); Meta Platforms, "
        "stated 27 January 2025: $60–65bn for 2025 (capex; kept or first stated after it); "
        "Meta Platforms, stated 30 April 2025: $64–72bn for 2025 (capex; raised after it); "
        "Alphabet, stated 4 February 2025: about $75bn for 2025 (capex; kept or first stated "
        "after it); Alphabet, stated 2 May 2025: about $70bn for 2026 (capex; kept or first "
        "stated after it). DeepSeek-V3's final training run: $5.576M.")
    drawn = [pd.DataFrame(r) for r in S.plans_chart(frame).to_dict()["datasets"].values()]
    assert any(list(d["row"]) == rows and list(d["low_usd"]) == list(frame["low_usd"])
               for d in drawn)
    # a cut shows its colour in the legend; the domain runs to twice the largest figure
    cut = frame.assign(status=frame["status"].replace("Raised after it", "Cut after it"),
                       high_usd=frame["high_usd"].replace(72e9, 600e9))
    spec = clean(S.plans_chart(cut))
    assert spec["layer"][0]["encoding"]["color"]["scale"]["range"] == [
        "#999999", GREY, ORANGE, ACCENT]
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [1_000_000, 1200e9]
    assert spec["layer"][0]["encoding"]["x"]["axis"]["values"] == [
        1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12]


# --- the chapter's prose ------------------------------------------------------------------------

def test_when_text():
    row = pd.Series({"date": T("2025-01-26"), "time_local": "late Sunday",
                     "timezone": "America/Los_Angeles"})
    assert meaning.when_text(row) == "late on Sunday 26 January (US West Coast time)"
    row = pd.Series({"date": T("2025-01-27"), "time_local": "in the morning ",
                     "timezone": "America/New_York"})
    assert meaning.when_text(row) == "in the morning  on Monday 27 January (New York time)"
    row = pd.Series({"date": T("2025-01-27"), "time_local": "Monday evening",
                     "timezone": "Asia/Tokyo"})
    assert meaning.when_text(row) == "on Monday 27 January evening (Asia/Tokyo time)"


def test_chapter_prose_against_the_facts_and_the_raw_closes(fresh):
    ch = meaning.chapter()
    text = ch.text
    with (ROOT / "data" / "capex.csv").open(encoding="utf-8", newline="") as f:
        facts = list(csv.DictReader(f))
    by = {(r["ticker"]): r for r in facts}
    assert text["me_end"] == "30 June 2025"
    assert text["me_cost"] == "$5.576M" and text["me_hours"] == "2.788 million"
    assert text["me_price"] == "$2"
    latest = {}
    for r in sorted(facts, key=lambda r: r["stated"]):
        latest[r["ticker"]] = float(r["low_usd_bn"])
    smallest = min(latest.values())
    assert text["me_multiple"] == f"{int(smallest * 1e9 / 5_576_000 // 1000 * 1000):,}"
    amzn = by["AMZN"]
    assert text["me_amzn"] == f"${float(amzn['low_usd_bn']):,.1f}bn".replace(".0bn", "bn")
    assert text["me_amzn_q"] == f"${float(amzn['low_usd_bn']) / 4:,.1f}bn"
    assert text["me_amzn_year"] == amzn["period_start"][:4]
    assert text["me_amzn_quarter"] == str(int(amzn["period_start"][:4]) - 1)
    msft = [r for r in facts if r["ticker"] == "MSFT"]
    assert text["me_msft_end"] == f"{T(msft[0]['period_end']):%B %Y}"
    assert text["me_googl_year"] == [r for r in facts if r["ticker"] == "GOOGL"][0][
        "period_start"][:4]
    meta = sorted((r for r in facts if r["ticker"] == "META"), key=lambda r: r["stated"])
    assert text["me_meta_first_day"] == P.day(T(meta[0]["stated"]), True)
    assert text["me_meta_year"] == meta[0]["period_start"][:4]
    assert text["me_meta_up"] == f"${float(meta[-1]['low_usd_bn']):g}–" \
                                 f"{float(meta[-1]['high_usd_bn']):g}bn"
    assert text["me_meta_up_day"] == P.day(T(meta[-1]["stated"]))
    assert text["me_small"] == "Meta's $64–72bn"
    assert text["me_changes"] == ("none of the four cut its spending plan after the shock, and "
                                  "Meta raised its own")
    assert text["me_plans_table"] == S.plans_markdown(ch.plans)

    def words(r):   # the house style for a statement's figure, restated
        low, high = float(r["low_usd_bn"]), float(r["high_usd_bn"])
        return {"range": f"${low:g}–{high:g}bn", "implied": f"${low:g}bn (implied)"}.get(
            r["form"], f"about ${low:g}bn")
    rows = {t: sorted((r for r in facts if r["ticker"] == t), key=lambda r: r["stated"])
            for t in ("META", "GOOGL", "MSFT")}
    for t, key in (("META", "meta"), ("GOOGL", "googl"), ("MSFT", "msft")):
        first = rows[t][0]
        assert text[f"me_{key}_first" if t == "META" else f"me_{key}"] == words(first)
    assert text["me_googl_day"] == P.day(T(rows["GOOGL"][0]["stated"])) == "4 February"
    assert text["me_googl_again"] == P.day(T(rows["GOOGL"][1]["stated"])) == "24 April"
    assert text["me_msft_day"] == "3 January" and text["me_msft_kept_day"] == "30 April"
    assert text["me_meta_kept_day"] == "29 January"
    assert text["me_amzn_day"] == P.day(T(amzn["stated"])) == "6 February"
    with (ROOT / "data" / "reactions.csv").open(encoding="utf-8", newline="") as f:
        nadella = [r for r in csv.DictReader(f) if r["who"] == "Satya Nadella"][0]
    assert text["me_nadella"] == nadella["quote"]
    assert text["me_nadella_when"] == "late on Sunday 26 January (US West Coast time)"
    # where prices stood: the raw closes
    for tag, key in (("nv", "NVDA"), ("sox", "^SOX"), ("spx", "^GSPC")):
        p = path(key)
        assert text[f"me_{tag}_first"] == f"{-p.iloc[0]:.1f}%"
        assert text[f"me_{tag}_end"] == f"{abs(p.iloc[-1]):.1f}% " + (
            "above" if p.iloc[-1] >= 0 else "below")
        assert f"me_{tag}_n" not in text
    assert text["me_power_n"] == "four" and text["me_tokyo_n"] == "six"
    assert text["me_n"] == "five"
    ends = {k: path(k).iloc[-1] for k in ("NVDA", "^SOX", "^GSPC")}
    assert all(v >= 0 for v in ends.values())
    assert text["me_standing_lead"] == "the falls of 27 January had been made good"
    assert text["me_lows"] == "all five series"
    best = ch.standing.loc[ch.standing["end_pct"].idxmax()]
    assert text["me_best"] == (f"the {best['label'].split(' (')[0]} group" if best["members"] > 1
                               else best["label"])
    c = closes("NVDA")
    rets = (c / c.shift(1) - 1).loc[SHOCK + pd.Timedelta(days=1):END]
    assert text["me_res_day"] == "Wednesday 26 February"
    assert text["me_res_react"] == "Thursday 27 February"
    assert text["me_res_period"] == "26 January"
    assert text["me_res_fall"] == f"{-rets[T('2025-02-27')] * 100:.1f}%"
    assert text["me_res_rank"] == (
        f"its second-largest fall in the {len(rets):,} sessions from the shock to the end of "
        f"the data (the largest, {-rets.min() * 100:.1f}%, came on "
        f"{rets.idxmin().day} {rets.idxmin():%B})")
    assert set(ch.figures) == {"fig-meaning-plans", "fig-meaning-standing"}
    assert list(ch.figures["fig-meaning-standing"][1].columns) == ["label", "members", "when",
                                                                  "date", "pct"]
    assert len(ch.figures["fig-meaning-plans"][1]) == len(facts) + 1


def test_chapter_prose_branches(fresh, monkeypatch):
    stand = P.standing()
    worse = stand.assign(end_pct=stand["end_pct"].where(stand["key"] != "NVDA", -1.0),
                         low_in_tariffs=[True, False, True, True, True])
    monkeypatch.setattr(meaning, "standing", lambda: worse)
    text = meaning.chapter().text
    assert text["me_standing_lead"] == ("four of the five series below had made good their "
                                        "falls of 27 January")
    assert text["me_lows"] == "four of the five series"
    assert text["me_nv_end"] == "1.0% below"
