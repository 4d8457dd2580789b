"""Who fell, and why: the cross-section of 27 January 2025 over the whole S&P 500 panel.

* Abnormal returns: the event study's market model and benchmark (the equal-weighted mean of
  the other panel members, a company's other share class left out too), estimated over its
  window (`eventstudy.ESTIMATION`, sessions -250..-11) on the panel's adjusted closes (total
  returns); day 0, [0,+1] and [0,+5]. Funds are judged against the mean of all members.
* Exposures, measured only before the event: calendar year of DeepSeek's first release in
  `data/events.csv`, up to the session before it (V3, 26 December 2024): the slope on the
  SOX in a regression with the market (`chip`: sensitivity to chips beyond the market), the
  market beta, momentum (the window's total return) and volatility (annualized).
* Cross-sectional regressions of the abnormal return on the exposures (`methods.crosssection`);
  the same regressions on every session away from the news (the placebo: `placebo`).
* Survivorship: the members that joined the index after the event (`data/index_changes.csv`).
`stocks()` is the tidy frame per security (an explorer can reuse it); `chapter()` returns the
chapter's numbers, tables and chart data in one call. Charts: `charts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from ...data import artefacts, context, facts, load
from ...methods import crosssection as xs
from ...methods import multiple
from .. import eventstudy as es

EVENT = es.EVENT
CHIP = "^SOX"            # the chip index whose slope is the chip exposure
DEEPSEEK = "DeepSeek"    # events.csv category whose first date ends the exposure window
WINDOWS = ("[0]", "[0,+1]", "[0,+5]")
EXPOSURES = ("chip", "beta", "momentum", "volatility")
MARGIN = 5               # sessions kept clear around every news date in the placebo
N_TOP = 20               # the largest falls beyond exposure tested for the "AI power trade"
NOT_CLASSIFIED = "Not classified"
# The thesis's three groups, as Yahoo industries (named before looking at who fell)
THEMES = {
    "Utilities - Independent Power Producers": "power producers",
    "Utilities - Renewable": "power producers",
    "Electrical Equipment & Parts": "data-centre equipment",
    "Specialty Industrial Machinery": "data-centre equipment",
    "Engineering & Construction": "data-centre equipment",
    "Computer Hardware": "data-centre equipment",
    "Electronic Components": "data-centre equipment",
    "Oil & Gas Midstream": "gas",
    "Oil & Gas E&P": "gas",
}
VERSION = "1"


@cache
def panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(returns, members) of the panel; members' empty sector or industry -> NOT_CLASSIFIED."""
    members = load.panel_members()
    for col in ("sector", "industry"):
        members[col] = members[col].where((members[col] != "") | (members["kind"] != "sp500"),
                                          NOT_CLASSIFIED)
    return load.panel_returns(), members.set_index("ticker")


def stock_tickers() -> list[str]:
    members = panel()[1]
    return list(members.index[members["kind"] == "sp500"])


@cache
def benchmarks() -> pd.DataFrame:
    """Each security's benchmark return per date: members the mean of the other members,
    funds the mean of all members."""
    returns, members = panel()
    loo, full = xs.market_without(returns[stock_tickers()], es.SAME_COMPANY)
    funds = [t for t in returns.columns if t not in loo.columns]
    return loo.join(pd.DataFrame({t: full for t in funds}))[list(returns.columns)]


def event_row() -> int:
    """Position of day 0 (first panel session on or after EVENT) among the panel's rows."""
    return int(panel()[0].index.searchsorted(EVENT))


def exposure_window() -> tuple[pd.Timestamp, pd.Timestamp]:
    """(first, last) session: from 1 January of the year of DeepSeek's first release to the
    session before that release."""
    events = facts.events()
    first = events.loc[events["category"] == DEEPSEEK, "date"].min()
    sessions = panel()[0].index
    inside = sessions[(sessions >= pd.Timestamp(year=first.year, month=1, day=1))
                      & (sessions < first)]
    return inside[0], inside[-1]


def _abnormal() -> tuple[pd.DataFrame, xs.ColumnFits]:
    """Abnormal returns (date x ticker) from the market model fitted over the estimation
    window before day 0, and the fits."""
    returns, bench = panel()[0], benchmarks()
    r, m = returns.to_numpy(), bench.to_numpy()
    i0 = event_row()
    lo, hi = i0 + es.ESTIMATION[0], i0 + es.ESTIMATION[1]
    need = int(np.ceil(es.MIN_SHARE * (es.ESTIMATION[1] - es.ESTIMATION[0] + 1)))
    fits = xs.column_ols(r[lo:hi + 1], [m[lo:hi + 1]], need)
    ar = r - fits.coef[:, 0] - fits.coef[:, 1] * m
    return pd.DataFrame(ar, index=returns.index, columns=returns.columns), fits


def _exposures() -> pd.DataFrame:
    """Per security, from the exposure window only: chip, beta, momentum, volatility, days."""
    returns, bench = panel()[0], benchmarks()
    first, last = exposure_window()
    rows = (returns.index >= first) & (returns.index <= last)
    y, m = returns.loc[rows].to_numpy(), bench.loc[rows].to_numpy()
    chip = load.returns(CHIP).set_index("date")["ret"].reindex(returns.index[rows]).to_numpy()
    need = int(np.ceil(es.MIN_SHARE * rows.sum()))
    two = xs.column_ols(y, [m, chip], need)
    one = xs.column_ols(y, [m], need)
    full = np.isfinite(y).sum(axis=0) >= need
    growth = np.nanprod(1 + y, axis=0) - 1
    vol = np.nanstd(y, axis=0, ddof=1) * np.sqrt(252)
    return pd.DataFrame({"chip": two.coef[:, 2], "beta": one.coef[:, 1],
                         "momentum": np.where(full, growth, np.nan),
                         "volatility": np.where(full, vol, np.nan), "exposure_days": two.n},
                        index=returns.columns)


def joined_after(day: pd.Timestamp = EVENT) -> pd.Series:
    """Effective date of joining, for the companies added to the index after `day` (new firms,
    not a member's own new listing), indexed by ticker."""
    changes = context.index_changes()
    new = changes.loc[(changes["kind"] == "addition") & (changes["date"] > day)]
    return new.set_index("added")["date"].rename("joined")


def _frame() -> pd.DataFrame:
    returns, members = panel()
    ar, fits = _abnormal()
    i0 = event_row()
    bounds = {w: es.WINDOWS[w] for w in WINDOWS}
    cars = {w: ar.iloc[i0 + a:i0 + b + 1].sum(axis=0, min_count=b - a + 1)
            for w, (a, b) in bounds.items()}
    frame = members[["kind", "name", "sector", "industry"]].copy()
    frame = frame.assign(ret0=returns.iloc[i0], mret0=benchmarks().iloc[i0],
                         ar0=cars["[0]"], car01=cars["[0,+1]"], car05=cars["[0,+5]"],
                         alpha=fits.coef[:, 0], mm_beta=fits.coef[:, 1], est_days=fits.n)
    frame = frame.join(_exposures())
    closes = load.panel_closes()
    frame["first_close"] = pd.Series({t: closes[t].first_valid_index() for t in closes})
    joined = joined_after()
    frame["joined"] = joined.reindex(frame.index)
    frame["member_then"] = frame["joined"].isna() & (frame["kind"] == "sp500")
    frame["theme"] = frame["industry"].map(THEMES).fillna("")
    stock = frame["kind"] == "sp500"
    frame["in_model"] = stock & frame[["ar0", *EXPOSURES]].notna().all(axis=1)
    model = frame.loc[frame["in_model"]]
    for col in EXPOSURES:
        frame[f"{col}_z"] = (frame[col] - model[col].mean()) / model[col].std(ddof=1)
    fit = xs.regress(frame.loc[frame["in_model"]], "ar0", [f"{c}_z" for c in EXPOSURES])
    frame["fitted"], frame["beyond"] = fit.fitted, fit.resid
    frame["rank_fall"] = frame["ar0"].where(stock).rank(method="min")
    frame["rank_beyond"] = frame["beyond"].rank(method="min")
    frame["chip_quintile"] = pd.qcut(model["chip"], 5, labels=False) + 1
    return frame.rename_axis("ticker").reset_index()


@dataclass(frozen=True)
class Data:
    """What the chapter derives from the prices (kept in the artefact store)."""
    stocks: pd.DataFrame     # one row per security: see `stocks`
    placebo: pd.DataFrame    # one row per placebo day: see `placebo`
    day0: pd.Series          # day 0's row of the same regressions
    window: tuple            # the exposure window's first and last session
    estimation: tuple        # the market model's first and last estimation session
    chip_excess: float       # the SOX's day-0 return beyond the members' mean


@cache
def data() -> Data:
    """`Data`, computed once per input: kept in the artefact store under a key of the package
    source, the data, the facts files and the library versions (`artefacts.keep`)."""
    def compute() -> Data:
        frame = _frame()
        days = placebo_days()
        daily = _daily(days.append(pd.DatetimeIndex([panel()[0].index[event_row()]])), frame)
        i0, sessions = event_row(), panel()[0].index
        est = sessions[i0 + es.ESTIMATION[0]:i0 + es.ESTIMATION[1] + 1]
        first, last = exposure_window()
        daily["in_sample"] = daily["date"].isin(est) | daily["date"].between(first, last)
        return Data(frame, daily.iloc[:-1].reset_index(drop=True), daily.iloc[-1],
                    (first, last), (est[0], est[-1]), chip_excess())
    return artefacts.keep("crosssection", compute, VERSION, MARGIN)


def stocks() -> pd.DataFrame:
    """One row per panel security: kind, name, sector, industry, first_close (date of its
    first close in the panel); ret0 (day-0 return), mret0
    (its benchmark's), ar0, car01, car05 (abnormal, fractions); alpha, mm_beta, est_days
    (market model); chip, beta, momentum, volatility, exposure_days and their z-scores over
    the regression sample; joined (date, if added after the event), member_then; theme
    (thesis group of its industry); in_model; fitted and beyond (predicted by the exposures
    and the rest); rank_fall and rank_beyond (1 = largest fall among the members);
    chip_quintile (1 = least chip-sensitive fifth)."""
    return data().stocks


def model_sample(frame: pd.DataFrame | None = None, then: bool = False) -> pd.DataFrame:
    """The members in the regressions (all exposures and a day-0 abnormal return); `then`:
    only those that were already in the index on the event day."""
    frame = stocks() if frame is None else frame
    sample = frame.loc[frame["in_model"]]
    return sample.loc[sample["member_then"]] if then else sample


def models(sample: pd.DataFrame, y: str = "ar0", only: str | None = None
           ) -> dict[str, xs.Regression]:
    """The three regressions of `y` (or `only` the one named): chip alone (raw slope), the
    four exposures (z-scores), and the exposures with sector fixed effects; HC3 and
    industry-clustered errors."""
    z = [f"{c}_z" for c in EXPOSURES]
    specs = {"chip": (["chip"], None), "exposures": (z, None), "sectors": (z, "sector")}
    return {name: xs.regress(sample, y, x, cluster="industry", dummies=fe)
            for name, (x, fe) in specs.items() if only in (None, name)}


def placebo_days() -> pd.DatetimeIndex:
    """Sessions at least MARGIN sessions away from every comparison shock, every dated item of
    other news, and the event window (DeepSeek's first release to day +5)."""
    sessions = panel()[0].index
    dates = [*context.shocks()["date"], *context.confounders()["date"]]
    events = facts.events()
    start = events.loc[events["category"] == DEEPSEEK, "date"].min()
    end = sessions[event_row() + es.WINDOWS["[0,+5]"][1]]
    keep = xs.usable_days(sessions, dates, [(start, end)], MARGIN)
    return sessions[keep]


def _daily(days: pd.DatetimeIndex, frame: pd.DataFrame) -> pd.DataFrame:
    """The chapter's regressions on each of `days`, vectorized: chip slope and R², exposure
    model (z-scores) coefficients and R², R² with sector effects; and the day's mean member
    return (`market`) and SOX return."""
    sample = model_sample(frame)
    ar, _ = _abnormal()
    y = ar.loc[days, sample["ticker"]].to_numpy().T
    z = sample[[f"{c}_z" for c in EXPOSURES]].to_numpy()
    sectors = pd.get_dummies(sample["sector"], drop_first=True, dtype=float).to_numpy()
    chip = xs.cross_sections(y, sample[["chip"]].to_numpy())
    expo = xs.cross_sections(y, z)
    full = xs.cross_sections(y, np.column_stack([z, sectors]))
    returns = panel()[0].loc[days]
    sox = load.returns(CHIP).set_index("date")["ret"].reindex(days)
    out = pd.DataFrame({"date": days, "chip_slope": chip.coef[:, 1], "chip_r2": chip.r2,
                        "r2_exposures": expo.r2, "r2_sectors": full.r2, "n": chip.n,
                        "market": returns[stock_tickers()].mean(axis=1).to_numpy(),
                        "sox": sox.to_numpy()})
    for k, col in enumerate(EXPOSURES):
        out[f"{col}_z"] = expo.coef[:, k + 1]
    return out


def placebo() -> pd.DataFrame:
    """One row per placebo day (`placebo_days`) with the regressions of `_daily`, and
    `in_sample`: the day lies in the market model's estimation window or the exposure window
    (its own return helped measure the regressors)."""
    return data().placebo


def event_day() -> pd.Series:
    """Day 0's row of the same vectorized regressions (the check against statsmodels)."""
    return data().day0


def chip_excess() -> float:
    """The SOX's day-0 return beyond the equal-weighted mean of all members."""
    returns = panel()[0]
    day = returns.index[event_row()]
    sox = float(load.returns(CHIP).set_index("date").at[day, "ret"])
    return sox - float(returns.loc[day, stock_tickers()].mean())


def thesis(sample: pd.DataFrame, top: int = N_TOP) -> dict:
    """How many of the `top` largest falls beyond exposure are in the thesis's industries,
    against their share of the sample (hypergeometric p), per group and overall."""
    worst = sample.nsmallest(top, "beyond")
    marked = sample["theme"] != ""
    hits = int((worst["theme"] != "").sum())
    return {"top": top, "hits": hits, "marked": int(marked.sum()), "n": len(sample),
            "expected": top * marked.mean(),
            "p": xs.overrepresented(hits, top, int(marked.sum()), len(sample)),
            "by_theme": worst.loc[worst["theme"] != "", "theme"].value_counts(),
            "worst": worst, "others": worst.loc[worst["theme"] == ""]}


def breadth(frame: pd.DataFrame) -> dict:
    """Day-0 breadth of the members in `frame` (raw returns): n, fell, rose."""
    r = frame["ret0"].dropna()
    return {"n": len(r), "fell": int((r < 0).sum()), "rose": int((r > 0).sum())}


@dataclass(frozen=True)
class Chapter:
    """Everything the chapter prints: frames, regressions, placebo summary, chart data."""
    stocks: pd.DataFrame
    sample: pd.DataFrame
    fits: dict
    windows: dict
    then: dict
    placebo: pd.DataFrame
    ranks: dict
    quintiles: pd.DataFrame
    thesis: dict
    thesis_then: dict
    breadth: dict
    breadth_then: dict
    chip_excess: float
    window: tuple
    estimation: tuple
    holm_primary: float      # Holm over the two named hypotheses: the larger adjusted p
    holm_exposures: dict     # Holm over the four exposure coefficients (clustered p)
    left_out: pd.DataFrame
    changes: pd.DataFrame
    figures: dict = field(default_factory=dict)


def _ranks(daily: pd.DataFrame, day0: pd.Series) -> dict:
    out = {}
    for name, col, largest in (("slope", "chip_slope", False), ("r2", "chip_r2", True),
                               ("r2_exposures", "r2_exposures", True),
                               ("r2_sectors", "r2_sectors", True)):
        for scope, part in (("all", daily), ("out", daily.loc[~daily["in_sample"]])):
            out[(name, scope)] = xs.rank_of(float(day0[col]), part[col].to_numpy(), largest)
    out["abs_slope"] = xs.rank_of(abs(float(day0["chip_slope"])),
                                  daily["chip_slope"].abs().to_numpy(), True)
    return out


def chapter() -> Chapter:
    """The chapter's numbers and chart data in one call."""
    from . import charts
    frame = stocks()
    sample = model_sample(frame)
    then = model_sample(frame, then=True)
    daily, day0 = placebo(), event_day()
    fits = models(sample)
    th, z = thesis(sample), [f"{c}_z" for c in EXPOSURES]
    quint = xs.quantile_table(sample["chip"], sample["ar0"], sample["ret0"] < 0)
    members = frame.loc[frame["kind"] == "sp500"]
    out = Chapter(
        stocks=frame, sample=sample, fits=fits,
        windows={"[0]": fits["exposures"], **{
            w: models(sample, y, only="exposures")["exposures"]
            for w, y in (("[0,+1]", "car01"), ("[0,+5]", "car05"))}},
        then=models(then), placebo=daily.assign(day0=False), ranks=_ranks(daily, day0),
        quintiles=quint, thesis=th, thesis_then=thesis(then),
        breadth=breadth(members), breadth_then=breadth(members.loc[members["member_then"]]),
        chip_excess=data().chip_excess, window=data().window, estimation=data().estimation,
        holm_primary=float(multiple.adjusted_p([fits["chip"].table.at["chip", "p_cluster"],
                                                 th["p"]], "holm").max()),
        holm_exposures=dict(zip(z, multiple.adjusted_p(
            [fits["exposures"].table.at[k, "p_cluster"] for k in z], "holm"))),
        left_out=members.loc[~members["in_model"]], changes=context.index_changes())
    out.figures.update(charts.figures(out, day0))
    return out
