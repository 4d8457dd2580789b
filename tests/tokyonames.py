"""A made-up frame laid out as `story.asia.tokyo_names` lays it out, for the Tokyo tests
(`tests/test_story_tokyo.py`, `tests/test_story_asia_mutants.py`)."""

from __future__ import annotations

import pandas as pd

MON, TUE = pd.Timestamp("2025-01-27"), pd.Timestamp("2025-01-28")


def names_frame(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    """rows of (ticker, name, Monday %, Tuesday %): one row per stock and session, the
    two-day move compounded here by hand."""
    out = []
    for ticker, name, m, t in rows:
        two = round(((1 + m / 100) * (1 + t / 100) - 1) * 100, 4)
        for day, r in ((MON, m), (TUE, t)):
            out.append({"ticker": ticker, "name": name, "session": f"{day:%a %d %b}", "date": day,
                        "ret_pct": r, "role": "benchmark" if ticker == "^N225" else "stock",
                        "two_day_pct": two})
    return pd.DataFrame(out)
