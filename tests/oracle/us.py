"""Oracle values of the landing page and the US chapters (Nvidia, the sell-off)."""

from __future__ import annotations

import pandas as pd

from tests.oracle import raw
from tests.oracle.raw import SHOCK, bn, count, day, fall
from tests.oracle.registry import value

NEXT = pd.Timestamp("2025-01-28")
# the landing chart's headline securities (a choice of the book, not a computation)
HEADLINE = ["NVDA", "AVGO", "^SOX", "^IXIC", "^GSPC", "AAPL", "6857.T", "SU.PA", "^STOXX",
            "0700.HK", "000001.SS", "000660.KS", "2330.TW"]


def nvidia_loss(day0=SHOCK) -> float:
    c = raw.close("NVDA")
    prev = c.index[c.index < day0][-1]
    return raw.shares("NVDA", day0) * (c[prev] - c[day0])


def breadth(day0=SHOCK) -> dict:
    r = raw.panel_rets().loc[day0, raw.sp500()].dropna()
    sector = raw.panel_members()["sector"]
    tech = r[sector.reindex(r.index) == "Technology"]
    return {"n": len(r), "fell": int((r < 0).sum()), "rose": int((r > 0).sum()),
            "tech_n": len(tech), "tech_fell": int((tech < 0).sum())}


def us_series() -> pd.DataFrame:
    """The US-listed series the sell-off chapter ranks (the VIX, a volatility gauge, apart)."""
    uni = raw.universe()
    tickers = [t for t in uni.index[uni["market"] == "US"] if t != "^VIX"]
    return pd.DataFrame({"name": uni.loc[tickers, "name"],
                         "ret": [raw.ret(t, SHOCK) for t in tickers]}, index=tickers)


# --- the landing page (intro) -------------------------------------------------------------

for key, ticker in (("in_nv_fall", "NVDA"), ("in_sox_fall", "^SOX"), ("in_tsm_adr", "TSM")):
    value("intro", key)(lambda ticker=ticker: fall(raw.ret(ticker, SHOCK)))

value("intro", "in_nv_lost")(lambda: bn(nvidia_loss()))
value("intro", "in_adv_fall1")(lambda: fall(raw.ret("6857.T", SHOCK)))
value("intro", "in_adv_fall2")(lambda: fall(raw.ret("6857.T", NEXT)))
value("intro", "in_adv_day1")(lambda: day(SHOCK, weekday=True))
value("intro", "in_adv_day2")(lambda: day(NEXT, weekday=True))
value("intro", "in_adv_two")(lambda: fall(raw.window("6857.T", SHOCK, NEXT)))
value("intro", "in_hynix")(lambda: fall(raw.ret("000660.KS", raw.first_on_or_after("000660.KS"))))
value("intro", "in_hynix_day")(lambda: day(raw.first_on_or_after("000660.KS"), weekday=True))
value("intro", "in_tsmc")(lambda: fall(raw.ret("2330.TW", raw.first_on_or_after("2330.TW"))))
value("intro", "in_tsmc_day")(lambda: day(raw.first_on_or_after("2330.TW"), weekday=True))
value("intro", "in_sp_fell")(lambda: f"{breadth()['fell']:,}")
value("intro", "in_sp_rose")(lambda: f"{breadth()['rose']:,}")
value("intro", "in_sp_n")(lambda: f"{breadth()['n']:,}")
value("intro", "in_tech_fell")(lambda: f"{breadth()['tech_fell']:,}")
value("intro", "in_tech_n")(lambda: f"{breadth()['tech_n']:,}")
value("intro", "in_last")(lambda: day(raw.close("NVDA").index.max()))
value("intro", "in_v3")(lambda: f"{raw.event_date('V3 weights'):%-d %B}")
value("intro", "in_store")(lambda: f"{raw.event_date('App Store No. 1'):%A %-d %B}")
value("intro", "in_n_total")(lambda: str(len(raw.universe())))
value("intro", "in_n_us")(lambda: str(len(us_series())))
value("intro", "in_n_panel")(lambda: str(len(raw.sp500())))
value("intro", "in_n_head")(lambda: str(len(HEADLINE)))


@value("intro", "in_cost")
def _cost() -> str:
    costs = raw.facts("launch_costs").set_index("quantity")["value"].astype(float)
    return f"${costs['gpu_hours'] * costs['price_per_gpu_hour'] / 1e6:.3f}M"


def _market_count(*markets: str, kind: str | None = None) -> int:
    uni = raw.universe()
    keep = uni["market"].isin(markets) & ((uni["kind"] == kind) if kind else True)
    return int(keep.sum())


value("intro", "in_n_tokyo")(lambda: count(_market_count("Japan", kind="equity")))
value("intro", "in_n_krtw")(lambda: count(_market_count("Korea", "Taiwan")))
value("intro", "in_n_china")(lambda: count(_market_count("China", "Hong Kong")))
value("intro", "in_n_europe")(lambda: count(_market_count("Europe")))


@value("intro", "fig-intro-first")
def _intro_title() -> str:
    first = pd.Series({t: raw.ret(t, raw.first_on_or_after(t)) for t in HEADLINE}).sort_values()
    rose = [raw.name(t) for t in first.index[first > 0]]
    title = (f"{int((first < 0).sum())} of {len(first)} headline securities fell in their "
             "first session")
    return title + (f"; {' and '.join(rose)} rose" if 0 < len(rose) <= 2 else "")


# --- Nvidia -------------------------------------------------------------------------------

value("chapters/nvidia", "nv_ret_abs")(lambda: fall(raw.ret("NVDA", SHOCK)))
value("chapters/nvidia", "nv_lost")(lambda: bn(nvidia_loss()))


@value("chapters/nvidia", "nv_regained_share")
def _regained() -> str:
    c = raw.close("NVDA")
    return f"{(c[NEXT] - c[SHOCK]) / (c.loc[:SHOCK].iloc[-2] - c[SHOCK]):.0%}"


@value("chapters/nvidia", "fig-nvda-price")
def _nvda_price_title() -> str:
    c = raw.close("NVDA")
    prev = c.loc[:SHOCK].iloc[-2]
    back = ("won back only part of it the next day" if c[NEXT] < prev
            else "won it all back the next day")
    return f"Nvidia fell {abs(raw.ret('NVDA', SHOCK)):.1%} in one session on 27 January and {back}"


# --- the US sell-off ------------------------------------------------------------------------

value("chapters/selloff", "so_n")(lambda: str(len(us_series())))
value("chapters/selloff", "so_down")(lambda: str(int((us_series()["ret"] < 0).sum())))
value("chapters/selloff", "so_sox_fall")(lambda: fall(raw.ret("^SOX", SHOCK)))
value("chapters/selloff", "so_sp_rose")(lambda: f"{breadth()['rose']:,}")
value("chapters/selloff", "so_sp_n")(lambda: f"{breadth()['n']:,}")
value("chapters/selloff", "so_sp_fell")(lambda: f"{breadth()['fell']:,}")
value("chapters/selloff", "so_tech_fell")(lambda: f"{breadth()['tech_fell']:,}")
value("chapters/selloff", "so_spx")(lambda: fall(raw.ret("^GSPC", SHOCK)))


@value("chapters/selloff", "so_worst")
def _worst() -> str:
    worst = us_series().sort_values("ret").iloc[0]
    return f"{worst['name']}, which fell {fall(worst['ret'])}"


def sox_since() -> pd.Timestamp:
    r = raw.rets("^SOX")
    return r.loc[:SHOCK][r.loc[:SHOCK] < r[SHOCK]].index.max()


value("chapters/selloff", "so_sox_since")(lambda: day(sox_since()))
value("chapters/selloff", "so_sox_rank_all")(
    lambda: raw.ordinal(int((raw.rets("^SOX") < raw.ret("^SOX", SHOCK)).sum()) + 1))
value("chapters/selloff", "so_sox_sessions_all")(lambda: f"{len(raw.rets('^SOX')):,}")
value("chapters/selloff", "fig-selloff-sox-worst")(
    lambda: (f"The SOX's {abs(raw.ret('^SOX', SHOCK)) * 100:.1f}% fall on 27 January was its "
             f"deepest since {day(sox_since())}"))
# how the chart's title names the group that fell most (words of the book, not a computation)
GROUP_WORDS = {"US power": "the power companies",
               "US AI infrastructure": "the AI server and equipment makers"}


@value("chapters/selloff", "fig-selloff-us")
def _selloff_title() -> str:
    s = us_series()
    means = (s["ret"] * 100).groupby(raw.universe().loc[s.index, "group"]).mean()
    down = int((s["ret"] < 0).sum())
    return (f"{down} of these {len(s)} AI-linked US securities fell on 27 January, "
            f"{GROUP_WORDS[means.idxmin()]} most ({abs(means.min()):.1f}% on average)")


@value("chapters/selloff", "so_sp_ew")
def _average_member() -> str:
    """The average S&P 500 member (equal-weighted mean of the members' returns), to two
    decimals as the sell-off states it."""
    mean = raw.panel_rets().loc[SHOCK, raw.sp500()].dropna().mean()
    return ("rose " if mean > 0 else "fell ") + f"{abs(mean) * 100:.2f}%"
