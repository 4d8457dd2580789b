"""Charts of the chapter "Compared with what": the comparison days placed by size and
concentration (`map_chart`, from `shocks_days`), and the named shocks' paths (`paths_chart`)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..charts import DASHES, MUTED, NEUTRAL, PALETTE, finish, narrow_layout
from .measures import PATH
from .days import in_panel

ACCENT = PALETTE[4]  # the one highlight colour
# series: Nvidia black, the SOX (the series the titles are about) in the accent, the S&P 500
# and its equal-weighted version in greys; dashes tell them apart in print
SERIES_COLOURS = ["#000000", ACCENT, NEUTRAL, "#999999"]


SOURCE = "Yahoo Finance daily closes; exchange calendars"


def map_data(days: pd.DataFrame) -> pd.DataFrame:
    """What the map chart shows: each comparison day in the panel's span (`shocks_days.days`),
    the broad market's move, the chips' move beyond it and the share of members that fell."""
    table = in_panel(days)
    return pd.DataFrame({
        "day": table["date"].dt.strftime("%Y-%m-%d"),
        "event": [lab or f"{d:%-d %b %Y}" for lab, d in zip(table["label"], table["date"])],
        "named": table["label"] != "",
        "rsp_pct": (table["RSP"] * 100).round(2),
        "sox_pct": (table["^SOX"] * 100).round(2),
        "gap_pp": (table["concentration"] * 100).round(2),
        "share_fell_pct": (table["share_fell"] * 100).round(1),
        "primary": table["primary"].to_numpy(),
    }).reset_index(drop=True)


def map_chart(data: pd.DataFrame) -> alt.LayerChart:
    """Each comparison day placed by the broad market's fall (x) and the chips' fall beyond it
    (y); named shocks labelled, the book's event in the accent."""
    ds = data.loc[data["primary"]].iloc[0]
    others = data.loc[~data["primary"]]
    wider = int((others["gap_pp"] < ds["gap_pp"]).sum())
    day = pd.Timestamp(ds["day"])
    first, last = pd.Timestamp(data["day"].min()), pd.Timestamp(data["day"].max())
    span = f"{first:%B %Y} to {last:%B %Y}"
    tooltip = [alt.Tooltip("event:N", title="Event"), alt.Tooltip("day:N", title="Day"),
               alt.Tooltip("rsp_pct:Q", title="S&P 500 equal weight (%)", format="+.1f"),
               alt.Tooltip("sox_pct:Q", title="SOX (%)", format="+.1f"),
               alt.Tooltip("gap_pp:Q", title="SOX minus equal weight (pp)", format="+.1f"),
               alt.Tooltip("share_fell_pct:Q", title="S&P 500 members that fell (%)",
                           format=".0f")]
    base = alt.Chart(data).encode(
        x=alt.X("rsp_pct:Q", title="Move of the equal-weighted S&P 500 (%)"),
        y=alt.Y("gap_pp:Q", title="SOX's move beyond it (percentage points)"),
        tooltip=tooltip)
    dots = base.mark_circle(opacity=0.9, stroke="#333333", strokeWidth=0.5).encode(
        size=alt.Size("share_fell_pct:Q", title="Members that fell (%)",
                      scale=alt.Scale(range=[60, 400])),
        color=alt.condition(alt.datum.primary, alt.value(ACCENT), alt.value(MUTED)))
    label = base.mark_text(align="left", dx=9, fontSize=11)
    own = label.encode(text="event:N").transform_filter(alt.datum.primary)
    rest = label.encode(text="event:N").transform_filter(alt.datum.named & ~alt.datum.primary)
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color=NEUTRAL, strokeDash=[4, 3]
                                                         ).encode(y="y:Q")
    chart = narrow_layout(alt.layer(zero, dots, own, rest).properties(width=520, height=320),
                          drop=("layer/3",), note="Tap a dot for its day")
    if ds["gap_pp"] >= 0:   # the chips kept up with the market: say so, not "fell more"
        title = (f"On {day:%-d %B %Y} chips did {ds['gap_pp']:.1f} points better than the "
                 f"average stock; {wider} of the other {len(others)} comparison days had chips "
                 "further behind")
    elif wider == 0:
        title = (f"On {day:%-d %B %Y} chips fell {abs(ds['gap_pp']):.1f} points more than the "
                 f"average stock: the widest gap of the {len(data)} comparison days from {span}")
    else:
        title = (f"On {day:%-d %B %Y} chips fell {abs(ds['gap_pp']):.1f} points more than the "
                 f"average stock; {wider} of the other {len(others)} comparison days had a wider gap")
    return finish(
        chart, title=title,
        subtitle=["Each dot: a comparison day for which the data hold the S&P 500's members; "
                  "size: share of them that fell", "Labelled: the named shocks"],
        source="Yahoo Finance daily closes of the S&P 500 members and of RSP",
        description="Scatter of the comparison days in the panel's span: " + "; ".join(
            f"{r.event} ({r.day}): equal-weighted S&P 500 {r.rsp_pct:+.1f}%, SOX {r.sox_pct:+.1f}%,"
            f" {r.share_fell_pct:.0f}% of members fell" for r in data.itertuples()) + ".")


def paths_chart(data: pd.DataFrame) -> alt.FacetChart:
    """Small multiples: cumulative moves of the main series around each event."""
    order = list(dict.fromkeys(data["event"]))
    series = list(dict.fromkeys(data["series"]))
    end = data.loc[data["tau"] == PATH[1]].set_index(["event", "series"])["cum_pct"]
    below = sum(1 for e in order if end[(e, "SOX")] < 0)
    line = alt.Chart(data).mark_line(strokeWidth=1.6).encode(
        x=alt.X("tau:Q", title="New York sessions from day 0",
                scale=alt.Scale(domain=list(PATH), nice=False)),
        y=alt.Y("cum_pct:Q", title="Move (%)"),
        color=alt.Color("series:N", title="Series", sort=series,
                        scale=alt.Scale(domain=series, range=SERIES_COLOURS[:len(series)])),
        strokeDash=alt.StrokeDash("series:N", title="Series", sort=series,
                                  scale=alt.Scale(domain=series, range=DASHES[:len(series)])),
        tooltip=[alt.Tooltip("event:N", title="Event"), alt.Tooltip("series:N", title="Series"),
                 alt.Tooltip("tau:Q", title="Session"),
                 alt.Tooltip("cum_pct:Q", title="Move (%)", format="+.1f")])
    rule = alt.Chart(data).mark_rule(color=NEUTRAL, strokeDash=[2, 2]).encode(
        x=alt.datum(0))
    chart = alt.layer(rule, line, data=data).properties(width=170, height=120).facet(
        facet=alt.Facet("event:N", title=None, sort=order), columns=3)
    return finish(
        chart,
        title=f"{PATH[1]} sessions later the SOX was still below its pre-shock close after "
              f"{below} of {len(order)} shocks",
        subtitle="Cumulative move (%) from the close before each shock's first New York "
                 "session (day 0, dotted line)",
        source=SOURCE,
        description="Small multiples of cumulative moves of Nvidia, the SOX, the S&P 500 and its "
                    "equal-weighted version around each shock. " + "; ".join(
                        f"{e}: SOX {end[(e, 'SOX')]:+.1f}% after {PATH[1]} sessions"
                        for e in order) + ".")
