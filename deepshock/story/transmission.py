"""The one answer per market-day: how much of each market's move was the usual echo of New York.

Every market's sessions sit on one UTC clock (`data.clock`); the statistics are
`methods.transmission`. For an event whose news time is in UTC (NEWS_UTC: the DeepSeek
shock's row of `data/shocks.csv`, read through `data.event`):

* day 0 of a security = its first session whose close comes after the news; day 1 = the next
  (Tokyo: Monday 27 January, before New York traded, then Tuesday 28 January, the first session
  after New York's Monday; Seoul: Friday 31 January, spanning its Lunar New Year closure;
  Taipei: Monday 3 February);
* the model R = a + b_spx L_spx + b_sox L_sox + e is fitted on the security's own sessions
  [-250, -11] of that day 0 (the event study's window), once per bound of the lead:
  "cc" (New York close to close over the lead window) and "oc" (open to close); the third,
  "intraday", replaces the S&P 500 lead by the S&P 500 CFD's move over exactly the lead window
  and keeps the cc slopes (the CFD files cover January-February 2025 only, so no slope can be
  fitted on them; the CFD move over the window is the cc lead measured at the local closes
  instead of at New York's) and the SOX's close-to-close lead (there are no chip-index futures
  in the data);
* the own gap variance matches returns spanning closures (Seoul's and Taipei's reopenings).

`answers` gives one row per (security, day, bound); `stability` the slopes by year and on a
rolling window; `placebo` the same model on every past Lunar New Year and Chuseok reopening of
Seoul and Taipei. The excess is what a market added beyond the usual echo; it is not "the
effect of DeepSeek", since New York's own move was the reaction to it.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from ..data import artefacts, clock, event, facts, sessions
from ..methods import transmission as tm

# The book's event, read once from data/shocks.csv (`data.event`): when the news was public, UTC.
NEWS_UTC = event.news()
ESTIMATION = (-250, -11)    # the event study's window, in the security's own sessions
BOUNDS = ("cc", "oc", "intraday")
LEADS = clock.LEADS
MARKETS = {"Tokyo": ("XTKS",), "Seoul": ("XKRX",), "Taipei": ("XTAI",),
           "Hong Kong": ("XHKG",), "Shanghai": ("XSHG",), "Europe": ("XETR", "XPAR")}
REOPENING = ("Seoul", "Taipei")
MIN_CLOSED = 3              # weekdays without a session that make a reopening (placebo)
YEAR_MIN_ROWS = 60          # fewer sessions in a year: no slope for that year


def markets() -> dict[str, tuple[str, ...]]:
    """Market -> its securities in the universe (the index first), by calendar code."""
    uni = facts.universe()
    rows = list(zip(uni["ticker"], uni["kind"], uni["calendar"]))
    return {market: tuple(t for t, k, c in sorted(rows, key=lambda r: r[1] != "index")
                          if c in codes) for market, codes in MARKETS.items()}


def market_of(ticker: str) -> str:
    code = sessions.code(ticker)
    return next(m for m, codes in MARKETS.items() if code in codes)


def day0(frame: pd.DataFrame, news: pd.Timestamp) -> int:
    """Row position of the first session whose close comes after `news` (UTC)."""
    after = (frame["close_utc"] > news).to_numpy()
    if not after.any():
        raise ValueError(f"no session closes after {news}")
    return int(after.argmax())


class ShortHistory(ValueError):
    """The security's prices begin too late for the estimation window."""


def _columns(bound: str) -> list[str]:
    prefix = "cc" if bound == "intraday" else bound
    return [f"{prefix}_{lead}" for lead in LEADS]


@cache
def model(ticker: str, news: pd.Timestamp, bound: str) -> tuple[tm.Model, int]:
    """(fitted model, day-0 position) of `ticker` for the event at `news`, under `bound`
    ("cc" or "oc"; "intraday" uses the cc model)."""
    if bound == "intraday":
        return model(ticker, news, "cc")
    frame = clock.leads(ticker, LEADS)
    zero = day0(frame, news)
    lo, hi = zero + ESTIMATION[0], zero + ESTIMATION[1]
    if lo < 0:
        raise ShortHistory(f"{ticker}: {-lo} sessions short of the estimation window before "
                         f"{frame['date'].iloc[zero]:%Y-%m-%d}")
    past = frame.iloc[:hi + 1]
    leads = past[_columns(bound)].set_axis(list(LEADS), axis=1)
    est = np.zeros(len(past), bool)
    est[lo:] = True
    return tm.estimate(past["ret"], leads, past["weekdays"], est), zero


def _bounds() -> tuple[str, ...]:
    return BOUNDS if clock.intraday_available() else BOUNDS[:2]


@cache
def _arrays(ticker: str) -> dict[str, np.ndarray]:
    """The clock's columns of `ticker` as arrays (read-only use)."""
    frame = clock.leads(ticker, LEADS)
    return {c: frame[c].to_numpy() for c in frame.columns}


INFO = ("date", "prev_date", "weekdays", "ny_first", "ny_last", "ny_sessions")


def _rows(ticker: str, news: pd.Timestamp, days) -> list[dict]:
    """The rows of `answers` for one security, as dicts."""
    cols = _arrays(ticker)
    rows = []
    for bound in _bounds():
        try:
            fitted, zero = model(ticker, news, bound)
        except ShortHistory as exc:
            zero = day0(pd.DataFrame({"close_utc": cols["close_utc"]}), news)
            return [{"ticker": ticker, "day": d, **{c: cols[c][zero + d] for c in INFO},
                     "bound": "none", "total": cols["ret"][zero + d], "reason": str(exc)}
                    for d in days if zero + d < len(cols["ret"])]
        at = np.array([zero + d for d in days if zero + d < len(cols["ret"])], int)
        x = np.column_stack([cols[c][at].astype(float) for c in _columns(bound)])
        same = np.full(len(at), np.nan)
        if bound == "intraday":
            intra = clock.intraday_leads(ticker, cols["date"][at])
            x[:, LEADS.index("^GSPC")] = intra["id_^GSPC"].to_numpy(float)
            same = intra["same_hours"].to_numpy(float)
        for i, pos in enumerate(at):
            if not np.isfinite(x[i]).all():
                continue   # the intraday bars do not cover this row
            got = tm.evaluate(fitted, cols["ret"][pos:pos + 1], x[i:i + 1],
                              cols["weekdays"][pos:pos + 1])
            rows.append({"ticker": ticker, "day": days[i], **{c: cols[c][pos] for c in INFO},
                         "bound": bound, **{f"lead_{k}": x[i, j] for j, k in enumerate(LEADS)},
                         "same_hours": same[i], **{f"b_{k}": fitted.slope(k) for k in LEADS},
                         "no_slope": ", ".join(fitted.dropped), **got})
    return rows


def security(ticker: str, news: pd.Timestamp = NEWS_UTC, days=(0, 1)) -> pd.DataFrame:
    """The rows of `answers` for one security (see there)."""
    return pd.DataFrame(_rows(ticker, pd.Timestamp(news), tuple(days)))


def answers(news: pd.Timestamp = NEWS_UTC, tickers: tuple[str, ...] | None = None,
            days=(0, 1)) -> pd.DataFrame:
    """One row per (security, day, bound): market, ticker, name, day, date, prev_date,
    weekdays, the New York sessions the lead window spans (ny_first, ny_last, ny_sessions),
    bound, the lead values (lead_^GSPC, lead_^SOX; same_hours for the intraday bound), the
    slopes (no_slope: leads without one), total / predicted / excess with their 95% CIs, se,
    t, df, p, h (the gap scale), n, gaps_used, and the verdict per (security, day) across the
    bounds available ("not measured", with a `reason`, for a security whose prices begin too
    late for the estimation window: its total is still given). Fractions throughout. Default:
    every security of MARKETS, days 0 and 1 of the DeepSeek news."""
    where = {t: m for m, ts in markets().items() for t in ts}
    tickers = tickers or tuple(where)
    news = pd.Timestamp(news)
    table = pd.DataFrame([r for t in tickers for r in _rows(t, news, tuple(days))])
    names = facts.universe().set_index("ticker")["name"]
    table.insert(0, "name", table["ticker"].map(names))
    table.insert(0, "market", table["ticker"].map(lambda t: where.get(t) or market_of(t)))
    table["verdict"] = _verdicts(table)
    return table


def _verdicts(table: pd.DataFrame) -> np.ndarray:
    """`methods.transmission.verdict` per (security, day) over its bounds, on every row."""
    codes, _ = pd.factorize(table["ticker"] + "|" + table["day"].astype(str))
    lo, hi = table["excess_lo"].to_numpy(float), table["excess_hi"].to_numpy(float)
    none = (table["bound"] == "none").to_numpy()
    out = np.empty(len(table), object)
    for code in np.unique(codes):
        sel = codes == code
        out[sel] = "not measured" if none[sel].any() else tm.verdict(lo[sel], hi[sel])
    return out


def answer(ticker: str, day: int = 0, bound: str = "cc", news: pd.Timestamp = NEWS_UTC
           ) -> pd.Series:
    """One row of `answers` (what a chapter glues for a market-day)."""
    table = security(ticker, pd.Timestamp(news), (day,))
    return table.loc[table["bound"] == bound].iloc[0]


# --- stability and the reopening placebo -------------------------------------------------------

def stability(ticker: str, bound: str = "cc", news: pd.Timestamp = NEWS_UTC,
              window: int = 250, step: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(slopes by calendar year 2020..2024 and 2025 up to day -11, rolling `window`-session
    slopes ending up to day -11), each with OLS and HC3 standard errors. A year with fewer
    than YEAR_MIN_ROWS sessions gets no slope (2025 before the estimation end has a handful).
    Rows of December 2019 (the data's first month) are left out of the years."""
    frame = clock.leads(ticker, LEADS)
    zero = day0(frame, pd.Timestamp(news))
    past = frame.iloc[:zero + ESTIMATION[1] + 1]
    past = past.loc[np.isfinite(past[_columns(bound)].to_numpy(float)).all(axis=1)]
    leads = past[_columns(bound)].set_axis(list(LEADS), axis=1)
    years = past["date"].dt.year.to_numpy()
    keep = years >= 2020
    labels = np.where(years[keep] == years.max(),
                      f"{years.max()} to day {ESTIMATION[1]}", years[keep].astype(str))
    yearly = tm.by_group(past["ret"].to_numpy()[keep], leads.loc[keep], labels, YEAR_MIN_ROWS)
    roll = tm.rolling(past["ret"], leads, window, step)
    roll.insert(1, "date", past["date"].to_numpy()[roll["end"].to_numpy()])
    return yearly, roll


def reopenings(ticker: str, news: pd.Timestamp = NEWS_UTC) -> pd.DataFrame:
    """Sessions of `ticker` before the news's day 0 whose return follows at least MIN_CLOSED
    weekdays without a session: weekdays strictly between the two price rows on which the
    exchange calendar lists no session either (so a missing price is never taken for a
    closure; where the calendar lists a day the data lack, e.g. Taipei's settlement-only day
    of 4 February 2022, the closure counts one day shorter). Columns: date, prev_date,
    closed (weekdays), holiday (by month: Lunar New Year in January-February, Chuseok in
    Seoul in September-October, else "other closure"), pos (row position)."""
    frame = clock.leads(ticker, LEADS)
    zero = day0(frame, pd.Timestamp(news))
    code = sessions.code(ticker)
    date, prev = frame["date"].to_numpy("datetime64[D]"), frame["prev_date"].to_numpy("datetime64[D]")
    listed = sessions.calendar(code).sessions
    inside = listed[listed.day_of_week < 5].to_numpy("datetime64[D]")
    closed = (np.busday_count(prev + 1, date)            # weekdays strictly between the rows
              - (np.searchsorted(inside, date, "left") - np.searchsorted(inside, prev, "right")))
    pick = np.flatnonzero((closed >= MIN_CLOSED) & (np.arange(len(frame)) < zero))
    closed = closed[pick]
    months = frame["date"].dt.month.to_numpy()[pick]
    holiday = np.select([np.isin(months, (1, 2)), np.isin(months, (9, 10)) & (code == "XKRX")],
                        ["Lunar New Year", "Chuseok"], "other closure")
    return pd.DataFrame({"date": frame["date"].to_numpy()[pick],
                         "prev_date": frame["prev_date"].to_numpy()[pick], "closed": closed,
                         "holiday": holiday, "pos": pick})


def _placebo_tests(news: pd.Timestamp) -> pd.DataFrame:
    """The placebo's test rows (see `placebo`): every tested reopening of a security, per
    bound, in one batched solve (`methods.transmission.evaluate_many`, tested against one
    `model` fit per reopening in tests/test_transmission_batch.py)."""
    rows = []
    for market in REOPENING:
        for ticker in markets()[market]:
            frame = clock.leads(ticker, LEADS)
            found = reopenings(ticker, news)
            short = (found["pos"] + ESTIMATION[0] < 0).to_numpy()
            zeros = np.array([day0(frame, frame["prev_close_utc"].iloc[p])
                              for p in found["pos"].to_numpy()[~short]], int)
            tested = {bound: tm.evaluate_many(frame["ret"], frame[_columns(bound)],
                                              frame["weekdays"], zeros, ESTIMATION
                                              ).to_dict("records") for bound in BOUNDS[:2]}
            i = 0
            for r, none in zip(found.itertuples(), short):
                head = {"market": market, "ticker": ticker}
                if none:                                  # listed, untested: no full window
                    rows.append({**head, "date": r.date, "holiday": r.holiday,
                                 "closed": r.closed, "bound": "none"})
                    continue
                for bound in BOUNDS[:2]:
                    rows.append({**head, "date": frame["date"].iloc[zeros[i]],
                                 "holiday": r.holiday, "closed": r.closed, "bound": bound,
                                 **tested[bound][i]})
                i += 1
    return pd.DataFrame(rows)


def placebo(news: pd.Timestamp = NEWS_UTC) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per security x past reopening x bound: excess, se, t, p, h, and bound "none"
    for a reopening without a full estimation window before it; the rejection rates at
    1/5/10% per bound with their binomial error). Every Seoul and Taipei security and every
    reopening of `reopenings`; the same model, window and own gap variance as `answers`, with
    the reopening as day 0 (news = the close before it). Tests of one market on one date share
    the day's news, so they are not independent: the binomial error is a floor. The rows are
    kept in the artefact store (`artefacts.keep`: the key hashes the arguments, this whole
    package's source, the data and the facts files)."""
    news = pd.Timestamp(news)
    tests = artefacts.keep("transmission-placebo", lambda: _placebo_tests(news), news,
                           ESTIMATION, BOUNDS, MARKETS, REOPENING, MIN_CLOSED)
    rates = pd.concat([tm.rejection_rates(g["p"]).assign(bound=b)
                       for b, g in tests.groupby("bound", sort=False) if b != "none"],
                      ignore_index=True)
    return tests, rates
