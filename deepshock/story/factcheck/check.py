"""Check the seed article's claims (`data/claims.csv`) against the data, with rule-based verdicts.

Each claim names a metric; `METRICS` computes it from the evidence (daily closes, the
timeline, the press records, market values, an exchange calendar) and either returns a number
for `judge_number` or judges directly. Verdicts, strongest first:

* confirmed: the measurement agrees to the claim's own rounding (half its last digit), or the
  date/window/month matches, or an exchange calendar shows the closure;
* approximately: off by more than the rounding but within the claim's tolerance, a fraction
  of the claim's own size (`tolerance` "10%" = a tenth of the claimed figure), or right but
  with a caveat (the claim's `caveat`, or a grade-C share count); a move missed at the close
  but inside the session's intraday range is at most approximately (the article may quote an
  intraday figure);
* consistent: the data cannot test it fully, but what it can test agrees (press records
  of earlier losses; a month right but a "led" the data do not show);

A numeric claim off by more than its rounding is flagged as overstating or understating the
measured figure (the claim's size against the measurement's).
* not supported: no data to test it, or the only contrary evidence is marked uncertain;
* wrong: the data contradict it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from ...data import facts, load, sessions

from .. import marketvalue
from .verdicts import VERDICTS, judge_number
from .evidence import PRICES, Evidence, Finding, _day, _window, fmt, signed
from .market import _closed, _led_meltdown, _range, _worst_month
from ...data.validate import DataError, calendar_for


TIMELINE = "DeepSeek's releases as reported"


def claims() -> pd.DataFrame:
    """`data/claims.csv` as validated by `load.claims` (ids, sources, subjects, dates with data;
    the metric one of those declared in `data/datapackage.json`, which are `METRICS`' keys)."""
    return load.claims()


def _calendar(code: str, start: str, end: str) -> pd.DatetimeIndex:
    """Sessions of the exchange calendar `code` from start to end (the package's shared one)."""
    calendar = calendar_for(code, pd.Timestamp(start), pd.Timestamp(end))
    return calendar.sessions_in_range(start, end)


def evidence() -> Evidence:
    """The real evidence: the synced snapshot, the facts in data/, and exchange-calendars."""
    universe = facts.universe()
    tickers = universe["ticker"].tolist()
    bars = load.prices(tickers)
    indices = universe.loc[(universe["kind"] == "index") & (universe["ticker"] != "^VIX"),
                           "ticker"].tolist()
    return Evidence(returns=load.returns(tickers), sessions=bars[["ticker", "date"]],
                    events=facts.events(), records=facts.records(),
                    losses=marketvalue.losses(), calendar=_calendar,
                    codes=dict(zip(universe["ticker"], universe["calendar"])),
                    bars=bars[["ticker", "date", "high", "low"]], hours=_hours,
                    indices=indices, names=dict(zip(universe["ticker"], universe["name"])))


def _hours(code: str, day: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    return sessions.open_utc(code, day), sessions.close_utc(code, day)


def claimed_text(claim: pd.Series) -> str:
    """The claim's value as a reader would say it."""
    value, metric = claim["claimed"], claim["metric"]
    if metric == "close_to_close_return":
        return f"{float(value):+g}%".replace("-", "\u2212")
    if metric == "market_value_loss":
        return f"${float(value):g}bn"
    if metric == "upper_bound":
        return f"under ${float(value):g}M" if claim["unit"] == "$m" else f"under {value}"
    if metric in ("rank_since", "worst_day_month", "led_meltdown", "release_month"):
        return f"{pd.Timestamp(value + '-01'):%b %Y}"
    if metric == "release_date":
        return _day(value)
    if metric == "release_window":
        start, end = _window(value)
        return f"{start:%-d}–{_day(end)}"
    if metric == "market_closed":
        start, end = _window(claim["date"])
        return f"closed {start:%-d}–{_day(end)}" if start.month == end.month else \
            f"closed {start:%-d %b}–{_day(end)}"
    return value


# -- measurements, one per metric ---------------------------------------------------------------

def _return(claim: pd.Series, ev: Evidence) -> Finding:
    day = pd.Timestamp(claim["date"])
    row = ev.returns.loc[(ev.returns["ticker"] == claim["subject"]) & (ev.returns["date"] == day)]
    if row.empty:
        return Finding(None, "no session", PRICES, "not supported",
                       f"no {claim['subject']} session on {_day(day)} in the data")
    value = float(row["ret"].iloc[0]) * 100
    return Finding(value, fmt(value, "%"), PRICES, intraday=_range(claim["subject"], row, ev))


def _loss_row(claim: pd.Series, ev: Evidence) -> pd.Series | None:
    day = pd.Timestamp(claim["date"])
    rows = ev.losses.loc[(ev.losses["ticker"] == claim["subject"]) & (ev.losses["date"] == day)
                         & ev.losses["included"]]
    return None if rows.empty else rows.iloc[0]


def _value_loss(claim: pd.Series, ev: Evidence) -> Finding:
    row = _loss_row(claim, ev)
    if row is None:
        return Finding(None, "no figure", "closes x shares", "not supported",
                       "no market value figure for that session")
    value = float(row["loss_usd"]) / 1e9
    basis = "closes × share count"
    if row["approximate"]:
        return Finding(value, fmt(value, "$bn"), basis, "approximately",
                       "estimated share count or adjusted price level")
    return Finding(value, fmt(value, "$bn"), basis)


def _record(claim: pd.Series, ev: Evidence) -> Finding:
    row = _loss_row(claim, ev)
    day = pd.Timestamp(claim["date"])
    earlier = ev.records.loc[ev.records["date"] < day]
    if row is None or earlier.empty:
        return Finding(None, "no figure", "press records", "not supported",
                       "no loss figure or no earlier record to compare")
    value = float(row["loss_usd"]) / 1e9
    top = earlier.loc[earlier["loss_usd_bn"].idxmax()]
    ref = f"{top['company']}, {_day(top['date'])}: ${top['loss_usd_bn']:g}bn"
    if value > top["loss_usd_bn"]:
        return Finding(value, fmt(value, "$bn"), "press records", "consistent",
                       f"above the largest earlier press record ({ref})")
    return Finding(value, fmt(value, "$bn"), "press records", "wrong",
                   f"below an earlier press record ({ref})")


def _rank_since(claim: pd.Series, ev: Evidence) -> Finding:
    series = ev.returns.loc[ev.returns["ticker"] == claim["subject"]].sort_values("date")
    day = pd.Timestamp(claim["date"])
    today = series.loc[series["date"] == day, "ret"]
    if today.empty:
        return Finding(None, "no session", PRICES, "not supported", "no session that day")
    deeper = series.loc[(series["date"] < day) & (series["ret"] <= today.iloc[0])]
    if deeper.empty:
        return Finding(None, "deepest in the data", PRICES, "wrong",
                       f"no deeper fall since the data start ({_day(series['date'].min())})")
    last = deeper.iloc[-1]
    month, claimed = last["date"].to_period("M"), pd.Period(claim["claimed"], "M")
    shown = f"last deeper {_day(last['date'])} ({signed(last['ret'] * 100)})"
    reason = f"{len(deeper)} deeper session(s) in the data, the last in {month:%b %Y}"
    verdict = "confirmed" if month == claimed else "wrong" if month > claimed else "approximately"
    return Finding(None, shown, PRICES, verdict, reason)


def _event(claim: pd.Series, ev: Evidence) -> pd.Series:
    rows = ev.events.loc[ev.events["label"] == claim["subject"]]
    if len(rows) != 1:
        raise DataError(f"claim {claim['id']}: {len(rows)} events labelled {claim['subject']!r}")
    return rows.iloc[0]


def _dated(claim: pd.Series, ev: Evidence, ok: bool, extra: str = "") -> Finding:
    event = _event(claim, ev)
    verdict = "confirmed" if ok else "wrong"
    reason = f"'{event['label']}' is dated {_day(event['date'])}{extra}"
    if verdict == "wrong" and event["certainty"] != "confirmed":
        verdict, reason = "not supported", reason + f"; source {event['certainty']}"
    return Finding(None, _day(event["date"]), TIMELINE, verdict, reason)


def _release_date(claim: pd.Series, ev: Evidence) -> Finding:
    claimed = pd.Timestamp(claim["claimed"])
    same_day = ev.events.loc[ev.events["date"] == claimed, "label"].tolist()
    extra = f"; {_day(claimed)} is the '{same_day[0]}'" if same_day else ""
    return _dated(claim, ev, _event(claim, ev)["date"] == claimed, extra)


def _release_month(claim: pd.Series, ev: Evidence) -> Finding:
    month = _event(claim, ev)["date"].to_period("M")
    return _dated(claim, ev, month == pd.Period(claim["claimed"], "M"))


def _release_window(claim: pd.Series, ev: Evidence) -> Finding:
    start, end = _window(claim["claimed"])
    inside = start <= _event(claim, ev)["date"] <= end
    return _dated(claim, ev, inside, "" if inside else ", outside the window")


def _upper_bound(claim: pd.Series, ev: Evidence) -> Finding:
    event = _event(claim, ev)
    found = re.search(r"\$(\d+(?:\.\d+)?)M", event["description"])
    if not found:
        raise DataError(f"claim {claim['id']}: no $...M figure in event {event['label']!r}")
    value = float(found.group(1))
    ok = value < float(claim["claimed"])
    return Finding(value, fmt(value, "$m"), TIMELINE,
                   "confirmed" if ok else "wrong",
                   f"'{event['label']}' gives {fmt(value, '$m')}" if ok else
                   f"'{event['label']}' gives more")


METRICS: dict[str, Callable[[pd.Series, Evidence], Finding]] = {
    "close_to_close_return": _return, "market_value_loss": _value_loss, "record_loss": _record,
    "rank_since": _rank_since, "worst_day_month": _worst_month, "release_date": _release_date,
    "release_month": _release_month, "release_window": _release_window,
    "upper_bound": _upper_bound, "market_closed": _closed, "led_meltdown": _led_meltdown,
}


def tolerance(text: str) -> float | None:
    """A claims.csv tolerance (declared as a percentage) as a fraction of the claim's size:
    '10%' -> 0.1; None if empty."""
    text = str(text).strip()
    return float(text.removesuffix("%")) / 100 if text else None


def _number(text: str) -> float | None:
    return float(text) if str(text).strip() else None


def verdict(claim: pd.Series, found: Finding) -> tuple[str, str, str]:
    """Apply the rules to one measured claim: (verdict, reason, flag). A caveat, a grade-C
    count or an adjusted level caps 'confirmed' at 'approximately'; a move wrong at the close
    but inside the session's range is 'approximately', said to be possibly intraday."""
    flag = ""
    if found.measured is not None and found.verdict in (None, "approximately") and \
            claim["metric"] in ("close_to_close_return", "market_value_loss"):
        claimed = float(claim["claimed"])
        result, reason, flag = judge_number(claimed, found.measured, float(claim["precision"]),
                                            tolerance(claim["tolerance"]), claim["unit"])
        if found.verdict == "approximately" and result == "confirmed":
            result, reason = "approximately", f"{reason}; {found.reason}"
        if found.intraday is not None and result != "confirmed":
            low, high = found.intraday
            inside = low <= claimed <= high
            reason += (f"; the session ranged from {signed(low)} to {signed(high)}, so the claim "
                       + ("fits an intraday move (the article may quote one)" if inside
                          else "lies outside even the intraday range"))
            if inside and result == "wrong":
                result = "approximately"
        elif found.intraday is not None and claimed != found.measured:
            low, high = found.intraday
            reason += f"; close {signed(found.measured)}, intraday low {signed(low)}"
    else:
        result, reason = found.verdict, found.reason
    if claim["caveat"].strip() and result == "confirmed":
        result, reason = "approximately", f"{reason}, but {claim['caveat']}"
    return result, reason, flag


def check(table: pd.DataFrame | None = None, ev: Evidence | None = None) -> pd.DataFrame:
    """Every claim with its claimed and measured value, verdict, reason and evidence basis."""
    table = claims() if table is None else table
    ev = ev or evidence()
    out = []
    for _, claim in table.iterrows():
        found = METRICS[claim["metric"]](claim, ev)
        result, reason, flag = verdict(claim, found)
        out.append({"id": claim["id"], "claim": claim["claim"], "metric": claim["metric"],
                    "subject": claim["subject"], "date": claim["date"],
                    "claimed": claimed_text(claim), "claimed_value": _number(
                        claim["claimed"]) if claim["unit"] else None,
                    "measured": found.shown, "measured_value": found.measured,
                    "verdict": result, "flag": flag, "reason": reason,
                    "basis": found.basis})
    return pd.DataFrame(out)


def counts(results: pd.DataFrame) -> dict[str, int]:
    """Number of claims per verdict, in the order of VERDICTS."""
    return {v: int((results["verdict"] == v).sum()) for v in VERDICTS}
