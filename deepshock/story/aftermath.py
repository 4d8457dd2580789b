"""Aftermath, 27 January to 30 June 2025: cumulative paths from the last pre-shock close,
sessions needed to regain it, and the April tariff sell-off kept apart as a separate shock.

Paths compound each security's own close-to-close returns, so RAW (US, Korea, Taiwan) and
ADJUSTED (Japan) files are treated alike: a path is a return, never a price level.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..data import event, facts, load, sessions
from ..data.event import unverified
from ..methods import extremes
from .charts import MUTED, NEUTRAL, PALETTE, finish
from .prose import Chapter, count, day, fall, join, level, pct
from .page import stored

# The recovery status in greys, light to dark as the wait grows, and the names still below on
# 30 June in the one accent (shapes tell them apart in print); the DeepSeek fortnight in the
# accent, the tariff sell-off in grey.
ACCENT = PALETTE[4]
STATUS_COLOURS = [MUTED, "#888888", NEUTRAL, ACCENT]
FORTNIGHT_COLOUR = ACCENT

BASE = event.day("XNYS", -1)  # New York's last close before the shock (Tokyo's too)
END = pd.Timestamp("2025-06-30")
# the last New York session of the two calendar weeks that begin with day 0's week
DAY0 = event.day0("XNYS")
FORTNIGHT = sessions.last_session_before(
    "XNYS", DAY0 + pd.Timedelta(days=12 - DAY0.day_of_week))
# A volatility index and an exchange rate have no "close to regain": left out.
EXCLUDE = ("^VIX", "JPY=X")
SOURCE = ("Yahoo Finance daily closes; exchange calendars; tariff sell-off dated from the "
          "S&P 500's moves")
# names short enough for a phone's axis (the tooltip keeps the full name)
SHORT = {"AMD": "AMD", "SMCI": "Super Micro", "CEG": "Constellation", "BABA": "Alibaba (ADR)",
         "SMH": "Chip ETF (SMH)", "QQQ": "Nasdaq-100 (QQQ)", "SPY": "S&P 500 ETF (SPY)",
         "XLK": "Tech ETF (XLK)", "XLU": "Utilities ETF (XLU)", "^SOX": "SOX",
         "6723.T": "Renesas", "005930.KS": "Samsung", "^TWII": "Taiex"}
STATUS = ["never closed below", "regained before the tariff sell-off",
          "regained after the tariff sell-off", "not regained by 30 June"]


def members() -> pd.DataFrame:
    """Securities in the aftermath: ticker, name, group (the universe minus EXCLUDE)."""
    table = facts.universe()
    return table.loc[~table["ticker"].isin(EXCLUDE), ["ticker", "name", "group"]]


def paths(tickers: list[str] | None = None, base: pd.Timestamp = BASE,
          end: pd.Timestamp = END) -> pd.DataFrame:
    """Cumulative return of each security from its last close on or before `base` to each of
    its own sessions up to `end`: ticker, base_date, date, session (1 = first after base), cum."""
    tickers = tickers or members()["ticker"].tolist()
    rets = load.returns(tickers)
    out = []
    for ticker, rows in rets.groupby("ticker", sort=False):
        start = rows.loc[rows["date"] <= base, "date"].max()
        after = rows.loc[(rows["date"] > start) & (rows["date"] <= end)]
        out.append(pd.DataFrame({"ticker": ticker, "base_date": start, "date": after["date"],
                                 "session": range(1, len(after) + 1),
                                 "cum": (1 + after["ret"]).cumprod().to_numpy() - 1}))
    table = pd.concat(out, ignore_index=True)
    # an unverified close is left out as a point; the later points do not depend on it
    skip = pd.Series(list(zip(table["ticker"], table["date"]))).isin(unverified()).to_numpy()
    table.loc[skip, "cum"] = float("nan")
    return table


def tariff_window(year_month: str = "2025-04", index: str = "^GSPC") -> dict:
    """The April sell-off located in the data: the S&P 500's two largest one-day falls of the
    month (the window opens on the first) and its largest rise (the window closes on it)."""
    rets = load.returns(index)
    month = rets.loc[rets["date"].dt.strftime("%Y-%m") == year_month]
    falls = month.nsmallest(2, "ret")
    rise = month.loc[month["ret"].idxmax()]
    return {"start": falls["date"].min(), "end": rise["date"],
            "falls": list(zip(falls["date"], falls["ret"])), "rise": (rise["date"], rise["ret"]),
            "low": month.loc[month["close"].idxmin(), "date"]}


def recovery(path: pd.DataFrame, window: dict) -> pd.DataFrame:
    """Per security: first-session move, low point, the session that first closed at or above
    the base close (counted in its own sessions), its status and where it stood at the end."""
    info = members().set_index("ticker")
    rows = []
    for ticker, p in path.groupby("ticker", sort=False):
        low = p.loc[p["cum"].idxmin()]
        first = p.iloc[0]
        rec = extremes.regain(p["cum"].to_numpy(), 0.0)  # the book's one recovery count
        if rec.sessions == 0:
            status, hit = STATUS[0], first
        elif rec.censored:
            status, hit = STATUS[3], None
        else:
            hit = p.iloc[rec.sessions - 1]
            status = STATUS[1] if hit["date"] < window["start"] else STATUS[2]
        rows.append({
            "ticker": ticker, "name": info.at[ticker, "name"], "group": info.at[ticker, "group"],
            "base_date": first["base_date"], "first_pct": round(first["cum"] * 100, 4),
            "low_pct": round(low["cum"] * 100, 4), "low_date": low["date"], "status": status,
            "regained_date": None if hit is None else hit["date"],
            "sessions": None if hit is None or status == STATUS[0] else rec.sessions,
            "end_pct": round(p["cum"].iloc[-1] * 100, 4),
            "low_in_window": bool(window["start"] <= low["date"] <= window["end"])})
    return pd.DataFrame(rows)


def group_paths(path: pd.DataFrame) -> pd.DataFrame:
    """Equal-weighted cumulative return of each group on the dates all its members traded
    (no filling across holidays), with a zero point at the base date."""
    info = members().set_index("ticker")["group"]
    out = []
    for group, p in path.assign(group=path["ticker"].map(info)).groupby("group", sort=False):
        wide = p.pivot(index="date", columns="ticker", values="cum").dropna()
        out.append(pd.DataFrame({"group": group, "date": [BASE, *wide.index],
                                 "cum_pct": [0.0, *(wide.mean(axis=1) * 100).round(4)],
                                 "members": wide.shape[1]}))
    return pd.concat(out, ignore_index=True)


def group_summary(groups: pd.DataFrame, window: dict) -> pd.DataFrame:
    """Per group: lowest point in the two weeks after the shock, between them and the tariff
    window, and from the tariff window on; and where it stood at the end."""
    rows = []
    for group, g in groups.groupby("group", sort=False):
        row = {"group": group, "members": int(g["members"].iloc[0])}
        date = g["date"]
        phases = {"shock": (date > BASE) & (date <= FORTNIGHT),   # the base's zero point out
                  "mid": (date > FORTNIGHT) & (date < window["start"]),
                  "tariff": (date >= window["start"]) & (date <= END)}  # its first fall in
        for phase, inside in phases.items():
            part = g.loc[inside]
            low = part.loc[part["cum_pct"].idxmin()]
            row |= {f"low_{phase}_pct": low["cum_pct"], f"low_{phase}_date": low["date"]}
        rows.append(row | {"end_pct": g["cum_pct"].iloc[-1]})
    return pd.DataFrame(rows)


def summary_markdown(summary: pd.DataFrame) -> str:
    """The group summary as a Markdown table for the prose."""
    after = sessions.shift("XNYS", FORTNIGHT, 1)
    lines = [f"| Group | Members | Low, {DAY0:%-d %b}–{FORTNIGHT:%-d %b} | Low, {after:%-d %b} to "
             f"the sell-off | Low from the tariff sell-off on | {END:%-d %B} |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in summary.itertuples():
        cells = [f"{getattr(r, f'low_{p}_pct'):+.1f}% ({getattr(r, f'low_{p}_date'):%-d %b})"
                 for p in ("shock", "mid", "tariff")]
        lines.append(f"| {r.group} | {r.members} | {' | '.join(cells)} | {r.end_pct:+.1f}% |")
    return "\n".join(lines)


def _band(window: dict) -> alt.Chart:
    frame = pd.DataFrame({"start": [window["start"]], "end": [window["end"]],
                          "label": ["Tariff sell-off"]})
    return alt.Chart(frame).mark_rect(color="#999999", opacity=0.25).encode(
        x="start:T", x2="end:T",
        tooltip=[alt.Tooltip("label:N", title="Separate shock"),
                 alt.Tooltip("start:T", title="From", format="%d %b %Y"),
                 alt.Tooltip("end:T", title="To", format="%d %b %Y")])


def groups_chart(groups: pd.DataFrame, window: dict) -> alt.FacetChart:
    """Small multiples: each group's equal-weighted path, the tariff window shaded."""
    summary = group_summary(groups, window)
    later = int((summary["low_tariff_pct"] < summary["low_shock_pct"]).sum())
    order = groups["group"].drop_duplicates().tolist()
    tip = [alt.Tooltip("group:N", title="Group"), alt.Tooltip("date:T", title="Date",
                                                               format="%a %d %b %Y"),
           alt.Tooltip("cum_pct:Q", title=f"Since {BASE:%-d %b} close (%)", format="+.1f"),
           alt.Tooltip("members:Q", title="Securities averaged")]
    stamp = lambda t: alt.DateTime(year=t.year, month=t.month, date=t.day)
    one = alt.Chart().transform_aggregate(n="count()", groupby=["group"])
    band = one.mark_rect(color="#999999", opacity=0.35).encode(
        x=alt.datum(stamp(window["start"]), type="temporal"), x2=alt.datum(stamp(window["end"])))
    fortnight = one.mark_rect(color=FORTNIGHT_COLOUR, opacity=0.3).encode(
        x=alt.datum(stamp(BASE), type="temporal"), x2=alt.datum(stamp(FORTNIGHT)))
    zero = alt.Chart().mark_rule(color=NEUTRAL, strokeDash=[2, 2]).encode(y=alt.datum(0))
    line = alt.Chart().mark_line(strokeWidth=1.6, color=PALETTE[6]).encode(
        x=alt.X("date:T", title="2025", axis=alt.Axis(format="%b", tickCount=6)),
        y=alt.Y("cum_pct:Q", title=f"Since {BASE:%-d %b} close (%)"), tooltip=tip)
    chart = alt.layer(fortnight, band, zero, line, data=groups).properties(width=165, height=110).facet(
        facet=alt.Facet("group:N", sort=order, title=None), columns=3)
    return finish(
        chart,
        title=(f"{later} of {len(summary)} groups fell further in the April tariff rout than "
               "after DeepSeek"),
        subtitle=["Average (equal-weighted) cumulative return from each security's last close "
                  f"before {DAY0:%-d %B}", f"Coloured band: {BASE:%-d %b}–{FORTNIGHT:%-d %b}, the "
                  "shock; grey band: the April tariff sell-off, a separate shock"],
        source=SOURCE,
        description=(f"{len(order)} small line charts, one per group, of the equal-weighted "
                     f"cumulative return from {BASE:%-d %B} to {END:%-d %B %Y}, with the April "
                     "tariff sell-off "
                     f"shaded from {window['start']:%-d %B} to {window['end']:%-d %B}. " + " ".join(
                         f"{r.group}: low {r.low_shock_pct:+.1f}% in the two weeks after the "
                         f"shock, {r.low_tariff_pct:+.1f}% from the tariff sell-off on, "
                         f"{r.end_pct:+.1f}% on 30 June."
                         for r in summary.itertuples())),
    )


def recovery_chart(rec: pd.DataFrame, window: dict) -> alt.LayerChart:
    """One bar per security from its base close to the session that regained it (to 30 June
    when it did not), labelled with the number of sessions."""
    rank = {s: i for i, s in enumerate(STATUS)}
    table = rec.assign(rank=rec["status"].map(rank),
                       short=[SHORT.get(t, n) for t, n in zip(rec["ticker"], rec["name"])],
                       stop=rec["regained_date"].fillna(END).where(rec["status"] != STATUS[0],
                                                                   rec["base_date"]),
                       label=[("never below" if s == STATUS[0] else "not by 30 Jun" if n is None
                               or pd.isna(n) else f"{int(n)} sessions")
                              for s, n in zip(rec["status"], rec["sessions"])])
    table = table.sort_values(["rank", "stop", "short"])
    y = alt.Y("short:N", sort=table["short"].tolist(), title=None, axis=alt.Axis(labelLimit=170))
    tip = [alt.Tooltip("name:N", title="Security"), alt.Tooltip("group:N", title="Group"),
           alt.Tooltip("status:N", title="Status"),
           alt.Tooltip("base_date:T", title="Base close", format="%d %b %Y"),
           alt.Tooltip("regained_date:T", title="Regained on", format="%d %b %Y"),
           alt.Tooltip("sessions:Q", title="Sessions needed"),
           alt.Tooltip("low_pct:Q", title="Lowest close vs base (%)", format="+.1f"),
           alt.Tooltip("low_date:T", title="Lowest on", format="%d %b %Y"),
           alt.Tooltip("end_pct:Q", title="30 June vs base (%)", format="+.1f")]
    colour = alt.Color("status:N", title=None, sort=STATUS,
                       legend=alt.Legend(columns=2, labelLimit=300),
                       scale=alt.Scale(domain=STATUS,
                                       range=STATUS_COLOURS))
    base = alt.Chart(table)
    bars = base.mark_bar(height=9).encode(
        x=alt.X("base_date:T", title=f"{DAY0:%Y} (bar: from the last close before "
                f"{DAY0:%-d %B} to the first close at or above it)", axis=alt.Axis(format="%d %b")),
        x2="stop:T", y=y, color=colour, tooltip=tip)
    dots = base.mark_point(filled=True, size=30).encode(
        x="stop:T", y=y, color=colour, shape=alt.Shape("status:N", sort=STATUS, legend=None,
                                                       scale=alt.Scale(range=["circle", "square",
                                                                              "diamond", "cross"])),
        tooltip=tip)
    text = base.mark_text(align="left", dx=6, fontSize=9, color="#222222").encode(
        x="stop:T", y=y, text="label:N", tooltip=tip)
    chart = alt.layer(_band(window), bars, dots, text).properties(width=400, height=14 * len(table))
    return finish(
        chart,
        title=recovery_title(rec),
        subtitle=["Sessions counted on each security's own exchange; grey band: April tariff "
                  "sell-off (a separate shock)"],
        source=SOURCE,
        description=(f"Bars for each security from its last close before {DAY0:%-d %B %Y} to the "
                     "first close at or above it: " + "; ".join(
                         f"{r.name}: {r.label}" for r in table.itertuples()) + "."),
    )


def recovery_title(rec: pd.DataFrame) -> str:
    """The recovery chart's finding: how many got back at some point, how many stood at or above
    the base close on the last day, and Nvidia's count."""
    back = int(rec["status"].isin(STATUS[:3]).sum())
    above = int((rec["end_pct"] >= 0).sum())
    nv = rec.set_index("ticker").loc["NVDA"]
    nv_text = (f"Nvidia took {int(nv['sessions'])} sessions" if nv["status"] in STATUS[1:3]
               else f"Nvidia: {nv['status']}")
    return (f"{back} of {len(rec)} got back to their pre-shock close and {above} were at or above it on "
            f"{END:%-d %B}; {nv_text}")


@stored
def chapter() -> Chapter:
    """The chapter's prose numbers (glue name -> text) and its two figures."""
    path, window = paths(), tariff_window()
    rec = recovery(path, window)
    groups = group_paths(path)
    summary = group_summary(groups, window)
    n_status = rec["status"].value_counts()
    by = rec.set_index("ticker")
    nv, sox = by.loc["NVDA"], by.loc["^SOX"]
    semis = summary.set_index("group").loc["US semiconductors"]
    early = rec.loc[rec["status"].isin(STATUS[:2])]
    fell_back = early.loc[early["end_pct"] < 0].sort_values("end_pct")
    never = rec.loc[rec["status"] == STATUS[3]].sort_values("end_pct")
    (f1, r1), (f2, r2) = sorted(window["falls"])
    skipped = sorted(unverified())
    text = {
        "n_total": str(len(rec)), "n_never_below": count(n_status.get(STATUS[0], 0)),
        "n_before": count(n_status.get(STATUS[1], 0)), "n_after": count(n_status.get(STATUS[2], 0)),
        "n_not": count(n_status.get(STATUS[3], 0)),
        "n_back": count(int(rec["status"].isin(STATUS[:3]).sum())),
        "n_above_end": count(int((rec["end_pct"] >= 0).sum())),
        "not_names": join(never["name"].tolist()),
        "af_skipped": join([f"{by.at[t, 'name']}'s close of {day(d)}" for t, d in skipped]),
        "n_fell_back": count(len(fell_back)), "fell_back_names": join(fell_back["name"].tolist()),
        "n_low_window": str(int(rec["low_in_window"].sum())),
        "fall1_date": day(f1, weekday=True), "fall1": pct(r1), "fall2_date": day(f2, weekday=True),
        "fall2": pct(r2), "rise_date": day(window["rise"][0], weekday=True),
        "rise": pct(window["rise"][1]), "spx_low": day(window["low"], weekday=True),
        "nv_sessions": str(int(nv["sessions"])), "nv_regained": day(nv["regained_date"], weekday=True),
        "nv_low": level(nv["low_pct"] / 100), "nv_low_date": day(nv["low_date"]),
        "nv_first": fall(nv["first_pct"] / 100), "nv_end": level(nv["end_pct"] / 100),
        "nv_low_when": ("inside the tariff window" if nv["low_in_window"]
                        else "outside the tariff window"),
        "af_sox_sessions": str(int(sox["sessions"])), "af_sox_regained": day(sox["regained_date"]),
        "semis_shock": level(semis["low_shock_pct"] / 100), "semis_shock_date": day(semis["low_shock_date"]),
        "semis_tariff": level(semis["low_tariff_pct"] / 100),
        "semis_tariff_date": day(semis["low_tariff_date"]), "semis_end": level(semis["end_pct"] / 100),
        "n_groups": count(len(summary)),
        "n_groups_lower": count(int((summary["low_tariff_pct"] < summary["low_shock_pct"]).sum())),
        "group_table": summary_markdown(summary),
    }
    return Chapter(text, {"fig-aftermath-groups": (groups_chart(groups, window), groups),
                          "fig-aftermath-recovery": (recovery_chart(rec, window), rec)})
