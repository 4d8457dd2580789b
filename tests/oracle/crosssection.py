"""Oracle values of the cross-section: each S&P 500 member's day-0 abnormal return (market
model against the mean of the other members, fitted over sessions -250..-11), its 2024 chip
sensitivity (slope on the SOX beyond that market, from 1 January 2024 to the session before
DeepSeek's first release), and what the one explains of the other. Plain numpy least squares."""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd

from tests.oracle import raw
from tests.oracle.raw import SHOCK, WORDS, day
from tests.oracle.registry import value

XS = "chapters/crosssection"
SAME_COMPANY = {"GOOGL": "GOOG", "GOOG": "GOOGL"}


def ols(y: np.ndarray, *xs: np.ndarray, need: int) -> np.ndarray | None:
    """Intercept and slopes on the rows where all are finite; None under `need` rows."""
    x = np.column_stack([np.ones(len(y)), *xs])
    ok = np.isfinite(y) & np.isfinite(x).all(axis=1)
    if ok.sum() < need:
        return None
    return np.linalg.lstsq(x[ok], y[ok], rcond=None)[0]


@functools.cache
def market() -> pd.DataFrame:
    """Per member and date: the mean return of the other members (and of its other share
    class), NaN where fewer than 30 of them have a return."""
    wide = raw.panel_rets()[raw.sp500()]
    r = wide.to_numpy()
    have = np.isfinite(r)
    vals = np.where(have, r, 0.0)
    own, own_n = vals.copy(), have.astype(float)
    cols = {c: i for i, c in enumerate(wide.columns)}
    for member, other in SAME_COMPANY.items():
        if member in cols and other in cols:
            own[:, cols[member]] += vals[:, cols[other]]
            own_n[:, cols[member]] += have[:, cols[other]]
    n = have.sum(axis=1, keepdims=True) - own_n
    with np.errstate(invalid="ignore", divide="ignore"):
        loo = np.where(n >= 30, (vals.sum(axis=1, keepdims=True) - own) / n, np.nan)
    return pd.DataFrame(loo, index=wide.index, columns=wide.columns)


@functools.cache
def full_market() -> pd.Series:
    """The mean return of all members (NaN under 30 of them)."""
    wide = raw.panel_rets()[raw.sp500()]
    return wide.mean(axis=1).where(wide.notna().sum(axis=1) >= 30)


def exposure_window() -> tuple[pd.Timestamp, pd.Timestamp]:
    events = raw.facts("events")
    first = pd.Timestamp(events.loc[events["category"] == "DeepSeek", "date"].min())
    dates = raw.panel_rets().index
    inside = dates[(dates >= pd.Timestamp(first.year, 1, 1)) & (dates < first)]
    return inside[0], inside[-1]


@functools.cache
def stocks() -> pd.DataFrame:
    r, m = raw.panel_rets()[raw.sp500()], market()
    dates = r.index
    i0 = int(dates.searchsorted(SHOCK))
    est = slice(i0 - 250, i0 - 10)
    first, last = exposure_window()
    win = (dates >= first) & (dates <= last)
    sox = raw.rets("^SOX").reindex(dates[win]).to_numpy()
    need_est, need_win = int(np.ceil(0.8 * 240)), int(np.ceil(0.8 * win.sum()))
    rows = {}
    for t in r.columns:
        y, x = r[t].to_numpy(), m[t].to_numpy()
        fit = ols(y[est], x[est], need=need_est)
        two = ols(y[win], x[win], sox, need=need_win)
        one = ols(y[win], x[win], need=need_win)
        full = np.isfinite(y[win]).sum() >= need_win
        rows[t] = {"ret0": y[i0], "alpha": np.nan if fit is None else fit[0],
                   "mm_beta": np.nan if fit is None else fit[1],
                   "ar0": np.nan if fit is None else y[i0] - fit[0] - fit[1] * x[i0],
                   "chip": np.nan if two is None else two[2],
                   "beta": np.nan if one is None else one[1],
                   "momentum": np.nanprod(1 + y[win]) - 1 if full else np.nan,
                   "volatility": np.nanstd(y[win], ddof=1) * np.sqrt(252) if full else np.nan}
    return pd.DataFrame(rows).T.dropna()


def chip_fit() -> tuple[float, float]:
    """(slope, R²) of the day-0 abnormal return on chip sensitivity."""
    s = stocks()
    coef = ols(s["ar0"].to_numpy(), s["chip"].to_numpy(), need=1)
    resid = s["ar0"] - coef[0] - coef[1] * s["chip"]
    return coef[1], 1 - (resid ** 2).sum() / ((s["ar0"] - s["ar0"].mean()) ** 2).sum()


def exposures_fit() -> tuple[pd.Series, float]:
    """(residual 'beyond exposure', R²) of ar0 on the four exposures in z-scores."""
    s = stocks()
    z = [(s[c] - s[c].mean()) / s[c].std(ddof=1) for c in ("chip", "beta", "momentum",
                                                          "volatility")]
    coef = ols(s["ar0"].to_numpy(), *(v.to_numpy() for v in z), need=1)
    fitted = coef[0] + sum(b * v for b, v in zip(coef[1:], z))
    resid = s["ar0"] - fitted
    return resid, 1 - (resid ** 2).sum() / ((s["ar0"] - s["ar0"].mean()) ** 2).sum()


def fifths() -> pd.DataFrame:
    s = stocks()
    q = pd.qcut(s["chip"], 5, labels=False)
    return s.groupby(q).agg(mean=("ar0", "mean"), fell=("ret0", lambda r: (r < 0).mean()))


def move(x: float) -> str:
    return f"{'fell' if x < 0 else 'rose'} {abs(x) * 100:.1f}%"


value(XS, "xs_n")(lambda: f"{len(stocks()):,}")
value(XS, "xs_r2")(lambda: f"{chip_fit()[1]:.0%}")
value(XS, "xs_slope")(lambda: f"{abs(chip_fit()[0]) * 100:.1f} percentage points")
value(XS, "xs_r2_expo")(lambda: f"{exposures_fit()[1]:.0%}")
value(XS, "xs_top_move")(lambda: move(fifths()["mean"].iloc[-1]))
value(XS, "xs_top_fell")(lambda: f"{fifths()['fell'].iloc[-1]:.0%}")
value(XS, "xs_bottom_move")(lambda: move(fifths()["mean"].iloc[0]))
value(XS, "xs_bottom_fell")(lambda: f"{fifths()['fell'].iloc[0]:.0%}")
value(XS, "xs_vst")(lambda: move(stocks().at["VST", "ar0"]))
value(XS, "xs_vst_beyond")(
    lambda: f"{abs(exposures_fit()[0]['VST']) * 100:.1f} percentage points")
value(XS, "xs_nvda")(lambda: move(stocks().at["NVDA", "ar0"]))
value(XS, "xs_win_first")(lambda: day(exposure_window()[0]))
value(XS, "xs_win_last")(lambda: day(exposure_window()[1]))
value(XS, "xs_est_first")(
    lambda: day(raw.panel_rets().index[raw.panel_rets().index.searchsorted(SHOCK) - 250]))
value(XS, "xs_est_last")(
    lambda: day(raw.panel_rets().index[raw.panel_rets().index.searchsorted(SHOCK) - 11]))


@value(XS, "fig-xs-quintiles")
def _quintiles_title() -> str:
    f = fifths()
    return (f"The most chip-sensitive fifth {move(f['mean'].iloc[-1])} beyond the market on "
            f"27 January and {f['fell'].iloc[-1] * 100:.0f}% of its members fell; of the least "
            f"sensitive, {f['fell'].iloc[0] * 100:.0f}%")


# --- the "AI power trade": the largest falls beyond exposure, by industry ---------------------

# the thesis's industries (the book's classification of the AI power trade, restated)
THESIS = {"Utilities - Independent Power Producers", "Utilities - Renewable",
          "Electrical Equipment & Parts", "Specialty Industrial Machinery",
          "Engineering & Construction", "Computer Hardware", "Electronic Components",
          "Oil & Gas Midstream", "Oil & Gas E&P"}
TOP = 20


def beyond() -> pd.DataFrame:
    resid = exposures_fit()[0]
    industry = raw.panel_members()["industry"].reindex(resid.index)
    return pd.DataFrame({"beyond": resid, "thesis": industry.isin(THESIS)})


def thesis() -> dict:
    b = beyond()
    worst = b.nsmallest(TOP, "beyond")
    return {"hits": int(worst["thesis"].sum()), "marked": int(b["thesis"].sum()), "n": len(b)}


value(XS, "xs_top")(lambda: str(TOP))
value(XS, "xs_hits")(lambda: str(thesis()["hits"]))
value(XS, "xs_marked")(lambda: str(thesis()["marked"]))
value(XS, "xs_expected")(lambda: f"{TOP * thesis()['marked'] / thesis()['n']:.1f}")


@value(XS, "xs_thesis_p")
def _thesis_p() -> str:
    from scipy.stats import hypergeom

    t = thesis()
    p = hypergeom.sf(t["hits"] - 1, t["n"], t["marked"], TOP)
    return "below 0.001" if p < 0.001 else f"{p:.3f}"


@value(XS, "fig-xs-beyond")
def _beyond_title() -> str:
    falls = beyond().nsmallest(10, "beyond")
    name = raw.panel_members().at[falls.index[0], "name"]
    for suffix in (" Corp.", " Inc.", ", Inc.", " Corporation", " Corporatio"):
        name = name.removesuffix(suffix)
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
             "ten"]
    return (f"{name} fell {-falls['beyond'].iloc[0] * 100:.1f} points more than its exposure "
            f"predicted; {words[int(falls['thesis'].sum())]} of the ten largest such falls were "
            "power, data-centre equipment or gas stocks")


# --- the placebo: 27 January against ordinary sessions ---------------------------------------------

def placebo_days() -> pd.DatetimeIndex:
    """Panel sessions more than five sessions from every comparison shock and dated item of other
    news (data/shocks.csv, data/confounders.csv) and from the event window (DeepSeek's first
    release to day +5)."""
    dates = raw.panel_rets().index
    bad = np.zeros(len(dates), bool)
    events = raw.facts("events")
    start = pd.Timestamp(events.loc[events["category"] == "DeepSeek", "date"].min())
    spans = [(pd.Timestamp(d), pd.Timestamp(d)) for d in
             [*raw.facts("shocks")["date"], *raw.facts("confounders")["date"]]]
    spans.append((start, dates[dates.searchsorted(SHOCK) + 5]))
    for first, last in spans:
        lo = dates.searchsorted(first)
        hi = max(dates.searchsorted(last, side="right") - 1, lo)
        bad[max(0, lo - 5):hi + 6] = True
    return dates[~bad]


def fits(days: pd.DatetimeIndex) -> pd.DataFrame:
    """Per day: slope and R² of the members' abnormal returns on their chip sensitivity."""
    s = stocks()
    r = raw.panel_rets().loc[days, s.index].to_numpy(float)
    m = market().loc[days, s.index].to_numpy(float)
    ar = r - s["alpha"].to_numpy(float) - s["mm_beta"].to_numpy(float) * m
    chip = s["chip"].to_numpy(float)
    rows = []
    for y in ar:
        ok = np.isfinite(y)
        coef = ols(y[ok], chip[ok], need=3)
        resid = y[ok] - coef[0] - coef[1] * chip[ok]
        rows.append((coef[1], 1 - (resid ** 2).sum() / ((y[ok] - y[ok].mean()) ** 2).sum()))
    return pd.DataFrame(rows, columns=["slope", "r2"], index=days)


def day_fit(when: pd.Timestamp) -> tuple[float, float]:
    row = fits(pd.DatetimeIndex([when])).iloc[0]
    return row["slope"], row["r2"]


@functools.cache
def placebo() -> pd.DataFrame:
    return fits(placebo_days())


value(XS, "xs_days")(lambda: f"{len(placebo()):,}")
value(XS, "xs_r2_higher")(lambda: WORDS[int((placebo()["r2"] > day_fit(SHOCK)[1]).sum())])


@value(XS, "fig-xs-placebo")
def _placebo_title() -> str:
    p, (slope, r2) = placebo(), day_fit(SHOCK)
    steeper, closer = int((p["slope"] < slope).sum()), int((p["r2"] > r2).sum())
    lead = (f"Chip sensitivity predicted a steeper fall on 27 January than on any of {len(p)} "
            "ordinary sessions" if steeper == 0 else
            f"{WORDS[steeper].capitalize()} of {len(p)} ordinary sessions had a steeper chip slope than "
            "27 January")
    return f"{lead}; {WORDS[closer]} of them had a closer fit"


@value(XS, "xs_slope_sentence")
def _slope_sentence() -> str:
    steeper = int((placebo()["slope"] < day_fit(SHOCK)[0]).sum())
    return ("chip sensitivity never predicted a steeper fall than on 27 January" if steeper == 0
            else f"chip sensitivity predicted a steeper fall on only {WORDS[steeper]}")


value(XS, "xs_shape")(lambda: (
    "it was the largest chip day in the data, not a uniquely chip-shaped one"
    if (placebo()["r2"] > day_fit(SHOCK)[1]).any()
    else "it was both the largest and the most chip-shaped day in the data"))


# --- the names the summary gives --------------------------------------------------------------

TAIL = re.compile(r"\s+(\(.*|Common St.*|-)$")
SUFFIX = re.compile(r",\s*I(nc?)?$|,?\s+(Inc\.?|Incorporated|Incorporat|Corporation|Corporatio|"
                    r"Corp\.?|Company|Co\.|plc|PLC|N\.V\.|Ltd\.?|Group|L\.P\.|\(The\)|\(Del)$")


def short(name: str) -> str:
    """A company's name without legal suffixes or the source's cut-off tails (house style)."""
    out, prev = TAIL.sub("", name.strip()), None
    while out != prev:
        prev, out = out, SUFFIX.sub("", out).strip().rstrip(",")
    return out


def names(tickers, n: int | None = None) -> str:
    items = [short(raw.panel_members().at[t, "name"]) for t in tickers][:n]
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


value(XS, "xs_thesis_names")(
    lambda: names(beyond().nsmallest(TOP, "beyond").query("thesis").index, 6))
value(XS, "xs_win_names")(lambda: names(stocks()["ar0"].nlargest(10).index, 6))


@value(XS, "xs_non_ai_chips")
def _non_ai_chips() -> str:
    """Chip makers that fell less than their exposures predicted, the four furthest."""
    b = beyond()
    chips = raw.panel_members()["industry"].reindex(b.index) == "Semiconductors"
    return names(b.loc[chips & (b["beyond"] > 0), "beyond"].nlargest(4).index)
