"""Tokyo's usual overnight pass-through from New York, and what was left on 27-28 January.

Tokyo's session on date t (00:00-06:30 UTC) closes before New York opens, so a normal Tokyo
session already carries the New York session(s) that closed since Tokyo's previous session.
The model, by OLS (`methods.leadlag`) on a year of Tokyo sessions before DeepSeek-V3:

    R_stock(t) = a + b_loc R_Nikkei(t) + b_ny R_SOX(New York sessions since Tokyo's last) + e

and for the Nikkei itself the New York regressor alone. A day's return then splits into the
local market's part, the usual pass-through of New York's overnight move, and the abnormal rest
(`leadlag.decompose`). The Nikkei contains Advantest, Tokyo Electron and SoftBank with large
weights, so the local part of those stocks partly is the stock itself: their abnormal rest is a
lower bound. US index futures trade during Tokyo's session; daily closes cannot see them.
"""

from __future__ import annotations

import pandas as pd

from ..data import event, load
from ..methods import leadlag

NY = "^SOX"
LOCAL = "^N225"
ESTIMATION = ("2023-12-01", "2024-12-24")  # a year of Tokyo sessions ending before V3's weights
DAYS = event.days("XTKS", (0, 1))  # Tokyo's day 0 (before New York traded) and day 1


def aligned(ticker: str, ny: str = NY, local: str = LOCAL) -> pd.DataFrame:
    """Per Tokyo session of `ticker`: its return, the local index's, and New York's compounded
    move from the last New York close before the previous Tokyo session to the last New York
    close before this one (New York closes at 21:00 UTC, before Tokyo's next open, so "before"
    is the earlier calendar date)."""
    own = load.returns(ticker)[["date", "prev_date", "ret"]]
    ny_close = load.prices(ny)[["date", "close"]].sort_values("date")
    out = own.copy()
    for col, when in (("ny_end", "date"), ("ny_start", "prev_date")):
        got = pd.merge_asof(out[[when]].sort_values(when), ny_close, left_on=when,
                            right_on="date", allow_exact_matches=False, suffixes=("", "_ny"))
        out[col] = got.set_index(when)["close"].reindex(out[when]).to_numpy()
    out["ny"] = out["ny_end"] / out["ny_start"] - 1
    if ticker != local:
        loc = load.returns(local).set_index("date")["ret"]
        out["local"] = out["date"].map(loc)
    return out.dropna().reset_index(drop=True)


def decomposition(ticker: str, days: tuple[pd.Timestamp, ...] = DAYS) -> pd.DataFrame:
    """Fit on ESTIMATION, then split the return on each of `days` into its parts (fractions):
    ret, alpha, local (absent for the index itself), ny, abnormal; plus the slopes."""
    frame = aligned(ticker)
    names = ("ny",) if ticker == LOCAL else ("local", "ny")
    est = frame.loc[frame["date"].between(*ESTIMATION)]
    fit = leadlag.ols(est["ret"], est[list(names)], names)
    rows = frame.loc[frame["date"].isin(days)].set_index("date")
    parts = leadlag.decompose(fit, rows["ret"], rows[list(names)])
    parts = parts.assign(ny_move=rows["ny"], b_ny=fit.params[-1], n=len(est))
    if "local" not in parts:
        parts["local"] = 0.0
    return parts


def table_markdown(rows: dict[str, pd.DataFrame], day: pd.Timestamp = DAYS[1]) -> str:
    """One day's split for several securities as a Markdown table (percent, one decimal): the
    move, the local market's part, New York's usual pass-through and the abnormal rest. The
    columns add up to the move but for alpha, the stock's small average daily drift."""
    lines = ["| | Move | Nikkei's part | Usual pass-through from New York | Abnormal |",
             "|---|---:|---:|---:|---:|"]
    for name, parts in rows.items():
        r = parts.loc[pd.Timestamp(day)]
        local = "" if name == "Nikkei 225" else f"{r['local'] * 100:+.1f}%"
        lines.append(f"| {name} | {r['ret'] * 100:+.1f}% | {local or '–'} | "
                     f"{r['ny'] * 100:+.1f}% | {r['abnormal'] * 100:+.1f}% |")
    return "\n".join(lines)
