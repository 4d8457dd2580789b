"""Oracle of the records ranking (the Nvidia chapter): every company-day that a dated share count
serves, valued as count x (previous close - close) and ranked in dollars and in per cent, then
the two glued top-10 tables (row by row) and the prose numbers read off the ranking.

The rule, written again from its statement (not from the story's code): a New York equity or
ADR line traded in dollars, its file priced as traded (the manifest's RAW convention), one line
per company (TSM's company counts by its Taipei line), with at least one count dated to a day.
Each of its sessions is served by the latest such count dated on or before it, if that count is
at most 183 days old; the count is put into the snapshot's units by multiplying in every split
of `data/splits.csv` that took effect after the count's date and by the file's download (a split
of unknown date leaves the count unplaceable, so it serves no day). Ranks: 1 + the number of
company-days strictly larger (in dollars lost) or strictly deeper (in per cent)."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from tests.oracle import raw
from tests.oracle.raw import SHOCK, bn, day, fall
from tests.oracle.registry import table, value

NV = "chapters/nvidia"
HOME_LINE = {"TSM"}  # an ADR whose company is ranked (or not) by its home line
MINUS = "\u2212"


def short(stamp: pd.Timestamp) -> str:
    """'3 Sep 2024': the house style's short date (no leading zero)."""
    return f"{stamp.day} {stamp:%b %Y}"


def eligible() -> pd.DataFrame:
    """The New York dollar equity/ADR lines priced as traded, TSM left out, in universe order,
    with `dated` (whether a count dated to a day is on file)."""
    uni = raw.facts("universe")
    conv = raw.manifest()["close_convention"].astype(str)
    keep = (uni["kind"].isin(["equity", "adr"]) & (uni["calendar"] == "XNYS")
            & (uni["currency"] == "USD") & ~uni["ticker"].isin(HOME_LINE))
    lines = uni.loc[keep].copy()
    lines = lines.loc[[conv.get(t, "").startswith("RAW") for t in lines["ticker"]]]
    counts = raw.facts("shares")
    dated = set(counts.loc[counts["as_of_precision"] == "day", "ticker"])
    return lines.assign(dated=lines["ticker"].isin(dated))[["ticker", "name", "dated"]]


def units(when: pd.Timestamp, splits: pd.DataFrame) -> float:
    """Shares dated `when` per share of the snapshot's units: the splits (of one security) that
    took effect after `when` and by the download, multiplied; NaN if a split's date is unknown."""
    if (splits["effective"] == "").any():
        return np.nan
    effective, download = pd.to_datetime(splits["effective"]), pd.to_datetime(splits["download"])
    moved = (effective > when) & (effective <= download)
    return float(splits["ratio"].astype(float)[moved].prod())


def placed_counts(ticker: str) -> pd.DataFrame:
    """The day-dated counts of `ticker` in the snapshot's units: as_of, shares (NaN where the
    count cannot be placed), grade; by date."""
    counts = raw.facts("shares")
    counts = counts.loc[(counts["ticker"] == ticker) & (counts["as_of_precision"] == "day")]
    splits = raw.facts("splits").loc[lambda f: f["ticker"] == ticker]
    when = pd.to_datetime(counts["as_of"])
    return pd.DataFrame({
        "as_of": when, "grade": counts["grade"],
        "shares": counts["shares"].astype(float) * [units(w, splits) for w in when],
    }).sort_values("as_of", kind="stable", ignore_index=True)


def served(ticker: str, name: str) -> pd.DataFrame:
    """The company-days of one line: each session (with a previous one) that a count serves."""
    c = raw.close(ticker)
    sessions = pd.DataFrame({"date": c.index[1:], "prev_close": c.to_numpy()[:-1],
                             "close": c.to_numpy()[1:]})
    counts = placed_counts(ticker)
    dates = counts["as_of"].to_numpy(dtype="datetime64[ns]")
    at = np.searchsorted(dates, sessions["date"].to_numpy(dtype="datetime64[ns]"),
                         side="right") - 1
    ok = at >= 0
    sessions = sessions.loc[ok].assign(**{k: counts[k].to_numpy()[at[ok]]
                                          for k in ("as_of", "shares", "grade")})
    sessions = sessions.loc[(sessions["date"] - sessions["as_of"] <= raw.MAX_AGE)
                            & sessions["shares"].notna()]
    return sessions.assign(ticker=ticker, name=name)


@functools.cache
def ranked() -> pd.DataFrame:
    """Every company-day with ret, loss (US$), rank_usd, rank_pct and label; by rank_usd, date."""
    lines = eligible().loc[lambda f: f["dated"]]
    days = pd.concat([served(t, n) for t, n in zip(lines["ticker"], lines["name"])],
                     ignore_index=True)
    days["ret"] = days["close"] / days["prev_close"] - 1
    days["loss"] = days["shares"] * (days["prev_close"] - days["close"])
    losses, rets = np.sort(days["loss"].to_numpy()), np.sort(days["ret"].to_numpy())
    days["rank_usd"] = len(losses) - np.searchsorted(losses, days["loss"], side="right") + 1
    days["rank_pct"] = np.searchsorted(rets, days["ret"], side="left") + 1
    days["label"] = [f"{n}, {short(d)}" for n, d in zip(days["name"], days["date"])]
    return days.sort_values(["rank_usd", "date"], kind="stable", ignore_index=True)


def one(ticker: str, when: pd.Timestamp = SHOCK) -> pd.Series:
    days = ranked()
    return days.loc[(days["ticker"] == ticker) & (days["date"] == when)].iloc[0]


def before(when: pd.Timestamp = SHOCK) -> pd.Series:
    """The largest loss ranked before `when`."""
    days = ranked()
    return days.loc[days["date"] < when].iloc[0]


def deepest() -> pd.Series:
    return ranked().sort_values(["rank_pct", "date"], kind="stable").iloc[0]


# --- the two top-10 tables -----------------------------------------------------------------

def list_table(text: str) -> list[list[str]]:
    """All rows (header first) of a MyST list-table, cells stripped and unescaped."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("* - "):
            rows.append([line[4:].strip()])
        elif line.startswith("  - ") and rows:
            rows[-1].append(line[4:].strip())
    return [[c.replace("\\$", "$") for c in r] for r in rows]


def top_rows(by: str, n: int = 10) -> list[list[str]]:
    other = "rank_pct" if by == "rank_usd" else "rank_usd"
    top = ranked().sort_values([by, "date"], kind="stable").head(n)
    return [[str(r[by]), r["label"] + (" (the shock)" if r["date"] == SHOCK else ""),
             f"${r['loss'] / 1e9:,.1f}bn", f"{r['ret'] * 100:.1f}%".replace("-", MINUS),
             short(r["as_of"]) + (" (estimate)" if r["grade"] == "C" else ""),
             str(r[other])] for _, r in top.iterrows()]


def compare_table(text: str, by: str) -> list[str]:
    header = ["Rank", "Company-day", "Market value lost", "Close-to-close move", "Share count of",
              "Rank in %" if by == "rank_usd" else "Rank in $"]
    got, want = list_table(text), [header, *top_rows(by)]
    problems = [f"row {i} (0 = header): glued {g}, raw files give {w}"
                for i, (g, w) in enumerate(zip(got, want)) if g != w]
    if len(got) != len(want):
        problems.append(f"glued {len(got) - 1} rows, raw files give {len(want) - 1}")
    return problems


table(NV, "nv_rank_table")(lambda text: compare_table(text, "rank_usd"))
table(NV, "nv_rank_table_pct")(lambda text: compare_table(text, "rank_pct"))


# --- the prose and the chart's title --------------------------------------------------------

value(NV, "nv_rank_n")(lambda: f"{len(ranked()):,}")
value(NV, "nv_rank_companies")(lambda: str(ranked()["ticker"].nunique()))
value(NV, "nv_rank_first")(lambda: day(ranked()["date"].min()))
value(NV, "nv_rank_last")(lambda: day(ranked()["date"].max()))
value(NV, "nv_rank_usd")(lambda: str(one("NVDA")["rank_usd"]))
value(NV, "nv_rank_pct")(lambda: str(one("NVDA")["rank_pct"]))
value(NV, "nv_rank_pct_pct")(lambda: f"{one('NVDA')['rank_pct'] / len(ranked()) * 100:.1f}%")
value(NV, "nv_deepest")(lambda: deepest()["label"])
value(NV, "nv_deepest_fall")(lambda: fall(deepest()["ret"]))
value(NV, "nv_deepest_loss")(lambda: bn(deepest()["loss"], 0))
value(NV, "nv_avgo_loss")(lambda: bn(one("AVGO")["loss"]))
value(NV, "nv_avgo_rank")(lambda: str(one("AVGO")["rank_usd"]))
value(NV, "nv_avgo_fall")(lambda: fall(one("AVGO")["ret"]))
value(NV, "nv_avgo_rank_pct")(lambda: str(one("AVGO")["rank_pct"]))
value(NV, "nv_top_label")(lambda: before()["label"])
value(NV, "nv_top_loss")(lambda: bn(before()["loss"]))
value(NV, "nv_times")(lambda: f"{one('NVDA')['loss'] / before()['loss']:.1f}")
value(NV, "nv_second")(lambda: ranked().iloc[1]["label"])
value(NV, "nv_second_loss")(lambda: bn(ranked().iloc[1]["loss"]))
value(NV, "nv_max_age")(lambda: str(raw.MAX_AGE.days))
value(NV, "nv_estimated")(lambda: ", ".join(
    n for n in eligible()["name"] if n in set(ranked().loc[ranked()["grade"] == "C", "name"]))
    or "none")
value(NV, "nv_left_out")(lambda: ", ".join(eligible().loc[~eligible()["dated"], "name"]))


@value(NV, "fig-nvda-records")
def _records_title() -> str:
    first, prior = ranked().iloc[0], before(ranked().iloc[0]["date"])
    return (f"{first['name']}'s {first['date'].day} {first['date']:%B} loss was "
            f"{first['loss'] / prior['loss']:.1f} times the earlier record ({prior['label']})")


# --- the press figures checked against the ranking ------------------------------------------

def press() -> pd.DataFrame:
    """Each press figure (earlier records, later losses) with the ranked day's loss where the
    ranking covers the day (NaN where it does not); by date."""
    rows = pd.concat([raw.facts("records"), raw.facts("later_losses")], ignore_index=True)
    rows = rows.assign(date=pd.to_datetime(rows["date"]), press=rows["loss_usd_bn"].astype(float))
    loss = ranked().set_index(["ticker", "date"])["loss"]
    rows["computed"] = [loss.get((t, d), np.nan) / 1e9
                        for t, d in zip(rows["ticker"], rows["date"])]
    return rows.sort_values("date", kind="stable", ignore_index=True)


def _checked() -> pd.DataFrame:
    return press().dropna(subset=["computed"])


value(NV, "nv_checked_n")(lambda: str(len(_checked())))
value(NV, "nv_checked_diff")(
    lambda: f"{(_checked()['computed'] / _checked()['press'] - 1).abs().max() * 100:.1f}%")
value(NV, "nv_unchecked")(lambda: " and ".join(
    f"{r.company}, {day(r.date)} (${r.press:,.0f}bn)"
    for r in press().loc[press()["computed"].isna()].itertuples()) or "none")
