"""Check the seed article's claims (`data/claims.csv`) against the data, with rule-based verdicts.

Each claim names a metric; `measure` computes it from the evidence (snapshot prices, the
timeline, the press records, market values, an exchange calendar) and either returns a number
for `judge_number` or judges directly. Verdicts, strongest first:

* confirmed: the measurement agrees to the claim's own rounding (half its last digit), or the
  date/window/month matches;
* approximately: off by more than the rounding but within the claim's stated tolerance, or
  right but with a caveat (the claim's `caveat`, or a grade-C share count);
* consistent: the snapshot cannot test it, but a secondary reference agrees (press records of
  earlier losses, an exchange calendar);
* not supported: no data to test it, or the only contrary evidence is marked uncertain;
* wrong: the data contradict it.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import altair as alt
import pandas as pd

from ..data import facts, load

from . import marketvalue
from .charts import finish
from ..data.paths import facts_dir
from ..data.validate import DataError

VERDICTS = ("confirmed", "approximately", "consistent", "not supported", "wrong")
COLORS = {"confirmed": "#009E73", "approximately": "#E69F00", "consistent": "#56B4E9",
          "not supported": "#555555", "wrong": "#D55E00"}
SHAPES = {"confirmed": "circle", "approximately": "diamond", "consistent": "square",
          "not supported": "cross", "wrong": "triangle-down"}
PRICES = "Yahoo closes (snapshot)"


def claims() -> pd.DataFrame:
    """`data/claims.csv` as validated by `load.claims` (ids, sources, subjects, dates with data),
    with every metric one this module can measure."""
    table = load.claims()
    for i, metric in table["metric"].items():
        if metric not in METRICS:
            raise DataError(f"{facts_dir() / 'claims.csv'}: line {i + 2}: "
                            f"unknown metric {metric!r}")
    return table


@dataclass
class Evidence:
    """Everything the checks read; tests pass small made-up frames instead of the real data."""
    returns: pd.DataFrame            # load.returns(): ticker, date, prev_date, ..., ret
    sessions: pd.DataFrame           # ticker, date of every bar a security traded
    events: pd.DataFrame             # facts.events()
    records: pd.DataFrame            # facts.records()
    losses: pd.DataFrame             # marketvalue.losses()
    calendar: Callable[[str, str, str], pd.DatetimeIndex] | None = None


def _calendar(code: str, start: str, end: str) -> pd.DatetimeIndex:
    import exchange_calendars as xcals

    with warnings.catch_warnings():  # the library's own pandas deprecation notices
        warnings.simplefilter("ignore")
        return xcals.get_calendar(code, start="2024-01-01").sessions_in_range(start, end)


def evidence() -> Evidence:
    """The real evidence: the synced snapshot, the facts in data/, and exchange-calendars."""
    tickers = facts.universe()["ticker"].tolist()
    return Evidence(returns=load.returns(tickers),
                    sessions=load.prices(tickers)[["ticker", "date"]],
                    events=facts.events(), records=facts.records(),
                    losses=marketvalue.losses(), calendar=_calendar)


@dataclass(frozen=True)
class Finding:
    measured: float | None           # for numeric claims, in the claim's unit
    shown: str                       # the measurement as printed in the table
    basis: str
    verdict: str | None = None       # set when the metric is judged directly
    reason: str = ""


def _day(stamp) -> str:
    return f"{pd.Timestamp(stamp):%-d %b %Y}"


def _window(text: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    start, _, end = text.partition("..")
    return pd.Timestamp(start), pd.Timestamp(end or start)


def fmt(value: float, unit: str) -> str:
    """A measured or claimed number in the claim's unit: '-16.97%', '$592.7bn', '$5.576m'."""
    if unit == "%":
        return f"{value:+.2f}%"
    if unit == "$bn":
        return f"${value:,.1f}bn"
    if unit == "$m":
        return f"${value:,.3f}m"
    return f"{value:g}"


def claimed_text(claim: pd.Series) -> str:
    """The claim's value as a reader would say it."""
    value, metric = claim["claimed"], claim["metric"]
    if metric == "close_to_close_return":
        return f"{float(value):+g}%"
    if metric == "market_value_loss":
        return f"${float(value):g}bn"
    if metric == "upper_bound":
        return f"under ${float(value):g}m" if claim["unit"] == "$m" else f"under {value}"
    if metric in ("rank_since", "worst_day_month", "release_month"):
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
                       f"no {claim['subject']} session on {_day(day)} in the snapshot")
    value = float(row["ret"].iloc[0]) * 100
    return Finding(value, fmt(value, "%"), PRICES)


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
    basis = f"closes x shares (grade {row['grade']})"
    if row["approximate"]:
        return Finding(value, fmt(value, "$bn"), basis, "approximately",
                       f"share count grade {row['grade']} or adjusted price level")
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
        return Finding(value, fmt(value, "$bn"), "press records (data/records.csv)", "consistent",
                       f"above the largest earlier press record ({ref})")
    return Finding(value, fmt(value, "$bn"), "press records (data/records.csv)", "wrong",
                   f"below an earlier press record ({ref})")


def _rank_since(claim: pd.Series, ev: Evidence) -> Finding:
    series = ev.returns.loc[ev.returns["ticker"] == claim["subject"]].sort_values("date")
    day = pd.Timestamp(claim["date"])
    today = series.loc[series["date"] == day, "ret"]
    if today.empty:
        return Finding(None, "no session", PRICES, "not supported", "no session that day")
    deeper = series.loc[(series["date"] < day) & (series["ret"] <= today.iloc[0])]
    if deeper.empty:
        return Finding(None, "deepest in snapshot", PRICES, "wrong",
                       f"no deeper fall since the snapshot starts ({_day(series['date'].min())})")
    last = deeper.iloc[-1]
    month, claimed = last["date"].to_period("M"), pd.Period(claim["claimed"], "M")
    shown = f"last deeper {_day(last['date'])} ({last['ret'] * 100:+.2f}%)"
    reason = f"{len(deeper)} deeper session(s) in the snapshot, the last in {month:%b %Y}"
    verdict = "confirmed" if month == claimed else "wrong" if month > claimed else "approximately"
    return Finding(None, shown, PRICES, verdict, reason)


def _worst_month(claim: pd.Series, ev: Evidence) -> Finding:
    start, end = _window(claim["date"])
    series = ev.returns.loc[(ev.returns["ticker"] == claim["subject"])
                            & ev.returns["date"].between(start, end)]
    if series.empty:
        return Finding(None, "no sessions", PRICES, "not supported", "no sessions in the window")
    worst = series.loc[series["ret"].idxmin()]
    same = worst["date"].to_period("M") == pd.Period(claim["claimed"], "M")
    return Finding(None, f"worst {_day(worst['date'])} ({worst['ret'] * 100:+.2f}%)",
                   PRICES, "confirmed" if same else "wrong",
                   f"the worst session of {start:%Y} is {'in' if same else 'not in'} "
                   "the claimed month")


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
    return Finding(None, _day(event["date"]), "timeline (data/events.csv)", verdict, reason)


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
    return Finding(value, fmt(value, "$m"), "timeline (data/events.csv)",
                   "confirmed" if ok else "wrong",
                   f"'{event['label']}' gives {fmt(value, '$m')}" if ok else
                   f"'{event['label']}' gives more")


def _closed(claim: pd.Series, ev: Evidence) -> Finding:
    start, end = _window(claim["date"])
    subjects = claim["subject"].split(";")
    known = set(ev.sessions["ticker"])
    if not set(subjects) <= known:
        if ev.calendar is None:
            return Finding(None, "no data", "none", "not supported", "no prices for that market")
        code = claim["subject"]
        inside = ev.calendar(code, str(start.date()), str(end.date()))
        after = ev.calendar(code, str((end + pd.Timedelta(days=1)).date()),
                            str((end + pd.Timedelta(days=14)).date()))
        shown = f"{len(inside)} {code} sessions"
        shown += f"; reopens {_day(after[0])}" if len(after) else ""
        if len(inside):
            return Finding(None, shown, f"exchange calendar {code}", "wrong",
                           f"the {code} calendar has sessions in the window")
        return Finding(None, shown, f"exchange calendar {code}", "consistent",
                       f"no prices in the snapshot; the {code} calendar agrees")
    rows = ev.sessions.loc[ev.sessions["ticker"].isin(subjects)]
    inside = rows.loc[rows["date"].between(start, end)]
    after = rows.loc[rows["date"] > end, "date"]
    if not inside.empty:
        first = inside.iloc[0]
        return Finding(None, f"{first['ticker']} traded {_day(first['date'])}",
                       "rows in the snapshot", "wrong", "the snapshot has sessions in the window")
    if after.empty or (rows["date"] < start).sum() == 0:
        return Finding(None, "no coverage", "rows in the snapshot", "not supported",
                       "the snapshot does not cover both sides of the window")
    return Finding(None, f"no rows; reopens {_day(after.min())}", "rows in the snapshot",
                   "confirmed", f"no rows for {', '.join(subjects)} in the window")


METRICS: dict[str, Callable[[pd.Series, Evidence], Finding]] = {
    "close_to_close_return": _return, "market_value_loss": _value_loss, "record_loss": _record,
    "rank_since": _rank_since, "worst_day_month": _worst_month, "release_date": _release_date,
    "release_month": _release_month, "release_window": _release_window,
    "upper_bound": _upper_bound, "market_closed": _closed,
}


def judge_number(claimed: float, measured: float, precision: float, tolerance: float | None,
                 unit: str) -> tuple[str, str]:
    """Confirmed within half the claim's last digit, approximately within the tolerance."""
    diff = abs(measured - claimed)
    suffix = {"%": " pp", "$bn": "bn", "$m": "m"}.get(unit, "")
    if diff <= precision / 2 + 1e-9:
        return "confirmed", f"within the claim's rounding (±{precision / 2:g}{suffix})"
    off = f"off by {diff:.3g}{suffix}"
    if tolerance is not None and diff <= tolerance:
        return "approximately", f"{off}; tolerance ±{tolerance:g}{suffix}"
    limit = f"beyond ±{tolerance:g}{suffix}" if tolerance is not None else "no tolerance stated"
    return "wrong", f"{off}, {limit}"


def _number(text: str) -> float | None:
    return float(text) if str(text).strip() else None


def verdict(claim: pd.Series, found: Finding) -> tuple[str, str]:
    """Apply the rules to one measured claim; a caveat caps 'confirmed' at 'approximately'."""
    if found.measured is not None and found.verdict in (None, "approximately") and \
            claim["metric"] in ("close_to_close_return", "market_value_loss"):
        result, reason = judge_number(float(claim["claimed"]), found.measured,
                                      float(claim["precision"]), _number(claim["tolerance"]),
                                      claim["unit"])
        if found.verdict == "approximately" and result == "confirmed":
            result, reason = "approximately", f"{reason}; {found.reason}"
    else:
        result, reason = found.verdict, found.reason
    if claim["caveat"].strip() and result == "confirmed":
        result, reason = "approximately", f"{reason}, but {claim['caveat']}"
    return result, reason


def check(table: pd.DataFrame | None = None, ev: Evidence | None = None) -> pd.DataFrame:
    """Every claim with its claimed and measured value, verdict, reason and evidence basis."""
    table = claims() if table is None else table
    ev = ev or evidence()
    out = []
    for _, claim in table.iterrows():
        found = METRICS[claim["metric"]](claim, ev)
        result, reason = verdict(claim, found)
        out.append({"id": claim["id"], "claim": claim["claim"], "metric": claim["metric"],
                    "subject": claim["subject"], "date": claim["date"],
                    "claimed": claimed_text(claim), "claimed_value": _number(
                        claim["claimed"]) if claim["unit"] else None,
                    "measured": found.shown, "measured_value": found.measured,
                    "verdict": result, "reason": reason, "basis": found.basis})
    return pd.DataFrame(out)


def counts(results: pd.DataFrame) -> dict[str, int]:
    """Number of claims per verdict, in the order of VERDICTS."""
    return {v: int((results["verdict"] == v).sum()) for v in VERDICTS}


def results_table(results: pd.DataFrame) -> str:
    """The results as a MyST table with fixed column widths (fits a PDF page)."""
    rows = [[r["claim"], f"{r['claimed']} → {r['measured']}", f"**{r['verdict']}**", r["reason"]]
            for _, r in results.iterrows()]
    header = ["Claim (paraphrased)", "Reported → measured", "Verdict", "Why"]
    return marketvalue.list_table(header, rows, [32, 24, 13, 31])


def dot_data(results: pd.DataFrame) -> pd.DataFrame:
    """The percentage-move claims: one row each with the reported and measured move."""
    moves = results.loc[(results["metric"] == "close_to_close_return")
                        & results["measured_value"].notna()]
    names = {t: facts.name(t) for t in moves["subject"]}
    return pd.DataFrame({
        "claim": [f"{names[s]}, {pd.Timestamp(d):%a %-d %b}" for s, d in
                  zip(moves["subject"], moves["date"])],
        "reported": moves["claimed_value"].astype(float),
        "measured": moves["measured_value"].astype(float).round(2),
        "verdict": moves["verdict"], "reason": moves["reason"]}).reset_index(drop=True)


def dot_chart(data: pd.DataFrame) -> alt.LayerChart:
    """Reported (open circle) vs measured (filled, shape and colour = verdict) per claim."""
    order = data.sort_values("measured")["claim"].tolist()
    present = [v for v in VERDICTS if v in set(data["verdict"])]
    y = alt.Y("claim:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    tooltip = [alt.Tooltip("claim:N", title="Claim"),
               alt.Tooltip("reported:Q", title="Reported (%)", format="+.1f"),
               alt.Tooltip("measured:Q", title="Measured (%)", format="+.2f"),
               alt.Tooltip("verdict:N", title="Verdict"), alt.Tooltip("reason:N", title="Why")]
    base = alt.Chart(data)
    link = base.mark_rule(color="#999999").encode(
        x=alt.X("reported:Q", title="Close-to-close move on the session (%)"), x2="measured:Q",
        y=y, tooltip=tooltip)
    reported = base.mark_point(filled=False, size=70, color="#333333").encode(
        x="reported:Q", y=y, tooltip=tooltip)
    measured = base.mark_point(filled=True, size=90, opacity=1).encode(
        x="measured:Q", y=y, tooltip=tooltip,
        color=alt.Color("verdict:N", title="Verdict", scale=alt.Scale(
            domain=present, range=[COLORS[v] for v in present])),
        shape=alt.Shape("verdict:N", title="Verdict", scale=alt.Scale(
            domain=present, range=[SHAPES[v] for v in present])))
    chart = alt.layer(link, reported, measured).properties(width=380, height=len(order) * 26)
    n = len(data)
    exact = int((data["verdict"] == "confirmed").sum())
    gap = (data["measured"] - data["reported"]).abs().max()
    return finish(
        chart,
        title=f"{exact} of {n} reported moves match to their rounding; the largest gap "
              f"is {gap:.2f} points",
        subtitle="Open circle: figure in the article; filled mark: snapshot close-to-close move",
        source="Reuters, 28 Jan 2025 (claims); Yahoo Finance closes (snapshot, PROVENANCE.md)",
        description=(f"Dot plot of {n} percentage moves reported by the article against the moves "
                     "measured from the snapshot's closes, one row per claim; the measured mark's "
                     "colour and shape give the verdict."),
    )
