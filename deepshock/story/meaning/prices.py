"""Where prices stood when the data end, compounded from the last close before the shock with
the aftermath's own paths (`standing`, `standing_chart`), and Nvidia's February results with
the next session's move (`results`)."""

from __future__ import annotations

import math
import re

import altair as alt
import pandas as pd

from ...data import context, event, load
from ...data.validate import DataError
from .. import aftermath
from ..charts import MUTED, NEGATIVE, NEUTRAL, POSITIVE, finish
from ..selloff import count, fall

DAY0 = event.day0("XNYS")
ON = f"{DAY0.day} {DAY0:%B}"   # the shock's day in words, read from the event table

SHOCK = event.day0("XNYS")
RESULTS = "Nvidia falls after results"   # data/shocks.csv: Nvidia's February results
# three securities, then two of the aftermath's groups (equal-weighted)
STANDING = [("NVDA", "Nvidia", "nv"), ("^SOX", "SOX index", "sox"), ("^GSPC", "S&P 500", "spx"),
            ("US power", "US power ({n})", "power"),
            ("Japan semiconductors", "Tokyo chips ({n})", "tokyo")]
SOURCE_PRICES = "Yahoo Finance daily closes; exchange calendars"


def day(d: pd.Timestamp, weekday: bool = False) -> str:
    return f"{d:%A} " * weekday + f"{d.day} {d:%B}"


def level(x: float) -> str:
    """Per cent against a base close: '10.8% above' / '7.1% below'."""
    return f"{abs(x):.1f}% {'above' if x >= 0 else 'below'}"


def results(end: pd.Timestamp = aftermath.END) -> dict:
    """Nvidia's February results (data/earnings.csv) and New York's next session (the day 0 of
    the shocks.csv row `RESULTS`): its move, and that move's rank among Nvidia's daily falls
    from the session after the shock to `end`."""
    table = context.earnings()
    rows = table.loc[table["tickers"].map(lambda t: "NVDA" in t) & (table["date"] > SHOCK)]
    if rows.empty:
        raise DataError("earnings.csv: no Nvidia results after the shock")
    row = rows.iloc[0]
    day0 = event.day0("XNYS", RESULTS)
    news = event.news(RESULTS).tz_convert(row["timezone"])
    if news.normalize().tz_localize(None) != row["date"]:
        raise DataError(f"shocks.csv: {RESULTS!r} is not dated like Nvidia's results "
                        f"({row['date']:%Y-%m-%d})")
    rets = load.returns("NVDA")
    after = rets.loc[(rets["date"] > SHOCK) & (rets["date"] <= end)]
    ret = float(after.loc[after["date"] == day0, "ret"].iloc[0])
    worst = after.loc[after["ret"].idxmin()]
    ended = re.search(r"quarter ended (\d{1,2} \w+ \d{4})", row["period"])
    if not ended:
        raise DataError(f"earnings.csv: Nvidia's period {row['period']!r} names no quarter end")
    return {"date": row["date"], "period_end": pd.Timestamp(ended.group(1)), "day": day0,
            "ret": ret, "rank": int((after["ret"] < ret).sum()) + 1, "sessions": len(after),
            "worst_date": worst["date"], "worst": float(worst["ret"])}


def rank_text(res: dict) -> str:
    """Where the results day's fall ranks, in words."""
    where = f"in the {res['sessions']:,} sessions from the shock to the end of the data"
    if res["rank"] == 1:
        return f"its largest fall {where}"
    nth = {2: "second", 3: "third", 4: "fourth"}.get(res["rank"], f"number {res['rank']}")
    return (f"its {nth}-largest fall {where} (the largest, {fall(res['worst'])}, came on "
            f"{day(res['worst_date'])})")


def standing() -> pd.DataFrame:
    """Where each series of `STANDING` stood on its first session after the shock and at the
    end of the data, compounded from its last close before the shock with the aftermath's own
    paths (groups: the aftermath's equal-weighted group paths); per cent."""
    path = aftermath.paths()
    window = aftermath.tariff_window()
    rec = aftermath.recovery(path, window).set_index("ticker")
    groups = aftermath.group_paths(path)
    summary = aftermath.group_summary(groups, window).set_index("group")
    rows = []
    for key, label, _ in STANDING:
        if key in rec.index:
            own = path.loc[path["ticker"] == key]
            dates, cum, n = own["date"], own["cum"] * 100, 1
            first, end = rec.at[key, "first_pct"], rec.at[key, "end_pct"]
        else:
            g = groups.loc[(groups["group"] == key) & (groups["date"] > aftermath.BASE)]
            dates, cum, n = g["date"], g["cum_pct"], int(summary.at[key, "members"])
            first, end = cum.iloc[0], summary.at[key, "end_pct"]
        low = dates.loc[cum.idxmin()]
        rows.append({"key": key, "label": label.format(n=n), "members": n, "first_pct": first,
                     "first_date": dates.iloc[0], "end_pct": end, "end_date": dates.iloc[-1],
                     "low_pct": cum.min(), "low_date": low,
                     "low_in_tariffs": bool(window["start"] <= low <= window["end"])})
    return pd.DataFrame(rows)


def standing_title(frame: pd.DataFrame) -> str:
    """The finding, from the rows drawn."""
    n, fell = len(frame), int((frame["first_pct"] < 0).sum())
    above = int((frame["end_pct"] >= 0).sum())
    lead = f"All {count(n)}" if above == n else f"{count(above).capitalize()} of {count(n)}"
    first = (f"all {count(n)} had fallen" if fell == n else f"{count(fell)} had fallen")
    end = frame["end_date"].max()
    return f"{lead} stood above their pre-shock close on {end.day} {end:%B}; {first} at first"


def standing_long(frame: pd.DataFrame) -> pd.DataFrame:
    """What the dumbbells draw: two rows per series (first session, end of the data)."""
    end = frame["end_date"].max()
    cols = ["label", "members", "when", "date", "pct"]
    long = pd.concat([
        frame.assign(when="First session", pct=frame["first_pct"], date=frame["first_date"]),
        frame.assign(when=f"{end.day} {end:%B}", pct=frame["end_pct"], date=frame["end_date"])],
        ignore_index=True)[cols]
    low = long.groupby("label")["pct"].transform("min")
    return long.assign(sign=["below" if p < 0 else "above" for p in long["pct"]],
                       side=["left" if p == m else "right" for p, m in zip(long["pct"], low)],
                       text=[f"{p:+.1f}%".replace("-", "−") for p in long["pct"]])


def standing_chart(frame: pd.DataFrame) -> alt.TopLevelMixin:
    """Dumbbells: each series' first-session move and its level at the end of the data, both
    against its last close before the shock; orange below it, blue above."""
    end, long = frame["end_date"].max(), standing_long(frame)
    order = frame["label"].tolist()
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=150))
    # room for the labels beyond the outer points
    span = [10 * math.floor((long["pct"].min() - 12) / 10),
            10 * math.ceil((long["pct"].max() + 12) / 10)]
    x = alt.X("pct:Q", title=f"Against the last close before {ON} (%)",
              scale=alt.Scale(domain=span, nice=False),
              axis=alt.Axis(labelExpr="datum.value > 0 ? '+' + datum.value : datum.value < 0 ? "
                            "'\u2212' + abs(datum.value) : '0'"))
    tip = [alt.Tooltip("label:N", title="Series"), alt.Tooltip("when:N", title="When"),
           alt.Tooltip("date:T", title="Date", format="%-d %b %Y"),
           alt.Tooltip("pct:Q", title="Against pre-shock close (%)", format="+.1f"),
           alt.Tooltip("members:Q", title="Securities averaged")]
    base = alt.Chart(long)
    zero = alt.Chart(pd.DataFrame({"v": [0]})).mark_rule(color=NEUTRAL).encode(x="v:Q")
    link = base.mark_line(color=MUTED, strokeWidth=3).encode(x=x, y=y, detail="label:N",
                                                              tooltip=tip)
    colour = alt.Color("sign:N", title=None, scale=alt.Scale(domain=["below", "above"],
                       range=[NEGATIVE, POSITIVE]), legend=None)
    shape = alt.Shape("when:N", title=None, sort=["First session"],
                      scale=alt.Scale(range=["circle", "diamond"]))
    dots = base.mark_point(filled=True, size=90, opacity=1).encode(
        x=x, y=y, color=colour, shape=shape, tooltip=tip)
    text = [base.transform_filter(alt.datum.side == side).mark_text(
        align="right" if side == "left" else "left", dx=-9 if side == "left" else 9,
        fontSize=11, color="#222222").encode(x=x, y=y, text="text:N", tooltip=tip)
        for side in ("left", "right")]
    chart = alt.layer(zero, link, dots, *text).properties(width=440, height=alt.Step(34))
    return finish(
        chart, title=standing_title(frame),
        subtitle=[f"Move on the first session after the shock, and level on {end.day} "
                  f"{end:%B %Y}", f"Both compounded from the last close before {ON}; "
                  "orange: below it, blue: above",
                  "(n): simple average of n stocks. April's tariff sell-off came in between"],
        source=SOURCE_PRICES,
        description=("Dumbbell chart. " + "; ".join(
            f"{r.label}: {r.first_pct:+.1f}% on its first session, {r.end_pct:+.1f}% on "
            f"{r.end_date.day} {r.end_date:%B %Y}" for r in frame.itertuples()) + "."))


