"""The market-value chapter's chart: the loss per company on 27 January 2025 against the press's
earlier record one-day losses (`chart_data` builds exactly what `loss_chart` draws)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..charts import NEGATIVE, NEUTRAL, POSITIVE, finish, narrow_layout
from .valuation import COUNT_WORDS, SHOCK_DAYS, SOURCE, label


def chart_data(table: pd.DataFrame, records: pd.DataFrame,
               day: pd.Timestamp = SHOCK_DAYS[0]) -> pd.DataFrame:
    """Bars (one per company with a figure on `day`) and reference lines (press records)."""
    bars = table.loc[(table["date"] == day) & table["included"]].copy()
    bars = bars.assign(
        layer="company", loss_bn=(bars["loss_usd"] / 1e9).round(2),
        label=[label(v, a) for v, a in zip(bars["loss_usd"], bars["approximate"])],
        figure=bars["approximate"].map({True: "approximate", False: "exact"}),
        detail=[f"share count: {COUNT_WORDS[g]}; price level: {b}"
                + ("" if t else "; not in the totals (the company counts by its home line)")
                for g, b, t in zip(bars["grade"], bars["basis"], bars["in_total"])])
    bars = bars.sort_values("loss_usd", ascending=False)
    refs = records.assign(
        layer="record", name=records["company"], loss_bn=records["loss_usd_bn"],
        label=[f"${v:,.0f}bn {c} {d:%Y}" for c, d, v in
               zip(records["company"], records["date"], records["loss_usd_bn"])],
        figure="press record", detail=records["source"])
    cols = ["layer", "name", "short", "loss_bn", "label", "figure", "detail"]
    bars["short"], refs["short"] = bars["name"].map(short_name), refs["name"]
    return pd.concat([bars[cols], refs[cols]], ignore_index=True)


# the words a phone's axis can drop from a company's name (the tooltip keeps the full name)
SHORTER = {"Advanced Micro Devices": "AMD", "Super Micro Computer": "Super Micro",
           "Alphabet (class A)": "Alphabet"}
DROPPED = (" Holdings", " Holding", " Technology", " Platforms", " Electronics", " Group", " Energy")


def short_name(name: str) -> str:
    """A company's name short enough for a phone's axis: 'Micron', 'Arm (ADR)', 'AMD'."""
    name = SHORTER.get(name, name)
    for word in DROPPED:
        name = name.replace(word, "")
    return name


def loss_chart(data: pd.DataFrame) -> alt.LayerChart:
    """Sorted horizontal bars of the loss per company; approximate bars pale with a dashed
    outline; earlier record losses (press figures) as dashed reference lines."""
    bars_df = data.loc[data["layer"] == "company"]
    order = bars_df["name"].tolist()
    base = alt.Chart(data)
    y = alt.Y("name:N", sort=alt.EncodingSortField("loss_bn", op="max", order="descending"),
              title=None)
    span = bars_df["loss_bn"].max() - min(bars_df["loss_bn"].min(), 0)
    day = SHOCK_DAYS[0]
    x = alt.X("loss_bn:Q", title=f"Market value lost on {day.day} {day:%B %Y} (US$ bn; "
              "negative = gain)",
              scale=alt.Scale(domain=[min(bars_df["loss_bn"].min(), 0) - 0.25 * span,
                                      bars_df["loss_bn"].max() + 0.2 * span], nice=True))
    tooltip = [alt.Tooltip("name:N", title="Company"), alt.Tooltip("label:N", title="Loss"),
               alt.Tooltip("figure:N", title="Figure"), alt.Tooltip("detail:N", title="Basis")]
    bars = base.transform_filter("datum.layer == 'company'").mark_bar(strokeWidth=1.2).encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.condition("datum.loss_bn >= 0", alt.value(NEGATIVE), alt.value(POSITIVE)),
        stroke=alt.condition("datum.loss_bn >= 0", alt.value(NEGATIVE), alt.value(POSITIVE)),
        opacity=alt.Opacity("figure:N", scale=alt.Scale(domain=["exact", "approximate"],
                                                         range=[1.0, 0.35]),
                            legend=alt.Legend(title="Figure")),
        strokeDash=alt.StrokeDash("figure:N", scale=alt.Scale(domain=["exact", "approximate"],
                                                              range=[[1, 0], [3, 2]]),
                                  legend=None))
    texts = [base.transform_filter(f"datum.layer == 'company' && datum.loss_bn {op} 0").mark_text(
        align=align, dx=dx, fontSize=10, color=NEUTRAL).encode(
        x="loss_bn:Q", y=y, text="label:N", tooltip=tooltip)
        for op, align, dx in ((">=", "left", 4), ("<", "right", -4))]
    height = len(order) * 17
    # Reference lines start lower the larger the record, so each label (at its line's top,
    # to the right) clears the lines of larger records and the long bars at the top.
    refs = base.transform_filter("datum.layer == 'record'").transform_window(
        rank="rank()", sort=[alt.SortField("loss_bn")]).transform_calculate(
        top=f"{height * 0.5} + 14 * datum.rank")
    top = alt.Y("top:Q", scale=None, axis=None)
    rules = refs.mark_rule(strokeDash=[5, 3], color="#444444").encode(
        x="loss_bn:Q", y=top, y2=alt.value(height), tooltip=tooltip)
    notes = refs.mark_text(align="left", baseline="middle", dx=3, fontSize=9,
                           color="#444444").encode(x="loss_bn:Q", y=top, text="label:N")
    chart = alt.layer(rules, bars, *texts, notes).properties(width=420, height=height)
    # On a phone: short names, the axis fitted to the bars, no value or record labels (the
    # title carries the point; a tap on a bar or a dashed line gives its figure).
    low, high = min(bars_df["loss_bn"].min(), 0), bars_df["loss_bn"].max()
    chart = narrow_layout(chart, drop=("layer/2", "layer/3", "layer/4"),
                          set={"layer/1/encoding/x/scale/domain": [low, high],
                               "layer/1/encoding/y/field": "short"},
                          note="Tap a bar for its figure, a dashed line for its record")
    first, second = bars_df.iloc[0], bars_df.iloc[1]
    return finish(
        chart,
        title=(f"{first['name']} lost {first['label']} on {day.day} {day:%B}, "
               f"{first['loss_bn'] / second['loss_bn']:.1f} times {second['name']}'s loss"),
        subtitle=["Dashed lines: earlier record one-day losses (press); pale, dashed bars: "
                  "approximate"],
        source=SOURCE,
        description=(f"Horizontal bar chart of the market value each of {len(order)} companies "
                     f"lost on its {day.day} {day:%B %Y} session, sorted from {first['name']} "
                     f"({first['label']}) down; gains are drawn to the left in blue. Approximate "
                     "figures are pale with a dashed outline. Vertical dashed lines mark the "
                     "earlier record one-day losses reported by the press."),
    )
