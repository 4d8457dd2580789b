"""The cross-section chapter's charts, each drawn from exactly the frame it is published with:
abnormal return by chip-exposure fifth (`quintile_chart`), the largest moves beyond what the
exposures predict (`beyond_chart`) and 27 January among the placebo days (`placebo_chart`)."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd

from ...data import event
from ..charts import MUTED, NEGATIVE, NEUTRAL, PALETTE, POSITIVE, finish, narrow_layout
from ..selloff import count

_DAY0 = event.day0("XNYS")   # the book's event, New York's day 0 (data/shocks.csv)
DAY = f"{_DAY0.day} {_DAY0:%B}"
DAY_Y = f"{DAY} {_DAY0:%Y}"

SOURCE = ("Yahoo Finance adjusted daily closes of the S&P 500 members; market-model abnormal "
          "returns")
N_SHOWN = 10   # falls and rises beyond exposure drawn
LABEL_CHARS = 20   # a bar's company label, shortened by whole words to fit a phone
ACCENT = PALETTE[4]   # the book's one accent (27 January among the ordinary sessions)
LATER = " †"   # marks a company that joined the index after January 2025
# Short labels for long Yahoo industry names (others are kept, cut to fit)
SHORT = {"Utilities - Independent Power Producers": "Independent power producer",
         "Utilities - Regulated Electric": "Electric utility",
         "Utilities - Regulated Gas": "Gas utility",
         "Utilities - Renewable": "Renewable power",
         "Utilities - Diversified": "Diversified utility",
         "Utilities - Regulated Water": "Water utility",
         "REIT - Specialty": "Specialty REIT",
         "REIT - Residential": "Residential REIT",
         "REIT - Industrial": "Industrial REIT",
         "Specialty Industrial Machinery": "Industrial machinery",
         "Software - Infrastructure": "Infrastructure software",
         "Software - Application": "Application software",
         "Internet Content & Information": "Internet content",
         "Drug Manufacturers - General": "Drug maker",
         "Oil & Gas Equipment & Services": "Oil & gas equipment",
         "Semiconductor Equipment & Materials": "Chip equipment",
         "Building Products & Equipment": "Building products",
         "Information Technology Services": "IT services",
         "Financial Data & Stock Exchanges": "Exchanges & data"}
_SUFFIX = re.compile(r",\s*I(nc?)?$|,?\s+(Inc\.?|Incorporated|Incorporat|Corporation|Corporatio|Corp\.?|Company|Co\.|"
                     r"plc|PLC|N\.V\.|Ltd\.?|Group|L\.P\.|\(The\)|\(Del)$")


# Shorter still for the bar labels, which must fit a phone's column
CHART_SHORT = {"Utilities - Independent Power Producers": "Power producer",
               "Engineering & Construction": "Construction",
               "Software - Infrastructure": "Infra. software",
               "Software - Application": "App. software",
               "Electrical Equipment & Parts": "Electrical equipment",
               "Oil & Gas Equipment & Services": "Oil & gas equipment",
               "Building Products & Equipment": "Building products"}
_TAIL = re.compile(r"\s+(\(.*|Common St.*|-)$")


def short_name(name: str) -> str:
    """'Constellation Energy Corporatio' -> 'Constellation Energy' (legal suffixes and the
    source's cut-off tails dropped)."""
    out, prev = _TAIL.sub("", name.strip()), None
    while out != prev:
        prev, out = out, _SUFFIX.sub("", out).strip().rstrip(",")
    return out


def short_industry(industry: str, width: int = 26) -> str:
    """A Yahoo industry as a short label ('Utilities - Renewable' -> 'Renewable power')."""
    text = SHORT.get(industry, industry)
    return text if len(text) <= width else text[:width - 1] + "…"


def plain_industry(industry: str) -> str:
    """The short label for running text: lower case but for acronyms ('Specialty REIT')."""
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower()
                    for w in short_industry(industry, 60).split())


def _pct(x: float) -> str:
    return f"{abs(x):.1f}%"


# --- by fifth of chip exposure ------------------------------------------------------------

def quintile_data(table: pd.DataFrame) -> pd.DataFrame:
    """The quintile table (`methods.crosssection.quantile_table`) in chart units."""
    last = int(table.index.max())
    names = {1: "1 (least)", last: f"{last} (most)"}
    return pd.DataFrame({
        "fifth": [names.get(int(q), str(int(q))) for q in table.index],
        "members": table["n"].to_numpy(),
        "chip_lo": table["lo"].round(2).to_numpy(), "chip_hi": table["hi"].round(2).to_numpy(),
        "ar_pct": (table["mean"] * 100).round(2).to_numpy(),
        "fell_pct": (table["share_fell"] * 100).round(1).to_numpy()})


def quintile_chart(data: pd.DataFrame) -> alt.VConcatChart:
    """Two stacked bar panels by fifth: the mean day-0 abnormal return (orange below zero,
    blue above) and the share of members whose price fell (orange)."""
    order = list(data["fifth"])
    x = alt.X("fifth:N", sort=order, title="Fifth of members by 2024 chip sensitivity",
              axis=alt.Axis(labelAngle=0))
    tip = [alt.Tooltip("fifth:N", title="Fifth"), alt.Tooltip("members:Q", title="Members"),
           alt.Tooltip("chip_lo:Q", title="Chip sensitivity from"),
           alt.Tooltip("chip_hi:Q", title="to"),
           alt.Tooltip("ar_pct:Q", title="Mean abnormal return (%)", format=".1f"),
           alt.Tooltip("fell_pct:Q", title="Share that fell (%)", format=".0f")]
    base = alt.Chart(data)
    mean = base.mark_bar().encode(
        x=x, y=alt.Y("ar_pct:Q", title="Mean abnormal return (%)"), tooltip=tip,
        color=alt.condition("datum.ar_pct < 0", alt.value(NEGATIVE), alt.value(POSITIVE)),
    ).properties(width=480, height=170)
    fell = base.mark_bar(color=NEGATIVE).encode(
        x=x, y=alt.Y("fell_pct:Q", title="Share that fell (%)",
                      scale=alt.Scale(domain=[0, 100])), tooltip=tip,
    ).properties(width=480, height=130)
    labels = base.mark_text(dy=-7, fontSize=11, color=NEUTRAL).encode(
        x=x, y="fell_pct:Q", text=alt.Text("fell_pct:Q", format=".0f"))
    top, bottom = data.iloc[-1], data.iloc[0]
    moved = f"{'fell' if top['ar_pct'] < 0 else 'rose'} {_pct(top['ar_pct'])}"
    return finish(
        alt.vconcat(mean, alt.layer(fell, labels), spacing=12),
        title=(f"The most chip-sensitive fifth {moved} beyond the market on {DAY} and "
               f"{top['fell_pct']:.0f}% of its members fell; of the least sensitive, "
               f"{bottom['fell_pct']:.0f}%"),
        subtitle=["Top: mean day-0 abnormal return; bottom: share of members whose price fell",
                  "Chip sensitivity: slope on the SOX beyond the market, measured over 2024"],
        source=SOURCE,
        description=("Two bar charts by fifth of S&P 500 members sorted by their 2024 "
                     "sensitivity to the chip index. " + "; ".join(
                         f"fifth {r.fifth}: mean abnormal return {r.ar_pct:.1f}%, "
                         f"{r.fell_pct:.0f}% fell" for r in data.itertuples()) + "."))


# --- beyond exposure -----------------------------------------------------------------------

def _minus(text: str) -> str:
    return re.sub(r"-(?=\d)", "\u2212", text)


def fit_words(name: str, width: int) -> str:
    """A name shortened by whole words to at most `width` characters (never cut mid-word):
    'Norwegian Cruise Line' -> 'Norwegian Cruise'."""
    words = name.split()
    while len(" ".join(words)) > width and len(words) > 1:
        words.pop()
    return " ".join(words)


def beyond_data(sample: pd.DataFrame, n: int = N_SHOWN) -> pd.DataFrame:
    """The `n` largest falls and rises beyond what the exposures predict."""
    rows = pd.concat([sample.nsmallest(n, "beyond"), sample.nlargest(n, "beyond")])
    rows = rows.sort_values("beyond")
    names = [short_name(x) + (LATER if later else "")
             for x, later in zip(rows["name"], rows["joined"].notna())]
    inds = [CHART_SHORT.get(x) or short_industry(x, 21) for x in rows["industry"]]
    labels = [fit_words(short_name(x), LABEL_CHARS) + (LATER if later else "")
              for x, later in zip(rows["name"], rows["joined"].notna())]
    return pd.DataFrame({
        "ticker": rows["ticker"].to_numpy(), "name": names, "industry": inds,
        "label": [f"{a}|{b}" for a, b in zip(labels, inds)],
        "joined_later": rows["joined"].notna().to_numpy(),
        "theme": rows["theme"].replace("", "other").to_numpy(),
        "beyond_pct": (rows["beyond"] * 100).round(2).to_numpy(),
        "ar_pct": (rows["ar0"] * 100).round(2).to_numpy(),
        "fitted_pct": (rows["fitted"] * 100).round(2).to_numpy(),
        "ret_pct": (rows["ret0"] * 100).round(2).to_numpy()})


def beyond_chart(data: pd.DataFrame) -> alt.LayerChart:
    """Horizontal bars of the abnormal return beyond the exposures' prediction, each labelled
    with the company and (second line) its industry; orange below zero, blue above."""
    order = list(data["label"])
    y = alt.Y("label:N", sort=order, title=None,
              axis=alt.Axis(labelExpr="split(datum.label, '|')", labelLimit=220,
                            labelPadding=6))
    tip = [alt.Tooltip("name:N", title="Company"), alt.Tooltip("industry:N", title="Industry"),
           alt.Tooltip("ret_pct:Q", title="Day-0 return (%)", format=".1f"),
           alt.Tooltip("ar_pct:Q", title="Abnormal return (%)", format=".1f"),
           alt.Tooltip("fitted_pct:Q", title="Predicted by exposure (%)", format=".1f"),
           alt.Tooltip("beyond_pct:Q", title="Beyond exposure (pp)", format=".1f")]
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("beyond_pct:Q", title="Abnormal return beyond what exposure predicts (pp)"),
        y=y, tooltip=tip,
        color=alt.condition("datum.beyond_pct < 0", alt.value(NEGATIVE), alt.value(POSITIVE)))
    rule = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color=MUTED).encode(x="x:Q")
    chart = alt.layer(bars, rule).properties(width=330, height=len(order) * 30)
    falls = data.loc[data["beyond_pct"] < 0].head(N_SHOWN)
    themed = int((falls["theme"] != "other").sum())
    worst, best = data.iloc[0], data.iloc[-1]
    worst_name = worst["name"].removesuffix(LATER)
    return finish(
        narrow_layout(chart, set={"layer/0/encoding/y/axis/labelLimit": 170}),
        title=(f"{worst_name} fell {worst['beyond_pct'] * -1:.1f} points more than its "
               f"exposure predicted; {count(themed)} of the {count(len(falls))} largest such "
               "falls were power, data-centre equipment or gas stocks"),
        subtitle=[f"The {count(len(falls))} largest falls and rises beyond the prediction of "
                  f"chip sensitivity, beta, momentum and volatility; day 0, {DAY_Y}",
                  *(["† joined the S&P 500 after January 2025"] if data["joined_later"].any()
                    else [])],
        source=SOURCE,
        description=_minus(f"Horizontal bars for {len(data)} S&P 500 members: the abnormal return on "
                     f"{DAY_Y} minus what their 2024 exposures predict, from "
                     f"{worst['name']} ({worst['industry']}, {worst['beyond_pct']:.1f} points) "
                     f"to {best['name']} ({best['industry']}, {best['beyond_pct']:+.1f} "
                     "points). Each bar is labelled with the company and its industry."))


# --- the placebo ---------------------------------------------------------------------------

def placebo_data(daily: pd.DataFrame, day0: pd.Series) -> pd.DataFrame:
    """Every placebo day and day 0: chip slope (pp per unit of sensitivity) and R² (%)."""
    rows = pd.concat([daily.assign(kind="other session"),
                      pd.DataFrame([day0]).assign(kind=DAY_Y, in_sample=False)])
    return pd.DataFrame({
        "date": pd.to_datetime(rows["date"]).dt.strftime("%Y-%m-%d").to_numpy(),
        "kind": rows["kind"].to_numpy(),
        "slope_pp": (rows["chip_slope"].astype(float) * 100).round(2).to_numpy(),
        "r2_pct": (rows["chip_r2"].astype(float) * 100).round(1).to_numpy(),
        "sox_pct": (rows["sox"].astype(float) * 100).round(2).to_numpy(),
        "market_pct": (rows["market"].astype(float) * 100).round(2).to_numpy(),
        "in_sample": rows["in_sample"].map({True: "yes", False: "no"}).to_numpy()})


def placebo_chart(data: pd.DataFrame) -> alt.LayerChart:
    """Scatter of the day's chip slope against its R²: grey for ordinary sessions, the accent
    for 27 January 2025, labelled."""
    tip = [alt.Tooltip("date:N", title="Session"),
           alt.Tooltip("slope_pp:Q", title="Chip slope (pp per unit)", format=".1f"),
           alt.Tooltip("r2_pct:Q", title="R² (%)", format=".0f"),
           alt.Tooltip("sox_pct:Q", title="SOX return (%)", format=".1f"),
           alt.Tooltip("market_pct:Q", title="Average member's return (%)", format=".1f"),
           alt.Tooltip("in_sample:N", title="Inside the measuring windows")]
    x = alt.X("slope_pp:Q", title="Chip slope: abnormal return per unit of chip sensitivity (pp)")
    y = alt.Y("r2_pct:Q", title="Share of differences explained, R² (%)")
    base = alt.Chart(data)
    others = base.transform_filter(f"datum.kind != '{DAY_Y}'").mark_circle(
        size=22, color=MUTED, opacity=0.8).encode(x=x, y=y, tooltip=tip)
    day = base.transform_filter(f"datum.kind == '{DAY_Y}'")
    point = day.mark_point(size=90, filled=True, shape="diamond", color=ACCENT).encode(
        x=x, y=y, tooltip=tip)
    label = day.mark_text(align="left", dx=8, dy=-6, fontSize=11, color=ACCENT).encode(
        x=x, y=y, text="kind:N")
    ev = data.loc[data["kind"] == DAY_Y].iloc[0]
    rest = data.loc[data["kind"] != DAY_Y]
    steeper = int((rest["slope_pp"] < ev["slope_pp"]).sum())
    tighter = int((rest["r2_pct"] > ev["r2_pct"]).sum())
    lead = (f"Chip sensitivity predicted a steeper fall on {DAY} than on any of "
            f"{len(rest)} ordinary sessions" if steeper == 0 else
            f"{count(steeper).capitalize()} of {len(rest)} ordinary sessions had a steeper chip "
            f"slope than "
            f"{DAY}")
    return finish(
        narrow_layout(alt.layer(others, point, label).properties(width=480, height=300),
                      drop=("layer/2",), note=f"The diamond is {DAY_Y}"),
        title=f"{lead}; {'none' if tighter == 0 else count(tighter)} of them had a closer fit",
        subtitle=["Each dot: one session's regression of abnormal returns on 2024 chip "
                  "sensitivity across the S&P 500 members", "Sessions near other market news "
                  "left out"],
        source=SOURCE,
        description=(f"Scatter of {len(rest)} sessions from 2023 to mid-2025 by the slope and "
                     "R² of the cross-sectional regression of abnormal returns on chip "
                     f"sensitivity. {DAY_Y} sits at a slope of {ev['slope_pp']:.1f} "
                     f"points and an R² of {ev['r2_pct']:.0f}%; {count(steeper)} "
                     f"session{'' if steeper == 1 else 's'} had "
                     f"a more negative slope and {'none' if tighter == 0 else count(tighter)} "
                     "a higher R²."))


def figures(ch, day0: pd.Series) -> dict:
    """name -> (chart, the frame it draws) for `report.figure`."""
    q = quintile_data(ch.quintiles)
    b = beyond_data(ch.sample)
    p = placebo_data(ch.placebo, day0)
    return {"fig-xs-quintiles": (quintile_chart(q), q), "fig-xs-beyond": (beyond_chart(b), b),
            "fig-xs-placebo": (placebo_chart(p), p)}
