"""The fact-check's table and dot chart, from the results of `factcheck.check`."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..data import facts
from . import marketvalue
from .charts import finish
from .verdicts import COLORS, SHAPES, VERDICTS


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
