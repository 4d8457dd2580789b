"""The book's recurring ideas: one owner, one glued value each (READER.md, "One number per idea").

`IDEAS[name] = (owner, glue key, description)`: `owner` is the story function that computes the
idea ("module:function"), the glue key is the name under which the owning page publishes it, and
the description says exactly what is measured, so that a related but different measure (a
censored recovery, an abnormal return, the ADR instead of the home line) is registered as an
idea of its own. A page that needs an idea states the glued value, or links to the owning page.
`tests/test_ideas.py` reads every built page and lists any page that states a registered idea
with another number.
"""

from __future__ import annotations

import importlib

IDEAS: dict[str, tuple[str, str, str]] = {
    "nvidia_fall": (
        "deepshock.story.nvidia:record_day", "nv_ret",
        "Nvidia's close-to-close fall on the shock day (New York's Monday)."),
    "nvidia_loss": (
        "deepshock.story.nvidia:record_day", "nv_lost",
        "Nvidia's loss of market value that session: its filing share count times the fall of "
        "its close (the press figure, $593bn, is a claim the book checks, not this idea)."),
    "nvidia_recovery": (
        "deepshock.story.aftermath:recovery", "nv_sessions",
        "Nvidia's own sessions from its last close before the shock to the first close at or "
        "above it."),
    "sox_fall": (
        "deepshock.story.selloff:fall_rank", "so_sox_fall",
        "The SOX's close-to-close fall on the shock day."),
    "spx_fall": (
        "deepshock.story.selloff:us_moves", "so_spx",
        "The S&P 500's close-to-close fall on the shock day."),
    "average_stock": (
        "deepshock.story.landing:breadth", "so_sp_ew",
        "The average S&P 500 stock on the shock day: the equal-weighted mean of the members' "
        "returns (the RSP fund's move is a different, investable measure)."),
    "sox_recovery": (
        "deepshock.story.aftermath:recovery", "af_sox_sessions",
        "The SOX's sessions from its last close before the shock to the first close at or "
        "above it, uncensored (the comparison days' recovery, cut at the next comparison day, "
        "is another measure)."),
    "spx_recovery": (
        "deepshock.story.shocks.days:ranks", "sh_rec_spx",
        "The S&P 500's sessions from its last close before the shock to the first close at or "
        "above it."),
    "tsmc_move": (
        "deepshock.story.asia:first_back", "tsmc",
        "TSMC's move: its Taipei shares' first session back after the Lunar New Year closure; "
        "the book's one TSMC figure."),
    "tsmc_adr_27jan": (
        "deepshock.story.selloff:us_moves", "tsm_adr_mon",
        "TSMC's New York ADR on the shock day (a second line, not the book's TSMC figure)."),
    "share_count_companies": (
        "deepshock.story.marketvalue:losses", "mv_universe_n",
        "Companies with a sourced share count: the market-value chapter's companies."),
    "companies_27jan": (
        "deepshock.story.marketvalue:totals", "mv_n_all",
        "Companies with a share count AND a session on the shock day: those whose losses add "
        "up to that day's total."),
}


def owner(name: str):
    """The function that computes idea `name` (imported)."""
    where = IDEAS[name][0]
    module, _, function = where.partition(":")
    return getattr(importlib.import_module(module), function)
