"""The maintainers' data page: its numbers, each as the text glued under its name.

Everything comes from the synced cache's manifest and the data layer's own constants (the
checks' limits, the download's range and retries), so the page states the rules the code runs.
"""

from __future__ import annotations

from ..data import facts, rules, schema, sync, validate, yahoo
from . import dictionary
from .report import day, number, pct


def _intraday(manifest: dict) -> str:
    found = manifest.get("intraday") or {}
    if found.get("files"):
        bars = sum(f["rows"] for f in found["files"].values())
        return f"The cache now in use holds them, {number(bars, 0)} bars in all."
    note = found.get("note", "not in this cache, which was synced before they were added")
    return (f"The cache now in use holds none of them: they are {note}; the pages that use "
            "them say what is missing.")


def texts() -> dict[str, str]:
    """Glue name -> text for every number and table on the data page."""
    manifest = sync.read_manifest()
    panel = manifest["panel"]
    return {
        "data_tickers": number(len(manifest["tickers"]), 0),
        "data_rows": number(sum(e["rows"] for e in manifest["tickers"].values()), 0),
        "data_source": manifest["source"],
        "data_outside": sync.quirk_summary("close_outside_range"),
        "data_stale": sync.quirk_summary("stale_bars"),
        "data_missing": sync.quirk_summary("missing_sessions"),
        "data_jumps": sync.quirk_summary("documented_jumps"),
        "data_jump_limit": pct(validate.JUMP_LIMIT, digits=0, signed=False),
        "data_volatility": ", ".join(facts.name(t) for t in sorted(validate.VOLATILITY_INDICES)),
        "data_window": f"{day(yahoo.EVENT_WINDOW[0])} to {day(yahoo.EVENT_WINDOW[1])}",
        "data_range": f"{day(yahoo.START)} to {day(yahoo.END)}",
        "data_tolerance": pct(yahoo.TOLERANCE, digits=2, signed=False),
        "data_backoff": ", ".join(f"{yahoo.BACKOFF * 2 ** k:g}"
                                  for k in range(yahoo.ATTEMPTS - 1)),
        "data_attempts": number(yahoo.ATTEMPTS, 0),
        "data_intraday": _intraday(manifest),
        "data_panel_members": number(panel["members"]["sp500"], 0),
        "data_panel_etfs": number(panel["members"]["etf"], 0),
        "data_panel_sessions": number(panel["rows"], 0),
        "data_panel_range": f"{day(panel['first'])} to {day(panel['last'])}",
        "data_panel_late": number(panel["late_listings"], 0),
        "data_facts_files": number(len(schema.facts_files()), 0),
        "data_quote_words": number(rules.QUOTE_WORDS, 0),
        "data_dictionary": dictionary.facts_markdown(),
    }
