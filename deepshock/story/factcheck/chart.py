"""The fact-check's table and dot chart, from the results of `factcheck.check`."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ...data import facts
from .. import marketvalue
from ..charts import NEGATIVE, NEUTRAL, POSITIVE, finish, narrow_layout
from .verdicts import SHAPES, VERDICTS

SOURCE = "Reuters, 28 January 2025 (the claims); Yahoo Finance daily closes"
# Short names for the chart's row labels (the full name is in the tooltip), so none is cut.
SHORT = {"^SOX": "SOX", "GOOGL": "Alphabet", "9984.T": "SoftBank", "8035.T": "Tokyo Electron"}


def results_table(results: pd.DataFrame) -> str:
    """The results as a MyST table with fixed column widths (fits a PDF page)."""
    rows = [[r["claim"], f"{r['claimed']} → {r['measured']}",
             f"**{r['verdict']}**" + (f" ({r['flag']})" if r["flag"] else ""), r["reason"]]
            for _, r in results.iterrows()]
    header = ["Claim (paraphrased)", "Reported → measured", "Verdict", "Why"]
    return marketvalue.list_table(header, rows, [32, 24, 13, 31])


def dot_data(results: pd.DataFrame) -> pd.DataFrame:
    """The percentage-move claims: one row each with the reported and measured move."""
    moves = results.loc[(results["metric"] == "close_to_close_return")
                        & results["measured_value"].notna()]
    names = {t: facts.name(t) for t in moves["subject"]}
    return pd.DataFrame({
        "claim": [f"{SHORT.get(s, names[s])}, {pd.Timestamp(d):%a}" for s, d in
                  zip(moves["subject"], moves["date"])],
        "security": [names[s] for s in moves["subject"]],
        "session": pd.to_datetime(moves["date"]).dt.normalize(),
        "reported": moves["claimed_value"].astype(float),
        "measured": moves["measured_value"].astype(float).round(2),
        "verdict": moves["verdict"], "reason": moves["reason"]}).reset_index(drop=True)


def largest_gap(data: pd.DataFrame) -> pd.Series:
    """The claim whose reported move is furthest from the close-to-close move."""
    return data.loc[(data["measured"] - data["reported"]).abs().idxmax()]


def dot_chart(data: pd.DataFrame) -> alt.LayerChart:
    """Reported (open circle) against measured (filled; orange fell, blue rose; the shape is the
    verdict) per claim, joined by a grey rule."""
    order = data.sort_values("measured")["claim"].tolist()
    present = [v for v in VERDICTS if v in set(data["verdict"])]
    y = alt.Y("claim:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    tooltip = [alt.Tooltip("security:N", title="Security"),
               alt.Tooltip("session:T", title="Session", format="%a %d %b %Y"),
               alt.Tooltip("reported:Q", title="Reported (%)", format="+.1f"),
               alt.Tooltip("measured:Q", title="Measured (%)", format="+.2f"),
               alt.Tooltip("verdict:N", title="Verdict"), alt.Tooltip("reason:N", title="Why")]
    base = alt.Chart(data)
    link = base.mark_rule(color="#999999").encode(
        x=alt.X("reported:Q", title="Close-to-close move on the session (%)"), x2="measured:Q",
        y=y, tooltip=tooltip)
    reported = base.mark_point(filled=False, size=70, color=NEUTRAL).encode(
        x="reported:Q", y=y, tooltip=tooltip)
    measured = base.transform_calculate(
        direction="datum.measured < 0 ? 'fell' : 'rose'").mark_point(
        filled=True, size=90, opacity=1).encode(
        x="measured:Q", y=y, tooltip=tooltip,
        color=alt.Color("direction:N", legend=None, scale=alt.Scale(
            domain=["fell", "rose"], range=[NEGATIVE, POSITIVE])),
        shape=alt.Shape("verdict:N", scale=alt.Scale(domain=present,
                                                     range=[SHAPES[v] for v in present]),
                        legend=alt.Legend(title="Verdict (filled mark)", symbolFillColor=NEUTRAL,
                                          symbolStrokeColor=NEUTRAL)))
    chart = alt.layer(link, reported, measured).properties(width=380, height=len(order) * 26)
    n = len(data)
    days = sorted(data["session"].unique())
    when = " or ".join(f"{d:%a} {d.day}" for d in map(pd.Timestamp, days)) + f" {days[-1]:%B %Y}"
    exact = int((data["verdict"] == "confirmed").sum())
    gap = largest_gap(data)
    off = abs(gap["measured"] - gap["reported"])
    return finish(
        narrow_layout(chart, note="Tap a mark for the claim, both figures and the verdict"),
        title=f"{exact} of {n} reported moves match the close to their rounding; the largest "
              f"miss is {off:.1f} points ({gap['security']})",
        subtitle="Open circle: the figure in the article; filled mark: the close-to-close move "
                 f"(orange: fell), its shape the verdict; {when}",
        source=SOURCE,
        description=(f"Dot plot of {n} percentage moves reported by the article against the "
                     "close-to-close moves in the daily data, one row per claim: "
                     + "; ".join(f"{r.claim}: reported {r.reported:+.1f}%, measured "
                                 f"{r.measured:+.2f}% ({r.verdict})" for r in data.itertuples())
                     + "."),
    )
