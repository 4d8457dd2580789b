"""What it meant, the story's last chapter: the platforms' spending plans before and after the
shock against DeepSeek-V3's training-run cost (`spending`); where prices stood when the data end
and Nvidia's February results (`prices`). `chapter()` returns the prose and the figures in one
call."""

from __future__ import annotations

from dataclasses import dataclass, field

import altair as alt
import pandas as pd

from ...data import context
from .. import launch
from ..landing import last_close
from ..selloff import count, fall
from .prices import (ON, STANDING, day as _day, level, rank_text, results, standing,  # noqa: F401
                     standing_chart, standing_long, standing_title)
from .spending import (QUARTERS, bn, changes_text, plans, plans_chart,  # noqa: F401
                       plans_frame, plans_markdown, plans_title, smallest)
from ..page import stored


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


@stored
def chapter() -> Chapter:
    """The chapter's prose numbers (glue name -> text) and its two figures, in one call."""
    table, run, res, stand = plans(), launch.training_cost(), results(), standing()
    frame, by = plans_frame(table, run), stand.set_index("key")
    small, multiple = smallest(frame)
    nadella = context.reactions().set_index("who").loc["Satya Nadella"]

    def pick(ticker: str, change: str) -> pd.Series:
        return table.loc[(table["ticker"] == ticker) & (table["change"] == change)].iloc[0]

    meta_first, meta_up = pick("META", "first"), pick("META", "raised")
    googl, msft, amzn = pick("GOOGL", "first"), pick("MSFT", "first"), pick("AMZN", "first")
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
        "me_amzn": bn(amzn["low_usd_bn"]), "me_amzn_q": bn(amzn["low_usd_bn"] / QUARTERS),
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
        "me_standing_lead": (f"the falls of {ON} had been made good" if
                             (stand["end_pct"] >= 0).all() else
                             f"{count(int((stand['end_pct'] >= 0).sum()))} of the "
                             f"{count(len(stand))} series below had made good their falls of "
                             f"{ON}"),
    }
    for key, _, tag in STANDING:
        r = by.loc[key]
        text[f"me_{tag}_first"] = fall(r["first_pct"] / 100)
        text[f"me_{tag}_end"] = level(r["end_pct"])
        if r["members"] > 1:
            text[f"me_{tag}_n"] = count(int(r["members"]))
    return Chapter(text, table, stand, res, {
        "fig-meaning-plans": (plans_chart(frame), frame),
        "fig-meaning-standing": (standing_chart(stand), standing_long(stand).iloc[:, :5])})
