"""Oracle values of the one model of the usual echo of New York (Tokyo's and the reopenings'
verdicts), rebuilt from the raw files: each local session's lead window on one UTC clock (the
exchange calendars' closes), New York's close-to-close and open-to-close moves of the S&P 500
and the SOX over it, the S&P 500 contract's move over it (the intraday files), and the model
fitted by `deepshock.methods.transmission` on sessions -250..-11 of the security's day 0 (its
first session closing after the news of data/shocks.csv)."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from deepshock.methods import transmission as tm
from tests.oracle import asia, raw
from tests.oracle.registry import value

LEADS = ("^GSPC", "^SOX")
ESTIMATION = (-250, -11)
STALE = pd.Timedelta("90min")   # a contract quote older than this at a close is no quote
TOKYO = {"^N225": "the Nikkei 225", "6857.T": "Advantest", "8035.T": "Tokyo Electron",
         "9984.T": "SoftBank Group"}
REOPENED = {"^KS11": "the KOSPI", "000660.KS": "SK hynix", "005930.KS": "Samsung Electronics",
            "^TWII": "the Taiex", "2330.TW": "TSMC"}


def news() -> pd.Timestamp:
    """When the book's own event (role 'primary') was public, UTC."""
    shocks = raw.facts("shocks")
    return pd.Timestamp(shocks.loc[shocks["role"] == "primary", "news_utc"].iloc[0])


def ns(times) -> np.ndarray:
    return pd.DatetimeIndex(times).tz_convert("UTC").as_unit("ns").asi8


def at(code: str, edge: str, dates) -> np.ndarray:
    """Opens or closes (UTC ns) of sessions `dates` of the calendar `code`."""
    cal = raw.calendar(code)
    times = cal.opens if edge == "open" else cal.closes
    return ns(times.loc[pd.DatetimeIndex(dates)])


@functools.cache
def clock(ticker: str) -> pd.DataFrame:
    """One row per return of `ticker` on its own consecutive sessions: the return, the
    weekdays it spans, its lead window (previous close, close] in UTC and New York's moves
    over it, close to close and open to close (0 when no New York session fits)."""
    code = raw.universe().at[ticker, "calendar"]
    c = raw.traded(ticker)
    date, prev = c.index[1:], c.index[:-1]
    close, start = at(code, "close", date), at(code, "close", prev)
    out = pd.DataFrame({"date": date, "ret": c.to_numpy()[1:] / c.to_numpy()[:-1] - 1,
                        "close": close, "start": start,
                        "weekdays": np.maximum(np.busday_count(
                            prev.values.astype("datetime64[D]") + 1,
                            date.values.astype("datetime64[D]") + 1), 1)})
    for lead in LEADS:
        b = raw.bars(lead)
        closes, opens = at("XNYS", "close", b.index), at("XNYS", "open", b.index)
        i_end = np.searchsorted(closes, close, "right") - 1
        i_start = np.searchsorted(closes, start, "right") - 1
        j = np.searchsorted(opens, start, "right")
        p, o = b["close"].to_numpy(float), b["open"].to_numpy(float)
        known = (i_start >= 0) & (i_end >= 0)
        cc = np.where(i_end > i_start, p[i_end.clip(0)] / p[i_start.clip(0)] - 1, 0.0)
        oc = np.where(j <= i_end, p[i_end.clip(0)] / o[j.clip(0, len(o) - 1)] - 1, 0.0)
        out[f"cc_{lead}"] = np.where(known, cc, np.nan)
        out[f"oc_{lead}"] = np.where(known, oc, np.nan)
    return out


def contract_at(when: np.ndarray) -> np.ndarray:
    """The S&P 500 contract's close of the last one-minute bar ending at or before each time
    (NaN when that bar ended more than STALE before it)."""
    bars = asia.cfd()
    ends = ns(bars["end"].dt.tz_localize("UTC"))
    i = np.searchsorted(ends, when, "right") - 1
    ok = (i >= 0) & (when - ends[i.clip(0)] <= STALE.value)
    return np.where(ok, bars["close"].to_numpy(float)[i.clip(0)], np.nan)


@functools.cache
def verdict(ticker: str, day: int) -> str:
    """The model's verdict on session `day` after the news (0 = day 0) across the three
    measures of the lead: close to close, open to close, and the contract over the window
    (with the close-to-close slopes and the SOX's close-to-close lead)."""
    frame = clock(ticker)
    zero = int(np.argmax(frame["close"].to_numpy() > ns([news()])[0]))
    lo, hi = zero + ESTIMATION[0], zero + ESTIMATION[1]
    if lo < 0:
        return "not measured"
    pos, past = zero + day, frame.iloc[:hi + 1]
    est = np.arange(len(past)) >= lo
    row = frame.iloc[pos]
    lows, highs = [], []
    for bound in ("cc", "oc", "intraday"):
        cols = [f"{'cc' if bound == 'intraday' else bound}_{lead}" for lead in LEADS]
        model = tm.estimate(past["ret"], past[cols].set_axis(list(LEADS), axis=1),
                            past["weekdays"], est)
        x = row[cols].to_numpy(float)
        if bound == "intraday":
            x[0] = (contract_at(np.array([row["close"]]))[0]
                    / contract_at(np.array([row["start"]]))[0] - 1)
        if not np.isfinite(x).all():
            continue
        got = tm.evaluate(model, [row["ret"]], x[None, :], [row["weekdays"]])
        lows.append(got["excess_lo"])
        highs.append(got["excess_hi"])
    return tm.verdict(lows, highs)


def join(items: list[str]) -> str:
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else items[0]


def summary(names: dict[str, str], days: dict[int, str]) -> str:
    """The verdicts grouped by verdict, then by the days a security got it, in order."""
    heads = {tm.VERDICTS[0]: "Beyond the usual echo of New York under every measure of its lead",
             tm.VERDICTS[1]: "Within the usual echo under every measure",
             tm.VERDICTS[2]: "Depending on how New York's move is measured",
             "not measured": "Not measured (too short a price history)"}
    parts = []
    for found, head in heads.items():
        groups: dict[str, list[str]] = {}
        for ticker, name in names.items():
            mine = [d for d in days if verdict(ticker, d) == found]
            if mine:
                when = ("both days" if len(mine) == len(days) > 1
                        else join([days[d] for d in mine]))
                groups.setdefault(when, []).append(name)
        if groups:
            parts.append(f"{head}: " + "; ".join(f"{join(n)} on {w}" for w, n in groups.items())
                         + ".")
    return " ".join(parts)


value(asia.TOKYO, "tk_summary")(lambda: summary(TOKYO, {0: "Monday", 1: "Tuesday"}))
value(asia.CONTAGION, "cg_short")(
    lambda: summary(REOPENED, {0: "their first session back"}))
