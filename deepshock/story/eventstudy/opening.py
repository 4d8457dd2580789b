"""The event study's opening: the three primary tests as one chart and a plain verdict.

Each primary hypothesis (`study.PRIMARY`) is drawn as its abnormal return on the event (a dot,
with its 95% interval) against the same statistic on every ordinary session of its own
estimation window (grey ticks): Nvidia's day-0 abnormal return against its 240 estimation
residuals; the US chip basket's (the equal-weighted portfolio the portfolio test judges) against
the basket's residuals; the Tokyo chip basket's two-day CAR against every two-session sum of its
residuals (the SQ test's comparison)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
from scipy import stats

from ...data import facts
from ...methods.eventstudy import Result
from ...methods.leadlag import event_portfolio
from ..charts import MUTED, NEGATIVE, NEUTRAL, POSITIVE, finish, narrow_layout
from .study import EVENT, PRIMARY, SOURCE, WINDOWS, Study, _regs
from .words import pct

SHORT = {"NVDA": "Nvidia", "US semiconductors": "US chip basket",
         "Japan semiconductors": "Tokyo chip basket"}


def basket(study: Study, group: str) -> Result:
    """The group's equal-weighted portfolio, fitted as the portfolio test fits it."""
    tickers = study.securities.loc[study.securities["group"] == group, "ticker"].unique()
    members = [study.results[t] for t in tickers]
    return event_portfolio(members, group, _regs(members[0]), study.spec.estimation,
                           study.spec.gap)


def _sums(resid: np.ndarray, length: int) -> np.ndarray:
    """Every sum of `length` consecutive residuals (the ordinary spans of that length)."""
    return np.convolve(resid, np.ones(length), mode="valid")


def primaries(study: Study) -> pd.DataFrame:
    """One row per primary hypothesis: label, window, n members, the event's abnormal return
    (car), its 95% interval (lo, hi), t, p, the ordinary spans' count, lowest and standard
    deviation, and the ordinary values themselves (`ordinary`, an array)."""
    rows = []
    for kind, name, window in PRIMARY:
        res = study.results[name] if kind == "security" else basket(study, name)
        w = res.windows.loc[window]
        a, b = WINDOWS[window]
        ordinary = _sums(res.resid.to_numpy(float), b - a + 1)
        half = stats.t.ppf(0.975, w["df"]) * w["se"]
        tickers = study.securities.loc[study.securities["group"] == name, "ticker"].unique()
        days = res.path.set_index("tau").loc[a:b, "date"]
        rows.append({"kind": kind, "name": name, "label": SHORT[name] if name in SHORT else facts.name(name),
                     "window": window, "n": 1 if kind == "security" else len(tickers),
                     "first": days.iloc[0], "last": days.iloc[-1],
                     "car": float(w["car"]), "lo": float(w["car"] - half),
                     "hi": float(w["car"] + half), "t": float(w["t"]), "p": float(w["p"]),
                     "spans": len(ordinary), "lowest": float(ordinary.min()),
                     "sd": float(ordinary.std(ddof=1)), "ordinary": ordinary})
    return pd.DataFrame(rows)


def _when(row: pd.Series) -> str:
    first, last = row["first"], row["last"]
    return (f"{first.day} {first:%b}" if first == last else f"{first.day}–{last.day} {last:%b}")


def chart_data(table: pd.DataFrame) -> pd.DataFrame:
    """Long frame the chart draws: row label, kind ('ordinary' or 'event'), abnormal return
    in %, and for the event its 95% interval in % (ordinary rows leave them empty)."""
    parts = []
    for _, r in table.iterrows():
        row = f"{r['label']}, {_when(r)}"
        parts.append(pd.DataFrame({"row": row, "kind": "ordinary",
                                   "ar_pct": np.round(r["ordinary"] * 100, 2)}))
        parts.append(pd.DataFrame({"row": [row], "kind": ["event"],
                                   "ar_pct": [round(r["car"] * 100, 2)],
                                   "lo_pct": [round(r["lo"] * 100, 2)],
                                   "hi_pct": [round(r["hi"] * 100, 2)]}))
    return pd.concat(parts, ignore_index=True)


def title(table: pd.DataFrame) -> list[str]:
    """Finding-first, from the rows: which primaries fell beyond every ordinary span (two lines,
    so that the printed edition keeps the chart's width)."""
    nv = table.iloc[0]
    beyond = table.loc[table["car"] < table["lowest"], "label"].tolist()
    head = f"Nvidia fell {abs(nv['car']) * 100:.1f}% beyond the market on {EVENT.day} {EVENT:%B}"
    if nv["label"] in beyond and len(beyond) > 1:
        others = " and ".join(b for b in beyond if b != nv["label"])
        return [f"{head},", f"further than on any ordinary day in the year before; so did the "
                f"{others}"]
    if nv["label"] in beyond:
        return [f"{head},", "further than on any ordinary day in the year before"]
    return [head]


def chart(data: pd.DataFrame, table: pd.DataFrame) -> alt.TopLevelMixin:
    """Ticks of ordinary days in grey, the event as a dot (orange fell, blue rose) with its
    95% interval and a label; one row per primary hypothesis."""
    rows = list(dict.fromkeys(data["row"]))
    ev = data.loc[data["kind"] == "event"].assign(
        label=lambda d: [pct(v / 100, 1) for v in d["ar_pct"]],
        colour=lambda d: np.where(d["ar_pct"] < 0, NEGATIVE, POSITIVE))
    ordinary = data.loc[data["kind"] == "ordinary"]
    y = alt.Y("row:N", sort=rows, title=None,
              axis=alt.Axis(labelExpr="split(datum.label, ', ')", labelFontSize=12,
                            labelLimit=160))
    lo = float(min(data["ar_pct"].min(), data["lo_pct"].min()))
    hi = float(max(data["ar_pct"].max(), data["hi_pct"].max()))
    x_scale = alt.Scale(domain=[np.floor(lo) - 1, np.ceil(hi) + 1], nice=False)
    x = alt.X("ar_pct:Q", title="Abnormal return (%)", scale=x_scale)
    ticks = alt.Chart(ordinary).mark_tick(color=MUTED, thickness=1, size=18, opacity=0.8).encode(
        x=x, y=y, tooltip=[alt.Tooltip("row:N", title="Test"),
                           alt.Tooltip("ar_pct:Q", title="Ordinary day (%)", format=".1f")])
    zero = alt.Chart(pd.DataFrame({"z": [0]})).mark_rule(color=NEUTRAL).encode(x="z:Q")
    tip = [alt.Tooltip("row:N", title="Test"),
           alt.Tooltip("ar_pct:Q", title="Abnormal return (%)", format=".1f"),
           alt.Tooltip("lo_pct:Q", title="95% interval from (%)", format=".1f"),
           alt.Tooltip("hi_pct:Q", title="95% interval to (%)", format=".1f")]
    band = alt.Chart(ev).mark_rule(strokeWidth=3).encode(
        x=alt.X("lo_pct:Q", scale=x_scale), x2="hi_pct:Q", y=y,
        color=alt.Color("colour:N", scale=None), tooltip=tip)
    dots = alt.Chart(ev).mark_point(filled=True, size=130, opacity=1).encode(
        x=x, y=y, color=alt.Color("colour:N", scale=None), tooltip=tip)
    labels = alt.Chart(ev).mark_text(dy=-15, fontSize=12, fontWeight="bold").encode(
        x=x, y=y, text="label:N", color=alt.Color("colour:N", scale=None))
    spans = table["spans"].tolist()
    layered = alt.layer(ticks, zero, band, dots, labels).properties(width=560, height=210)
    out = finish(
        layered, title=title(table),
        subtitle=["Dot: the abnormal return on the event, with its 95% interval; grey ticks: "
                  f"the {spans[0]} ordinary days of the year before",
                  "Baskets hold the stocks in equal parts; Tokyo over its first two sessions"],
        source=SOURCE,
        description=(
            "Strip chart of the three primary tests. " + " ".join(
                f"{r['label']} ({r['window']}): abnormal return {r['car'] * 100:.1f}%, 95% "
                f"interval {r['lo'] * 100:.1f}% to {r['hi'] * 100:.1f}%; its ordinary "
                f"days ranged down to {r['lowest'] * 100:.1f}%." for _, r in table.iterrows())))
    return narrow_layout(out, set={"width": 320})   # the page fits it to the column
