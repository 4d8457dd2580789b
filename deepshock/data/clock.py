"""Every session on one UTC clock: what New York did between a market's two closes.

For a security listed outside New York and each of its sessions t (a row of `load.returns`:
`ret` runs from the previous row's close, so a return after a closure spans the closure), with
the UTC close C_t and the previous row's close C_{t-1} from the exchange calendars (`sessions`,
never date labels), the **lead window** is W(t) = (C_{t-1}, C_t]. For each lead index k
(LEADS: New York's broad market and its chip index):

* `cc_k` = P_k(last NY close <= C_t) / P_k(last NY close <= C_{t-1}) - 1: every New York
  session that closed inside W, close to close (0 when none did);
* `oc_k` = P_k(last NY close <= C_t) / O_k(first NY open after C_{t-1}) - 1: the same span
  without the New York overnight gap that straddles the local market's previous close, i.e.
  news the local market could already have traded on (0 when no New York session both opened
  and closed inside W; for Europe, which closes while New York trades, that is every day).

`ny_first`, `ny_last`, `ny_sessions`: the New York sessions (XNYS calendar) whose close falls
in W. `weekdays`: weekdays the local return spans (`gaps.weekdays_spanned`, for the gap
variance). New York listings have no lead: New York *is* the lead (ValueError).

`intraday_leads` adds a third bound where intraday bars exist (the S&P 500 CFD of
`data.intraday`): the CFD's move over W and its move during the local session. There are no
chip-index futures in the data, so the chip lead has no intraday value. No statistics here.
"""

from __future__ import annotations

import importlib
import importlib.util
from functools import cache

import numpy as np
import pandas as pd

from . import load, sessions

NY = "XNYS"
LEADS = ("^GSPC", "^SOX")
CFD = "SPXUSD"            # the S&P 500 CFD of the intraday files: the intraday lead of ^GSPC
MAX_STALE = pd.Timedelta("90min")  # a CFD quote older than this at a close is no quote


def _weekdays(prev: pd.DatetimeIndex, date: pd.DatetimeIndex) -> np.ndarray:
    """Weekdays after `prev` up to and including `date`, at least 1: the definition of
    `methods.gaps.weekdays_spanned` (the data layer cannot import methods; a test pins both)."""
    days = np.busday_count(prev.values.astype("datetime64[D]") + 1,
                           date.values.astype("datetime64[D]") + 1)
    return np.maximum(days, 1).astype(int)


def _ns(times) -> np.ndarray:
    """UTC times as int64 nanoseconds (for searchsorted; whatever the input's unit)."""
    return pd.DatetimeIndex(times).tz_convert("UTC").as_unit("ns").asi8


@cache
def _ny_bars(lead: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(close times, open times, closes, opens) of a New York index's rows, UTC ns."""
    bars = load.prices(lead).sort_values("date")
    return (_ns(sessions.closes_utc(NY, bars["date"])), _ns(sessions.opens_utc(NY, bars["date"])),
            bars["close"].to_numpy(float), bars["open"].to_numpy(float))


@cache
def _ny_sessions() -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Every New York session of the calendar: (close times in UTC ns, session labels)."""
    closes = sessions.calendar(NY).closes
    return _ns(closes), pd.DatetimeIndex(closes.index)


def leads(ticker: str, leads: tuple[str, ...] = LEADS) -> pd.DataFrame:
    """One row per return of `ticker`: date, prev_date, open_utc, close_utc, prev_close_utc,
    ret, weekdays, ny_first, ny_last, ny_sessions, then cc_<lead> and oc_<lead> per lead
    (fractions; see the module docstring). Cached per process; the caller gets a copy."""
    return _leads(ticker, tuple(leads)).copy()


@cache
def _leads(ticker: str, leads: tuple[str, ...]) -> pd.DataFrame:
    market = sessions.code(ticker)
    if market == NY:
        raise ValueError(f"{ticker} trades in New York: New York is the lead, it has none")
    rets = load.returns(ticker)
    date, prev = pd.DatetimeIndex(rets["date"]), pd.DatetimeIndex(rets["prev_date"])
    close, prev_close = _ns(sessions.closes_utc(market, date)), _ns(sessions.closes_utc(market, prev))
    out = pd.DataFrame({
        "date": date, "prev_date": prev,
        "open_utc": sessions.opens_utc(market, date),
        "close_utc": pd.to_datetime(close, utc=True),
        "prev_close_utc": pd.to_datetime(prev_close, utc=True),
        "ret": rets["ret"].to_numpy(float),
        "weekdays": _weekdays(prev, date)})
    ny_close, ny_label = _ny_sessions()
    first = np.searchsorted(ny_close, prev_close, side="right")   # first NY close > C_{t-1}
    last = np.searchsorted(ny_close, close, side="right") - 1      # last NY close <= C_t
    count = np.maximum(last - first + 1, 0)
    some = count > 0
    out["ny_first"] = pd.DatetimeIndex(np.where(some, ny_label[first.clip(0, len(ny_label) - 1)],
                                                pd.NaT))
    out["ny_last"] = pd.DatetimeIndex(np.where(some, ny_label[last.clip(0)], pd.NaT))
    out["ny_sessions"] = count
    for lead in leads:
        out[f"cc_{lead}"], out[f"oc_{lead}"] = _lead_moves(lead, prev_close, close)
    return out


def _lead_moves(lead: str, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(close-to-close, open-to-close) moves of `lead` over the windows (start, end] (UTC ns);
    NaN where the lead's data begin after the window's start."""
    closes_at, opens_at, close, open_ = _ny_bars(lead)
    i_end = np.searchsorted(closes_at, end, side="right") - 1      # last close <= C_t
    i_start = np.searchsorted(closes_at, start, side="right") - 1  # last close <= C_{t-1}
    j = np.searchsorted(opens_at, start, side="right")             # first open > C_{t-1}
    known = (i_start >= 0) & (i_end >= 0)
    p_end, p_start = close[i_end.clip(0)], close[i_start.clip(0)]
    cc = np.where(i_end > i_start, p_end / p_start - 1.0, 0.0)
    oc = np.where(j <= i_end, p_end / open_[j.clip(0, len(open_) - 1)] - 1.0, 0.0)
    return np.where(known, cc, np.nan), np.where(known, oc, np.nan)


# --- the intraday bound ----------------------------------------------------------------------

def _intraday_module():
    """`data.intraday` when this build has it (another change adds it), else None."""
    if importlib.util.find_spec(f"{__package__}.intraday") is None:
        return None
    return importlib.import_module(f"{__package__}.intraday")


def intraday_available() -> bool:
    """Whether intraday bars can be read (the module exists and its cache has the files)."""
    module = _intraday_module()
    return module is not None and bool(module.available())


@cache
def _cfd() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bar end times in UTC ns, bar closes, bar opens) of the S&P 500 CFD; raises
    `intraday.Missing` (or RuntimeError without the module) when there are none."""
    module = _intraday_module()
    if module is None:
        raise RuntimeError("this build has no intraday data product (deepshock.data.intraday)")
    bars = module.bars(CFD).sort_values("ts")
    start = _ns(bars["ts"])
    step = np.diff(start)
    width = int(pd.Series(step[step > 0]).mode().iloc[0]) if len(step) else 60 * 10**9
    return start + width, bars["close"].to_numpy(float), bars["open"].to_numpy(float)


def _cfd_at(when: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CFD level at each UTC time: close of the last bar ending <= it (NaN before the first
    bar or when that bar ended more than MAX_STALE earlier), and that bar's end time."""
    ends, close, _ = _cfd()
    at = np.searchsorted(ends, when, side="right") - 1
    end = ends[at.clip(0)]
    ok = (at >= 0) & (when - end <= MAX_STALE.value)
    return np.where(ok, close[at.clip(0)], np.nan), np.where(ok, end, -1)


def _stamp(ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(ns, utc=True)).where(ns >= 0)


def intraday_leads(ticker: str, dates) -> pd.DataFrame:
    """For sessions `dates` of `ticker` (rows of `leads`): `id_^GSPC` = CFD(C_t) / CFD(C_{t-1})
    - 1, the S&P 500 CFD's move over the lead window; `same_hours` = CFD(C_t) / CFD(O_t) - 1,
    what the US market did during the local session; and the CFD bar ends used (`cfd_end`,
    `cfd_prev_end`). One row per date, in the order given; NaN where the bars do not cover a
    time or the date is no session of `ticker`. Raises when there are no bars. Computed once
    per ticker for all its sessions (cached)."""
    dates = pd.DatetimeIndex(dates)
    return _intraday_all(ticker).reindex(dates).rename_axis("date").reset_index()


@cache
def _intraday_all(ticker: str) -> pd.DataFrame:
    rows = _leads(ticker, LEADS)
    level, end = _cfd_at(_ns(rows["close_utc"]))
    before, prev_end = _cfd_at(_ns(rows["prev_close_utc"]))
    opening, _ = _cfd_at(_ns(rows["open_utc"]))
    return pd.DataFrame({"id_^GSPC": level / before - 1.0, "same_hours": level / opening - 1.0,
                         "cfd_end": _stamp(end), "cfd_prev_end": _stamp(prev_end)},
                        index=pd.DatetimeIndex(rows["date"]))


def clear() -> None:
    """Forget every cached clock (e.g. after the data were synced again)."""
    for cached in (_ny_bars, _ny_sessions, _leads, _cfd, _intraday_all):
        cached.cache_clear()
