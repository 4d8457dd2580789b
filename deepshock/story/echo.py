"""How a chapter states the one model's answer (`story.transmission`) for a market-day.

Each market's answer is stated once, in the chapter that tells its story (`OWNER`); other pages
link to it. A chapter glues the answer under keys `tm_<security>_d<day>_<field>` (`key`), so a
test can compare every glued value with `transmission.answer` and check that no other page
states one:

* `total`: the move (the effect on that market: New York's own move was the reaction to the
  news), `band`: the half-width of a normal day's 95% range around it;
* `echo_cc`, `echo_oc`: the usual echo of New York, `excess_cc`, `excess_oc`: what the market
  added beyond it, with the close-to-close and the open-to-close lead, as "-2.9%, 95% CI -3.8%
  to -2.0%" (the intraday bound, which needs intraday prices, is in the tables);
* `verdict`: the model's rule across the bounds.

`table` lays out every bound of several market-days (one row per bound); `slopes` the slopes'
stability (the estimation window's slopes with OLS and HC3 standard errors, and their range
over calendar years).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..methods import transmission as tm
from . import transmission as tr

OWNER = {"Tokyo": "tokyo", "Seoul": "contagion", "Taipei": "contagion",
         "Hong Kong": "contagion", "Shanghai": "contagion", "Europe": "contagion"}
BOUND_WORDS = {"cc": "close to close", "oc": "open to close", "intraday": "index contract"}
LEAD_WORDS = {"cc": "New York close to close", "oc": "New York open to close",
              "intraday": "US index contract over the same hours"}


def slug(ticker: str) -> str:
    """A ticker as a glue-key part: '^N225' -> 'N225', '6857.T' -> '6857T'."""
    return re.sub(r"[^0-9A-Za-z]", "", ticker)


def key(ticker: str, day: int, field: str) -> str:
    return f"tm_{slug(ticker)}_d{day}_{field}"


def percent(x: float) -> str:
    """-0.0291 -> '-2.9%' (signed, one decimal)."""
    return f"{_r(x):+.1f}%"


def _r(x: float) -> float:
    """Percent rounded to one decimal, without a negative zero."""
    return round(float(x) * 100, 1) + 0.0


def interval(lo: float, hi: float) -> str:
    """'[-4.4, -1.4]': a 95% interval in percent."""
    return f"[{_r(lo):+.1f}, {_r(hi):+.1f}]"


def _rows(ticker: str, day: int) -> pd.DataFrame:
    rows = tr.security(ticker, tr.NEWS_UTC, (day,))
    if rows.empty:
        raise ValueError(f"{ticker}: no session {day} after the news")
    return rows


def _stated(row: pd.Series, what: str) -> str:
    """One quantity under one bound, for brackets in prose: '-2.9%, 95% CI -3.8% to -2.0%'."""
    return (f"{percent(row[what])}, 95% CI {percent(row[f'{what}_lo'])} to "
            f"{percent(row[f'{what}_hi'])}")


def texts(ticker: str, day: int) -> dict[str, str]:
    """The glue of one market-day: `total`, `band`, `verdict`, and for the close-to-close and
    open-to-close bounds `echo_<bound>` and `excess_<bound>` (the intraday bound, which an
    edition without intraday prices lacks, is in the tables). A security without a full
    estimation window gets its total and the verdict "not measured"."""
    rows = _rows(ticker, day)
    first = rows.iloc[0]
    out = {key(ticker, day, "total"): percent(first["total"]),
           key(ticker, day, "verdict"): _verdict(rows)}
    if first["bound"] == "none":
        return out
    out[key(ticker, day, "band")] = f"{(first['total_hi'] - first['total']) * 100:.1f}%"
    for _, r in rows.loc[rows["bound"].isin(["cc", "oc"])].iterrows():
        out[key(ticker, day, f"echo_{r['bound']}")] = _stated(r, "predicted")
        out[key(ticker, day, f"excess_{r['bound']}")] = _stated(r, "excess")
    return out


def _verdict(rows: pd.DataFrame) -> str:
    if (rows["bound"] == "none").any():
        return "not measured"
    return tm.verdict(rows["excess_lo"], rows["excess_hi"])


CLAUSES = {tm.VERDICTS[0]: "went beyond the usual echo under every measure of the lead",
           tm.VERDICTS[1]: "stayed within the usual echo under every measure of the lead",
           tm.VERDICTS[2]: ("went beyond the usual echo or stayed within it depending on how "
                            "New York's move is measured"),
           "not measured": "could not be measured"}


def verdict_clause(verdict: str) -> str:
    """A verdict as a predicate: 'stayed within the usual echo under every measure ...'."""
    return CLAUSES[verdict]


def bounds_available() -> tuple[str, ...]:
    """The bounds of the lead in this edition (the intraday one needs the intraday prices)."""
    return tr._bounds()


# --- tables -------------------------------------------------------------------------------------

def _window(row: pd.Series) -> str:
    """The New York sessions inside the lead window: 'Mon 27 Jan' or 'Fri 24-Thu 30 Jan (5)';
    for the intraday bound, the window's own hours in UTC."""
    if row["bound"] == "intraday":
        code = tr.sessions.code(row["ticker"])
        start = tr.sessions.close_utc(code, row["prev_date"])
        end = tr.sessions.close_utc(code, row["date"])
        return f"{start:%a %-d %H:%M}–{end:%a %-d %H:%M} UTC"
    if not row["ny_sessions"]:
        return "none"
    if row["ny_sessions"] == 1:
        return f"{row['ny_last']:%a %-d %b}"
    return f"{row['ny_first']:%a %-d}–{row['ny_last']:%a %-d %b} ({int(row['ny_sessions'])})"


def table_frame(pairs) -> pd.DataFrame:
    """The rows `table` draws: `transmission.security` for each (ticker, day) of `pairs`."""
    frames = [_rows(t, d) for t, d in pairs]
    return pd.concat([f.assign(verdict=_verdict(f)) for f in frames], ignore_index=True)


def _lead_cell(row: pd.Series, lead: str) -> str:
    """A lead's value, marked when the model has no slope for it (a lead that is zero on
    almost every estimation row, e.g. Europe's open-to-close lead)."""
    dropped = lead in str(row.get("no_slope") or "").split(", ")
    return percent(row[f"lead_{lead}"]) + (" (no slope)" if dropped else "")


def table(pairs, names: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per (security, session, bound) for a chapter's pipe table: the New York
    sessions of the lead window, the two leads, the total with a normal day's range, the usual
    echo and the excess with their 95% intervals, and the verdict (percent, one decimal)."""
    frame = table_frame(pairs)
    names = names or {}
    out = []
    for (ticker, day), rows in frame.groupby(["ticker", "day"], sort=False):
        for i, (_, r) in enumerate(rows.iterrows()):
            top = i == 0
            measured = r["bound"] != "none"
            out.append({
                "Security, session": (f"{names.get(ticker, ticker)}, {r['date']:%a %-d %b}"
                                      + (f" ({int(r['weekdays'])} weekdays)"
                                         if r["weekdays"] > 1 else "")) if top else "",
                "Lead (New York sessions)": (f"{BOUND_WORDS[r['bound']]} ({_window(r)})"
                                             if measured else "not measured"),
                "S&P 500 lead": _lead_cell(r, "^GSPC") if measured else "",
                "SOX lead": _lead_cell(r, "^SOX") if measured else "",
                "Total [normal-day band]": (f"{percent(r['total'])} "
                                       + (interval(r["total_lo"], r["total_hi"]) if measured
                                          else "")).strip() if top else "",
                "Usual echo [95% CI]": (f"{percent(r['predicted'])} "
                                        f"{interval(r['predicted_lo'], r['predicted_hi'])}"
                                        if measured else ""),
                "Excess [95% CI]": (f"{percent(r['excess'])} "
                                    f"{interval(r['excess_lo'], r['excess_hi'])}"
                                    if measured else ""),
                "Verdict": r["verdict"] if top else ""})
    return pd.DataFrame(out)


def rounding_note(pairs, names: dict[str, str] | None = None) -> str:
    """A sentence for under a chapter's table: each figure is rounded on its own to one
    decimal, so a row's usual echo and excess can miss its total by 0.1; says how many rows do."""
    frame = table_frame(pairs)
    frame = frame.loc[frame["bound"].isin(["cc", "oc", "intraday"])]
    off = frame.loc[(frame["total"].map(_r) - frame["predicted"].map(_r)
                     - frame["excess"].map(_r)).abs() > 0.05]
    head = ("Each figure is rounded on its own to one decimal, so the usual echo and the excess "
            "can add up to a total 0.1 away from the one shown")
    if off.empty:
        return head + "; in this table they all add up."
    n = len(off)
    return head + (f"; in this table {'one row does' if n == 1 else f'{n} rows do'}.")


def join(items: list[str]) -> str:
    """'A, B and C'."""
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else items[0]


_join = join


def day_of(ticker: str, date) -> int:
    """The session number of `date` relative to the security's day 0 (day 0 = 0)."""
    frame = tr.clock.leads(ticker, tr.LEADS)
    dates = pd.DatetimeIndex(frame["date"])
    if pd.Timestamp(date) not in dates:
        raise ValueError(f"{ticker}: {pd.Timestamp(date):%Y-%m-%d} is no session in the data")
    return int(dates.get_loc(pd.Timestamp(date))) - tr.day0(frame, tr.NEWS_UTC)


def window_words(row: pd.Series) -> str:
    """The New York sessions of a lead window in words: 'New York's session of Monday
    27 January' or 'the five New York sessions from Friday 24 to Thursday 30 January'."""
    n = int(row["ny_sessions"])
    first, last = row["ny_first"], row["ny_last"]
    if n == 0:
        return "no New York session"
    if n == 1:
        return f"New York's session of {last:%A} {last.day} {last:%B}"
    words = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
             9: "nine", 10: "ten"}
    month = "" if first.month == last.month else f" {first:%B}"
    return (f"the {words.get(n, str(n))} New York sessions from {first:%A} {first.day}{month} "
            f"to {last:%A} {last.day} {last:%B}")


def summary(pairs, names: dict[str, str], days: dict[int, str]) -> str:
    """The verdicts of several market-days in one or more sentences, grouped by verdict:
    'Beyond the usual echo under every measure of the lead: Advantest on Monday. ...'."""
    heads = {tm.VERDICTS[0]: "Beyond the usual echo of New York under every measure of its lead",
             tm.VERDICTS[1]: "Within the usual echo under every measure",
             tm.VERDICTS[2]: "Depending on how New York's move is measured",
             "not measured": "Not measured (too short a price history)"}
    found: dict[str, dict[str, list[int]]] = {}
    for ticker, day in pairs:
        verdict = _verdict(_rows(ticker, day))
        found.setdefault(verdict, {}).setdefault(ticker, []).append(day)
    parts = []
    for verdict, head in heads.items():
        by_days: dict[str, list[str]] = {}
        for ticker, d in found.get(verdict, {}).items():
            when = "both days" if len(d) == len(days) > 1 else _join([days[k] for k in d])
            by_days.setdefault(when, []).append(names.get(ticker, ticker))
        if by_days:
            parts.append(f"{head}: " + "; ".join(f"{_join(n)} on {w}"
                                                 for w, n in by_days.items()) + ".")
    return " ".join(parts)


# --- stability ---------------------------------------------------------------------------------

def slope_frame(ticker: str) -> pd.DataFrame:
    """Per lead (close-to-close model): the slope over the estimation window with its OLS and
    HC3 standard errors, and the lowest and highest slope over calendar years with their
    years (`transmission.stability`)."""
    fitted, _ = tr.model(ticker, tr.NEWS_UTC, "cc")
    fit = fitted.fit
    frame = tr.clock.leads(ticker, tr.LEADS)
    zero = tr.day0(frame, tr.NEWS_UTC)
    est = frame.iloc[zero + tr.ESTIMATION[0]:zero + tr.ESTIMATION[1] + 1]
    x = fit.design(est[[f"cc_{lead}" for lead in fit.names]].to_numpy(float))
    hc3 = tm.hc3_cov(x, est["ret"].to_numpy(float) - x @ fit.params, fit.xtx_inv)
    yearly, _ = tr.stability(ticker, "cc", step=10**6)
    rows = []
    for lead in tr.LEADS:
        i = 1 + fit.names.index(lead)
        years = yearly.dropna(subset=[f"b_{lead}"])
        lo, hi = years.loc[years[f"b_{lead}"].idxmin()], years.loc[years[f"b_{lead}"].idxmax()]
        rows.append({"lead": lead, "window": fitted.slope(lead),
                     "se": float(np.sqrt(fit.s2 * fit.xtx_inv[i, i])),
                     "hc3": float(np.sqrt(hc3[i, i])), "lo": float(lo[f"b_{lead}"]),
                     "lo_year": lo["label"], "hi": float(hi[f"b_{lead}"]),
                     "hi_year": hi["label"]})
    return pd.DataFrame(rows).set_index("lead")


def slope_range(ticker: str, lead: str) -> pd.Series:
    """One row of `slope_frame`."""
    return slope_frame(ticker).loc[lead]


def slopes(tickers, names: dict[str, str] | None = None) -> pd.DataFrame:
    """`slope_frame` of several securities as a pipe table (two decimals)."""
    names = names or {}
    out = []
    for ticker in tickers:
        frame = slope_frame(ticker)
        row = {"Security": names.get(ticker, ticker)}
        for lead, word in (("^GSPC", "S&P 500"), ("^SOX", "SOX")):
            r = frame.loc[lead]
            row[f"{word} slope (OLS s.e., HC3 s.e.)"] = (f"{r['window']:.2f} ({r['se']:.2f}, "
                                                        f"{r['hc3']:.2f})")
            row[f"{word} slope by year"] = (f"{r['lo']:.2f} ({r['lo_year']}) to "
                                            f"{r['hi']:.2f} ({r['hi_year']})")
        out.append(row)
    return pd.DataFrame(out)


def lead(ticker: str, day: int, bound: str = "cc") -> pd.Series:
    """The model's row of one market-day under one bound (its leads, slopes, n, ...)."""
    rows = _rows(ticker, day)
    return rows.loc[rows["bound"] == bound].iloc[0]


def bounds_sentence() -> str:
    """Which bounds of the lead this edition has, in words."""
    if "intraday" in bounds_available():
        return ("three ways: New York's close-to-close move, its open-to-close move (without the "
                "overnight gap the local market could already see), and the US index contract's "
                "move over exactly the hours since the local market's previous close (with the "
                "close-to-close slopes, and the chip index's close-to-close move: there are no "
                "chip-index futures in the data)")
    return ("two ways: New York's close-to-close move and its open-to-close move (without the "
            "overnight gap the local market could already see); the third measure, the US index "
            "contract over the same hours, needs intraday prices, and this edition has none")
