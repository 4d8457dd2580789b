"""The event study's benchmarks and aligned returns: which benchmark judges a security under a
specification (`Spec`), the benchmark's return over exactly the security's own intervals, the
New York lead for Tokyo (the one clock's close-to-close SOX lead, `data.clock`), and the frame a
model is fitted on.

* US listings: the equal-weighted mean of the S&P 500 panel members other than the company
  itself (`market_without`), or the S&P 500, or RSP.
* Asian and European listings: their local index. Where a benchmark holds the security
  (`context.index_members`), `Spec.asia` bounds that: "exown" takes the security's own sourced
  weight out of the index return, (R_index - w R_own) / (1 - w), with the weight held at its
  dated value; "mean" uses no benchmark at all (the constant-mean model).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from ...data import clock, context, facts, load
from ...methods import gaps
from ...methods.eventstudy import ESTIMATION

NY_LEAD = "^SOX"          # Tokyo's second regressor: the chip index's close-to-close lead
LEAD_MARKETS = ("Japan",)
SAME_COMPANY = {"GOOGL": ("GOOG",), "GOOG": ("GOOGL",)}


@dataclass(frozen=True)
class Spec:
    """One specification of the study. us: "ew" (panel market without the security), "index"
    (the universe benchmark, the S&P 500) or "rsp"; lead: Tokyo's second regressor; gap: None,
    "scaled" or "own"; asia: "index", "exown" (the index without the security's own sourced
    weight, where one is on file) or "mean" (no benchmark), the last two only for the
    securities their benchmark holds (`held`)."""
    us: str = "ew"
    lead: bool = True
    gap: str | None = "own"
    estimation: tuple[int, int] = ESTIMATION
    asia: str = "index"


NEW = Spec()
OLD = Spec(us="index", lead=False, gap=None)   # the first edition: S&P 500 / Nikkei, one-day


# --- benchmarks ------------------------------------------------------------------------------

def held() -> tuple[str, ...]:
    """Securities that their own benchmark index holds (`data/index_members.csv`)."""
    members = context.index_members()
    own = [t for i, t in zip(members["index"], members["ticker"]) if _where(t)[1] == i]
    return tuple(own)


def own_weight(ticker: str) -> float | None:
    """The security's sourced weight in its benchmark (a fraction), None when none is on file."""
    members = context.index_members()
    row = members.loc[(members["ticker"] == ticker) & (members["index"] == _where(ticker)[1])]
    return None if row.empty or pd.isna(row["weight"].iat[0]) else float(row["weight"].iat[0])


@cache
def panel_market() -> pd.DataFrame:
    """Daily returns of the S&P 500 panel's member stocks (no ETFs), date x ticker."""
    members = load.panel_members()
    return load.panel_returns()[list(members.loc[members["kind"] == "sp500", "ticker"])]


def market_without(ticker: str) -> pd.Series:
    """Equal-weighted mean return of the panel members other than `ticker` (and its other
    share classes), NaN on days with fewer than 30 of them."""
    total, count = _market_sums()
    wide = panel_market()
    drop = [t for t in (ticker, *SAME_COMPANY.get(ticker, ())) if t in wide.columns]
    own = wide[drop].fillna(0.0).sum(axis=1) if drop else 0.0
    n = count - (wide[drop].notna().sum(axis=1) if drop else 0)
    return ((total - own) / n).where(n >= 30)


@cache
def _market_sums() -> tuple[pd.Series, pd.Series]:
    wide = panel_market()
    return wide.sum(axis=1, min_count=1).fillna(0.0), wide.notna().sum(axis=1)


@cache
def _levels(benchmark: str) -> pd.Series:
    """Benchmark level by date: an index's closes, the panel's RSP, or `ew:TICKER`, the
    leave-one-out equal-weighted panel market grown from 1."""
    if benchmark.startswith("ew:"):
        return (1 + market_without(benchmark[3:]).dropna()).cumprod()
    if benchmark == "RSP":
        return load.panel_closes()["RSP"].dropna()
    return load.prices(benchmark).set_index("date")["close"].sort_index()


def benchmark_key(ticker: str, spec: Spec = NEW) -> str:
    """Which benchmark `ticker` is judged against under `spec` ("" = none; "ex:INDEX" = the
    index without the security's own weight)."""
    market, benchmark = _where(ticker)
    if market == "US" and spec.us != "index":
        return f"ew:{ticker}" if spec.us == "ew" else "RSP"
    if spec.asia == "mean" and ticker in held():
        return ""
    if spec.asia == "exown" and own_weight(ticker) is not None:
        return f"ex:{benchmark}"
    return benchmark


@cache
def _where(ticker: str) -> tuple[str, str]:
    """(market, universe benchmark) of a ticker."""
    row = facts.universe().set_index("ticker").loc[ticker]
    return row["market"], row["benchmark"]


@cache
def _returns(ticker: str) -> pd.DataFrame:
    # total returns (dividends reinvested), like the panel benchmark: a CAR over a window
    # holding an ex-dividend day is otherwise biased down by the dividend
    return load.total_returns(ticker)


@cache
def aligned(ticker: str, benchmark: str) -> pd.DataFrame:
    """The security's returns with the benchmark's return over the same interval (`mret`),
    the weekdays each return spans and `matched` (benchmark closed on both ends)."""
    if benchmark.startswith("ex:"):   # the index without the security's own weight
        base, w = aligned(ticker, benchmark[3:]), own_weight(ticker)
        return base.assign(mret=(base["mret"] - w * base["ret"]) / (1 - w))
    rets = _returns(ticker)
    rets = pd.DataFrame({c: rets[c].to_numpy() for c in ("date", "prev_date", "ret")})
    rets["weekdays"] = gaps.weekdays_spanned(rets["prev_date"], rets["date"]).astype(float)
    if not benchmark:
        return rets.assign(mret=0.0, matched=True)
    level = _levels(benchmark)

    def last_close(dates: pd.Series) -> np.ndarray:
        pos = level.index.searchsorted(dates, side="right") - 1
        return np.where(pos >= 0, level.to_numpy()[pos.clip(0)], np.nan)

    mret = last_close(rets["date"]) / last_close(rets["prev_date"]) - 1
    matched = rets["date"].isin(level.index) & rets["prev_date"].isin(level.index)
    return rets.assign(mret=mret, matched=matched.to_numpy())


def regressors(ticker: str, spec: Spec = NEW) -> tuple[str, ...]:
    """The model's regressors: none, the benchmark, or the benchmark and the New York lead."""
    if not benchmark_key(ticker, spec):
        return ()
    return ("mret", "lead") if spec.lead and _where(ticker)[0] in LEAD_MARKETS else ("mret",)


@cache
def full_frame(ticker: str, spec: Spec = NEW) -> pd.DataFrame:
    """Every return of `ticker` with its benchmark (and lead) return, before event time
    (cached: callers copy before changing it)."""
    frame = aligned(ticker, benchmark_key(ticker, spec))
    if "lead" in regressors(ticker, spec):
        # the one clock's close-to-close SOX lead, the transmission model's own column
        frame = frame.assign(lead=clock.leads(ticker, clock.LEADS)[f"cc_{NY_LEAD}"].to_numpy())
    return frame
