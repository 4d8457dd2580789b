"""What the platforms said they would spend, before and after the shock, against what
DeepSeek-V3's final training run cost: the statements of `data/capex.csv` with the change each
made (`plans`), what the chart draws (`plans_frame`), its finding (`plans_title`), the chart and
the chapter's table."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from ...data import capex, event
from .. import aftermath, launch
from ..charts import NEGATIVE, NEUTRAL, PALETTE, POSITIVE, finish, narrow_layout
from ..selloff import count

SHOCK = event.day0("XNYS")        # 27 January 2025: statements before it and after it
ACCENT = PALETTE[4]               # the chart's one accent: DeepSeek's training run
QUARTERS = 4                      # an "implied" annual figure is four times one quarter
SHORT = {"Meta Platforms": "Meta"}
STATUS = {"before": f"Stated before {SHOCK.day} {SHOCK:%B}",
          "kept": "Kept or first stated after it",
          "raised": "Raised after it", "cut": "Cut after it",
          "run": "DeepSeek-V3's final training run"}
COLOURS = {"before": "#999999", "kept": NEUTRAL, "raised": POSITIVE, "cut": NEGATIVE,
           "run": ACCENT}
SOURCE_PLANS = ("Company releases, calls and posts as reported by the press; DeepSeek-V3 "
                "technical report")


def bn(x: float) -> str:
    """US$ bn for prose: '$80bn', '$26.3bn'."""
    return f"${x:,.{0 if float(x).is_integer() else 1}f}bn"


def figure_text(row) -> str:
    """A statement's figure: 'about $80bn', '$60–65bn', '$105.2bn (implied)'."""
    return {"range": f"${row.low_usd_bn:g}–{row.high_usd_bn:g}bn",
            "implied": f"{bn(row.low_usd_bn)} (implied)"}.get(row.form,
                                                                f"about {bn(row.low_usd_bn)}")


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
        subtitle=[f"Plans stated before and after {SHOCK.day} {SHOCK:%B %Y}, and DeepSeek's final "
                  "training run", "Not one measure: Microsoft's covers AI data centres in a year "
                  "to June; Amazon's is implied"],
        source=SOURCE_PLANS,
        description=("Dot chart on a logarithmic dollar scale. " + "; ".join(
            f"{r.company}, stated {r.stated.day} {r.stated:%B %Y}: {r.label} for {r.period} "
            f"({r.covers}; {r.status[0].lower() + r.status[1:]})"
            for r in firms_rows.itertuples())
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


