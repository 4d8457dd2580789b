"""What it meant, the story's last chapter: the platforms' spending plans before and after the
shock against DeepSeek-V3's training-run cost (`plans`, `plans_chart`); Nvidia's February
results (`results`); where prices stood when the data end, from the aftermath's paths
(`standing`, `standing_chart`). `chapter()` returns the prose and the figures in one call."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import altair as alt
import pandas as pd

from ..data import capex, context, event, load
from ..data.validate import DataError
from . import aftermath, launch
from .charts import MUTED, NEGATIVE, NEUTRAL, PALETTE, POSITIVE, finish, narrow_layout
from .selloff import count, fall

SHOCK = event.day0("XNYS")        # 27 January 2025: statements before it and after it
ACCENT = PALETTE[4]               # the chart's one accent: DeepSeek's training run
RESULTS = "Nvidia falls after results"   # data/shocks.csv: Nvidia's February results
QUARTERS = 4                      # an "implied" annual figure is four times one quarter
SHORT = {"Meta Platforms": "Meta"}
STATUS = {"before": "Stated before 27 January", "kept": "Kept or first stated after it",
          "raised": "Raised after it", "cut": "Cut after it",
          "run": "DeepSeek-V3's final training run"}
COLOURS = {"before": "#999999", "kept": NEUTRAL, "raised": POSITIVE, "cut": NEGATIVE,
           "run": ACCENT}
# where prices stood: three securities, then two of the aftermath's groups (equal-weighted)
STANDING = [("NVDA", "Nvidia", "nv"), ("^SOX", "SOX index", "sox"), ("^GSPC", "S&P 500", "spx"),
            ("US power", "US power ({n})", "power"),
            ("Japan semiconductors", "Tokyo chips ({n})", "tokyo")]
SOURCE_PLANS = ("Company releases, calls and posts as reported by the press; DeepSeek-V3 "
                "technical report")
SOURCE_PRICES = "Yahoo Finance daily closes; exchange calendars"


def _day(d: pd.Timestamp, weekday: bool = False) -> str:
    return f"{d:%A} " * weekday + f"{d.day} {d:%B}"


def _bn(x: float) -> str:
    return f"${x:,.{0 if float(x).is_integer() else 1}f}bn"


def level(x: float) -> str:
    """Per cent against a base close: '10.8% above' / '7.1% below'."""
    return f"{abs(x):.1f}% {'above' if x >= 0 else 'below'}"


def figure_text(row) -> str:
    """A statement's figure: 'about $80bn', '$60–65bn', '$105.2bn (implied)'."""
    return {"range": f"${row.low_usd_bn:g}–{row.high_usd_bn:g}bn",
            "implied": f"{_bn(row.low_usd_bn)} (implied)"}.get(row.form,
                                                                f"about {_bn(row.low_usd_bn)}")


def plans(shock: pd.Timestamp = SHOCK, end: pd.Timestamp = aftermath.END) -> pd.DataFrame:
    """The statements of `data/capex.csv` up to the end of the data, with `when` (before or
    after the shock, by the date stated) and `change`: against the company's previous statement
    for the same period, 'first' (none), 'kept', 'raised' (neither end lower, one higher) or
    'cut' (an end lower)."""
    table = capex.capex().query("stated <= @end").reset_index(drop=True)
    table["when"] = ["before" if d < shock else "after" for d in table["stated"]]
    changes = []
    for i, row in table.iterrows():
        earlier = table.loc[(table.index < i) & (table["ticker"] == row["ticker"])
                            & (table["period_start"] == row["period_start"])
                            & (table["period_end"] == row["period_end"])]
        now = row[["low_usd_bn", "high_usd_bn"]].to_numpy(float)
        was = earlier[["low_usd_bn", "high_usd_bn"]].iloc[-1].to_numpy(float) if len(earlier) \
            else None
        changes.append("first" if was is None else "cut" if (now < was).any() else
                       "raised" if (now > was).any() else "kept")
    table["change"] = changes
    table["figure"] = [figure_text(r) for r in table.itertuples()]
    table["short"] = table["company"].map(lambda c: SHORT.get(c, c))
    return table


def smallest(frame: pd.DataFrame) -> tuple[pd.Series, int]:
    """Of the rows drawn: the smallest of the companies' latest plans (by its low end) and how
    many times DeepSeek's run cost it is, rounded down to a thousand ('over N times')."""
    run = frame.loc[frame["company"] == "DeepSeek", "low_usd"].iloc[0]
    firms = frame.loc[frame["company"] != "DeepSeek"]
    last = firms.sort_values("stated", kind="stable").groupby("company").tail(1)
    row = last.loc[last["low_usd"].idxmin()]
    return row, int(row["low_usd"] / run // 1000 * 1000)


def plans_frame(table: pd.DataFrame, run: launch.TrainingCost) -> pd.DataFrame:
    """What the chart draws: one row per statement (company order, then date) and DeepSeek's
    run; figures in US$."""
    order = table["short"].drop_duplicates().tolist()
    rows = table.assign(rank=table["short"].map(order.index)).sort_values(["rank", "stated"])
    out = pd.DataFrame({
        "row": [f"{s} · {d.day} {d:%b}" for s, d in zip(rows["short"], rows["stated"])],
        "company": rows["company"], "short": rows["short"], "stated": rows["stated"],
        "status": [STATUS["before"] if w == "before" else STATUS["cut" if c == "cut" else
                   "raised" if c == "raised" else "kept"]
                   for w, c in zip(rows["when"], rows["change"])],
        "low_usd": rows["low_usd_bn"] * 1e9, "high_usd": rows["high_usd_bn"] * 1e9,
        "label": rows["figure"], "period": rows["period"], "covers": rows["covers"],
        "change": rows["change"], "certainty": rows["certainty"]})
    paper = launch.event("V3 report")["date"]
    deepseek = pd.DataFrame([{
        "row": "DeepSeek-V3 · run", "company": "DeepSeek", "short": "DeepSeek", "stated": paper,
        "status": STATUS["run"], "low_usd": run.cost, "high_usd": run.cost,
        "label": f"${run.cost / 1e6:.3f}M", "period": "one training run",
        "covers": (f"{run.gpu_hours / 1e6:.3f} million GPU-hours at an assumed "
                   f"${run.price:,.0f} an hour; no research, hardware or earlier runs"),
        "change": "", "certainty": "confirmed"}])
    return pd.concat([out, deepseek], ignore_index=True)


def plans_title(frame: pd.DataFrame) -> str:
    """The finding, from the rows drawn: how many platforms cut a plan after the shock, and how
    many times the run's cost the smallest latest plan is."""
    firms = frame.loc[frame["company"] != "DeepSeek"]
    cuts = firms.loc[firms["change"] == "cut", "company"].nunique()
    multiple = smallest(frame)[1]
    lead = "no platform cut its plan" if cuts == 0 else \
        f"{count(cuts)} of {count(firms['company'].nunique())} platforms cut their plans"
    return (f"After DeepSeek, {lead}; the smallest is over {multiple:,} times the "
            f"{frame.loc[frame['company'] == 'DeepSeek', 'label'].iloc[0]} run")


def plans_chart(frame: pd.DataFrame) -> alt.TopLevelMixin:
    """Each statement as a point (a range as a bar between two points) on a log scale of US$,
    DeepSeek's run on the same scale."""
    present = [k for k, s in STATUS.items() if s in set(frame["status"])]
    colour = alt.Color("status:N", title=None, legend=alt.Legend(columns=2, labelLimit=260),
                       scale=alt.Scale(domain=[STATUS[k] for k in present],
                                       range=[COLOURS[k] for k in present]))
    lo = 10 ** math.floor(math.log10(frame["low_usd"].min()))
    hi = frame["high_usd"].max() * 2
    ticks = [10.0 ** k for k in range(int(math.log10(lo)), int(math.log10(hi)) + 1)]
    money = ("datum.value >= 1e9 ? '$' + format(datum.value / 1e9, ',') + 'bn' : "
             "'$' + format(datum.value / 1e6, ',') + 'M'")
    scale = alt.Scale(type="log", domain=[lo, hi], nice=False)
    title = "US dollars (log scale)"
    # one axis, drawn by the first layer; the other layers share its scale and title
    x = alt.X("low_usd:Q", title=title, scale=scale,
              axis=alt.Axis(values=ticks, labelExpr=money, grid=True))
    at = lambda column: alt.X(f"{column}:Q", title=title, scale=scale)  # noqa: E731
    y = alt.Y("row:N", sort=frame["row"].tolist(), title=None,
              axis=alt.Axis(labelLimit=160, labelFontSize=11))
    tip = [alt.Tooltip("stated:T", title="Stated", format="%-d %b %Y")] + [
        alt.Tooltip(f"{c}:N", title=n) for c, n in zip(
            ("company", "label", "period", "covers", "status", "certainty"),
            ("Company", "Figure", "Period", "Covers", "Status", "Certainty"))]
    base = alt.Chart(frame)
    bar = base.mark_rule(strokeWidth=4).encode(x=x, x2="high_usd:Q", y=y, color=colour,
                                                tooltip=tip)
    dots = base.transform_fold(["low_usd", "high_usd"], as_=["end", "usd"]).mark_point(
        filled=True, size=70, opacity=1).encode(x=at("usd"), y=y, color=colour, tooltip=tip)
    firms = base.transform_filter(alt.datum.company != "DeepSeek")
    left = firms.mark_text(align="right", dx=-9, fontSize=11, color="#222222").encode(
        x=at("low_usd"), y=y, text="label:N", tooltip=tip)
    right = base.transform_filter(alt.datum.company == "DeepSeek").mark_text(
        align="left", dx=9, fontSize=11, color="#222222").encode(
        x=at("high_usd"), y=y, text="label:N", tooltip=tip)
    chart = alt.layer(bar, dots, left, right).properties(width=440, height=alt.Step(26))
    firms_rows = frame.loc[frame["company"] != "DeepSeek"]
    return finish(
        narrow_layout(chart, set={"layer/0/encoding/x/axis/values": ticks[::2],
                                  "layer/0/encoding/y/axis/labelLimit": 130}),
        title=plans_title(frame),
        subtitle=["Plans stated before and after 27 January 2025, and DeepSeek's final "
                  "training run", "Not one measure: Microsoft's covers AI data centres in a year "
                  "to June; Amazon's is implied"],
        source=SOURCE_PLANS,
        description=("Dot chart on a logarithmic dollar scale. " + "; ".join(
            f"{r.company}, stated {r.stated.day} {r.stated:%B %Y}: {r.label} for {r.period} "
            f"({r.covers}; {r.status.lower()})" for r in firms_rows.itertuples())
            + f". DeepSeek-V3's final training run: {frame['label'].iloc[-1]}."))


def plans_markdown(table: pd.DataFrame) -> str:
    """The statements as a table narrow enough for a phone: who and when, the period, what the
    figure covers, and the figure with its change against the company's last statement."""
    note = {"first": "", "kept": " (kept)", "raised": " (raised)", "cut": " (cut)"}
    lines = ["| Stated | Period | Covers | Figure |", "|---|---|---|---|"]
    for r in table.itertuples():
        period = (f"{r.period_start:%b %Y}–{r.period_end:%b %Y}" if r.year_basis == "fiscal"
                  else f"{r.period_start:%Y}")
        lines.append(f"| {r.short}, {r.stated.day} {r.stated:%b %Y} | {period} | {r.covers} | "
                     f"{r.figure}{note[r.change]} |")
    return "\n".join(lines)


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
            f"{_day(res['worst_date'])})")


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


def standing_chart(frame: pd.DataFrame) -> alt.TopLevelMixin:
    """Dumbbells: each series' first-session move and its level at the end of the data, both
    against its last close before the shock; orange below it, blue above."""
    end = frame["end_date"].max()
    long = pd.concat([
        frame.assign(when="First session", pct=frame["first_pct"], date=frame["first_date"]),
        frame.assign(when=f"{end.day} {end:%B}", pct=frame["end_pct"], date=frame["end_date"])],
        ignore_index=True)
    long["sign"] = ["below" if p < 0 else "above" for p in long["pct"]]
    low = long.groupby("label")["pct"].transform("min")
    long["side"] = ["left" if p == m else "right" for p, m in zip(long["pct"], low)]
    long["text"] = [f"{p:+.1f}%".replace("-", "−") for p in long["pct"]]
    order = frame["label"].tolist()
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=150))
    # room for the labels beyond the outer points
    span = [10 * math.floor((long["pct"].min() - 12) / 10),
            10 * math.ceil((long["pct"].max() + 12) / 10)]
    x = alt.X("pct:Q", title="Against the last close before 27 January (%)",
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
                  f"{end:%B %Y}", "Both compounded from the last close before 27 January; "
                  "orange: below it, blue: above",
                  "(n): simple average of n stocks. April's tariff sell-off came in between"],
        source=SOURCE_PRICES,
        description=("Dumbbell chart. " + "; ".join(
            f"{r.label}: {r.first_pct:+.1f}% on its first session, {r.end_pct:+.1f}% on "
            f"{r.end_date.day} {r.end_date:%B %Y}" for r in frame.itertuples()) + "."))


def changes_text(table: pd.DataFrame) -> str:
    """What the platforms did to their plans after the shock, in a clause."""
    after = table.loc[table["when"] == "after"]
    n = table["ticker"].nunique()
    cut = after.loc[after["change"] == "cut", "short"].drop_duplicates().tolist()
    up = after.loc[after["change"] == "raised", "short"].drop_duplicates().tolist()
    lead = (f"none of the {count(n)} cut its spending plan after the shock" if not cut else
            f"{' and '.join(cut)} cut {'its plan' if len(cut) == 1 else 'their plans'} after "
            "the shock")
    return lead + (f", and {' and '.join(up)} raised {'its own' if len(up) == 1 else 'theirs'}"
                   if up else "")


def when_text(row: pd.Series) -> str:
    """A reaction's moment as reported: 'late Sunday' on 26 January, Los Angeles -> 'late on
    Sunday 26 January (US West Coast time)'."""
    weekday, words = f"{row['date']:%A}", row["time_local"]
    when = (words.replace(weekday, f"on {_day(row['date'], True)}") if weekday in words
            else f"{words} on {_day(row['date'], True)}")
    zone = {"America/Los_Angeles": "US West Coast", "America/New_York": "New York"}
    return f"{when.strip()} ({zone.get(row['timezone'], row['timezone'])} time)"


@dataclass
class Chapter:
    text: dict[str, str]                      # glue name -> prose
    plans: pd.DataFrame
    standing: pd.DataFrame
    results: dict
    figures: dict[str, tuple[alt.TopLevelMixin, pd.DataFrame]] = field(default_factory=dict)


def chapter() -> Chapter:
    """The chapter's prose numbers (glue name -> text) and its two figures, in one call."""
    from .landing import last_close
    table, run, res, stand = plans(), launch.training_cost(), results(), standing()
    frame, by = plans_frame(table, run), stand.set_index("key")
    small, multiple = smallest(frame)
    nadella = context.reactions().set_index("who").loc["Satya Nadella"]

    def pick(ticker: str, change: str) -> pd.Series:
        return table.loc[(table["ticker"] == ticker) & (table["change"] == change)].iloc[0]

    meta_first, meta_up, amzn = pick("META", "first"), pick("META", "raised"), pick("AMZN", "first")
    googl, msft = pick("GOOGL", "first"), pick("MSFT", "first")
    best = stand.loc[stand["end_pct"].idxmax()]
    text = {
        "me_end": f"{_day(last_close())} {last_close():%Y}",
        "me_cost": f"${run.cost / 1e6:.3f}M", "me_hours": f"{run.gpu_hours / 1e6:.3f} million",
        "me_price": f"${run.price:,.0f}", "me_multiple": f"{multiple:,}",
        "me_small": f"{small['short']}'s {small['label'].removeprefix('about ')}",
        "me_changes": changes_text(table),
        "me_meta_first": meta_first["figure"],
        "me_meta_first_day": _day(meta_first["stated"], True),
        "me_meta_kept_day": _day(pick("META", "kept")["stated"]), "me_meta_up": meta_up["figure"],
        "me_meta_up_day": _day(meta_up["stated"]),
        "me_googl": googl["figure"], "me_googl_day": _day(googl["stated"]),
        "me_googl_again": _day(pick("GOOGL", "kept")["stated"]),
        "me_amzn": _bn(amzn["low_usd_bn"]), "me_amzn_q": _bn(amzn["low_usd_bn"] / QUARTERS),
        "me_amzn_day": _day(amzn["stated"]), "me_amzn_year": f"{amzn['period_start']:%Y}",
        "me_amzn_quarter": f"{amzn['period_start'].year - 1}",   # the last quarter reported
        "me_meta_year": f"{meta_first['period_start']:%Y}",
        "me_googl_year": f"{googl['period_start']:%Y}",
        "me_msft_end": f"{msft['period_end']:%B %Y}",
        "me_msft": msft["figure"], "me_msft_day": _day(msft["stated"]),
        "me_msft_kept_day": _day(pick("MSFT", "kept")["stated"]),
        "me_plans_table": plans_markdown(table),
        "me_nadella": nadella["quote"], "me_nadella_when": when_text(nadella),
        "me_res_day": _day(res["date"], True), "me_res_react": _day(res["day"], True),
        "me_res_period": _day(res["period_end"]), "me_res_fall": fall(res["ret"]),
        "me_res_rank": rank_text(res),
        "me_n": count(len(stand)),
        "me_best": (f"the {best['label'].split(' (')[0]} group" if best["members"] > 1
                    else best["label"]),
        "me_lows": (f"all {count(len(stand))} series" if stand["low_in_tariffs"].all() else
                    f"{count(int(stand['low_in_tariffs'].sum()))} of the {count(len(stand))} "
                    "series"),
        "me_standing_lead": ("the falls of 27 January had been made good" if
                             (stand["end_pct"] >= 0).all() else
                             f"{count(int((stand['end_pct'] >= 0).sum()))} of the "
                             f"{count(len(stand))} series below had made good their falls of "
                             "27 January"),
    }
    for key, _, tag in STANDING:
        r = by.loc[key]
        text[f"me_{tag}_first"] = fall(r["first_pct"] / 100)
        text[f"me_{tag}_end"] = level(r["end_pct"])
        if r["members"] > 1:
            text[f"me_{tag}_n"] = count(int(r["members"]))
    drawn = ["label", "members", "first_date", "first_pct", "end_date", "end_pct"]
    return Chapter(text, table, stand, res, {
        "fig-meaning-plans": (plans_chart(frame), frame),
        "fig-meaning-standing": (standing_chart(stand), stand[drawn])})
