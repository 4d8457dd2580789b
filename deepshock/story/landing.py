"""The landing page: the key numbers of the shock, each computed where the chapter that owns it
computes it (market value from `marketvalue`, breadth from `methods.benchmarks.breadth` on the
S&P 500 panel), so that the landing page and the chapters give one number per idea.

"First session" means, everywhere in the book, a market's first session on or after Monday
27 January 2025 (for Seoul Friday 31 January, for Taipei Monday 3 February).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import altair as alt
import pandas as pd

from ..data import event, load, sessions
from ..methods import benchmarks
from . import marketvalue
from .selloff import count  # noqa: F401  (house style: small counts in words)
from .selloff import sector_breadth  # the sell-off chapter owns the market's breadth
from .page import stored

SHOCK = event.day0("XNYS")  # New York's day 0 of the book's event (data/shocks.csv)


@dataclass(frozen=True)
class Breadth:
    members: int
    rose: int
    fell: int
    ew_ret: float
    tech_members: int
    tech_fell: int


def breadth(date: pd.Timestamp = SHOCK) -> Breadth:
    """How many S&P 500 members (the panel, funds left out) rose and fell on `date`."""
    table = sector_breadth(date)
    total, tech = table.loc[benchmarks.ALL], table.loc["Technology"]
    return Breadth(members=int(total["members"]), rose=int(total["rose"]), fell=int(total["fell"]),
                   ew_ret=float(total["ew_ret"]), tech_members=int(tech["members"]),
                   tech_fell=int(tech["fell"]))


def fund_move(ticker: str, date: pd.Timestamp = SHOCK) -> float:
    """One day's return of a fund in the panel (e.g. RSP, the equal-weighted S&P 500 fund)."""
    return float(load.panel_returns().at[pd.Timestamp(date), ticker])


def nvidia_loss(date: pd.Timestamp = SHOCK) -> float:
    """Nvidia's loss of market value on `date` (US$), from the market-value chapter's table."""
    table = marketvalue.losses()
    row = table.loc[(table["ticker"] == "NVDA") & (table["date"] == pd.Timestamp(date))]
    if len(row) != 1 or not bool(row["included"].iloc[0]):
        raise ValueError(f"market-value table has no figure for Nvidia on {date:%Y-%m-%d}")
    return float(row["loss_usd"].iloc[0])


def first_session(ticker: str, date: pd.Timestamp = SHOCK) -> pd.Series:
    """The security's first session on or after `date` (the book's one definition)."""
    day = sessions.first_session(sessions.code(ticker), date)
    return load.session_return(ticker, day)


def two_sessions(ticker: str, date: pd.Timestamp = SHOCK) -> tuple[pd.Series, pd.Series, float]:
    """The first two sessions on or after `date` and the compounded move over both."""
    rets = load.returns(ticker).set_index("date")
    both = rets.loc[rets.index >= pd.Timestamp(date)].iloc[:2]
    first, second = both.iloc[0], both.iloc[1]
    return first, second, float((1 + both["ret"]).prod() - 1)


def last_close() -> pd.Timestamp:
    """The last session in the data (Nvidia's file)."""
    return load.prices("NVDA")["date"].max()


def counts() -> dict[str, int]:
    """How many securities each part of the book follows, from the one list of series, so that
    the landing page can explain once why the counts differ from page to page."""
    from ..data import facts
    from . import aftermath, selloff
    uni = facts.universe()
    by_market = uni.groupby("market").size()
    members = load.panel_members()
    us = uni.loc[(uni["market"] == "US") & (uni["ticker"] != selloff.VIX)]
    return {"total": len(uni), "us": len(us),
            "tokyo_stocks": int(((uni["market"] == "Japan") & (uni["kind"] == "equity")).sum()),
            "korea_taiwan": int(by_market.get("Korea", 0) + by_market.get("Taiwan", 0)),
            "china_hk": int(by_market.get("China", 0) + by_market.get("Hong Kong", 0)),
            "europe": int(by_market.get("Europe", 0)),
            "aftermath": len(aftermath.members()), "headline": len(selloff.HEADLINE),
            "panel": int((members["kind"] == "sp500").sum()),
            "panel_funds": int((members["kind"] == "etf").sum())}


def day(date: pd.Timestamp | str, weekday: bool = False) -> str:
    """'27 January 2025' (with `weekday`, 'Monday 27 January 2025'), as the book writes days."""
    stamp = pd.Timestamp(date)
    return f"{stamp:%A} " * weekday + f"{stamp.day} {stamp:%B %Y}"


def usd_bn(dollars: float) -> str:
    """592.66e9 -> '$592.7bn'."""
    return f"${dollars / 1e9:,.1f}bn"


@dataclass
class Chapter:
    text: dict[str, str]                      # glue name -> prose
    figures: dict[str, tuple[alt.TopLevelMixin, pd.DataFrame]] = field(default_factory=dict)


@stored
def chapter() -> Chapter:
    """The landing page's numbers (glue name -> text) and its two figures, the hero clock and
    the first sessions, in one call."""
    from . import hero, launch, sameclock, selloff
    from .selloff import fall
    nv, sox = (load.session_return(t, SHOCK) for t in ("NVDA", "^SOX"))
    tsm_adr = load.session_return("TSM", SHOCK)
    adv1, adv2, adv_two = two_sessions("6857.T")
    hynix, tsmc = first_session("000660.KS"), first_session("2330.TW")
    wide, n, first = breadth(), counts(), selloff.first_sessions()
    cost, v3 = launch.training_cost(), launch.event("V3 weights")["date"]
    store = launch.event("App Store No. 1")["date"]
    text = dict(
        in_nv_fall=fall(nv["ret"]), in_nv_lost=usd_bn(nvidia_loss()),
        in_sox_fall=fall(sox["ret"]),
        in_adv_day1=day(adv1.name, weekday=True), in_adv_fall1=fall(adv1["ret"]),
        in_adv_day2=day(adv2.name, weekday=True), in_adv_fall2=fall(adv2["ret"]),
        in_adv_two=fall(adv_two),
        in_hynix=fall(hynix["ret"]), in_hynix_day=day(hynix["date"], weekday=True),
        in_tsmc=fall(tsmc["ret"]), in_tsmc_day=day(tsmc["date"], weekday=True),
        in_tsm_adr=fall(tsm_adr["ret"]),
        in_sp_fell=f"{wide.fell:,}", in_sp_rose=f"{wide.rose:,}", in_sp_n=f"{wide.members:,}",
        in_tech_fell=f"{wide.tech_fell:,}", in_tech_n=f"{wide.tech_members:,}",
        in_last=day(last_close()), in_cost=f"${cost.cost / 1e6:.3f}M",
        in_v3=f"{v3.day} {v3:%B}", in_store=day(store, weekday=True).rsplit(" ", 1)[0],
        in_n_total=f"{n['total']}", in_n_us=f"{n['us']}", in_n_tokyo=count(n["tokyo_stocks"]),
        in_n_krtw=count(n["korea_taiwan"]), in_n_china=count(n["china_hk"]),
        in_n_europe=count(n["europe"]), in_n_after=f"{n['aftermath']}",
        in_n_head=f"{n['headline']}", in_n_panel=f"{n['panel']}",
        in_clock=sameclock.words()["sc_intro"], **hero.words())
    return Chapter(text=text, figures={
        "fig-intro-clock": hero.figure(),
        "fig-intro-first": (selloff.headline_chart(first),
                            first[["label", "prev_date", "date", "ret_pct"]])})
