"""Compared with what: every large fall in the data and the named shocks, in one call
(`chapter`). `days` selects and ranks the comparison days by a rule, `measures` runs the book's
measurements for each named shock, `chart` draws them, `tables` lays out the chapter's tables.
The recovery followed to the end of the data is the aftermath's (`story.aftermath`)."""

from __future__ import annotations

from ..prose import Chapter
from . import chart, days, measures, tables  # noqa: F401
from .measures import (DAYS, GROUP_MARKET, GROUPS, LOCAL, NY, PATH, SERIES, breadth,  # noqa: F401
                       events, groups, losers, measure, moves, path, paths, transmission)
from ..page import stored


@stored
def chapter() -> Chapter:
    """The chapter's prose numbers and tables (glue name -> text) and its two figures."""
    comparison = days.days()
    table = measure()
    text = (tables.ranking_text(comparison) | tables.days_table(comparison)
            | tables.events_table() | tables.named_tables(table) | tables.travel_table(table)
            | tables.study_table(table))
    spread = chart.map_data(comparison)
    walk = paths()
    return Chapter(text, {"fig-shocks-map": (chart.map_chart(spread), spread),
                          "fig-shocks-paths": (chart.paths_chart(walk), walk)})
