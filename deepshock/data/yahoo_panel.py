"""The cross-section panel from Yahoo Finance (`make refresh`, and `make data` without a
snapshot): the member list's adjusted closes, downloaded in batches.

The member list is the cache's `panel/members.csv` (from the snapshot or an earlier refresh),
else `data/panel_members.csv`; without one the panel is not downloaded (said in the report).
Each batch of `BATCH` tickers is one `yf.download(auto_adjust=True)` (the snapshot's panel holds
auto-adjusted closes, PANEL.md); tickers a batch left empty are retried with backoff within the
refresh's retry budget (`yahoo.Budget`). The result is written as `closes.csv` (date, one column
per member) beside a copy of `members.csv` in a staging directory and installed only through
`sync.write_cache`, which validates it with `panel.check` like a snapshot's panel: a gap, a
missing member or a truncated range rejects the whole refresh and keeps the last good cache.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from . import panel as panel_data
from .console import Steps
from .network import Errors
from .paths import facts_dir
from .validate import DataError

BATCH = 50  # tickers per yf.download call
START = "2023-01-03"  # the panel's first session when no earlier panel says otherwise


def member_list(target: Path) -> Path | None:
    """Where the member list comes from: the cached panel's, else data/panel_members.csv."""
    for candidate in (target / "panel" / panel_data.MEMBERS, facts_dir() / "panel_members.csv"):
        if candidate.is_file():
            return candidate
    return None


def _batch(tickers: list[str], start: str, stop: str, download: Callable
           ) -> tuple[dict[str, pd.Series], str]:
    """One download: the closes that came back per ticker, and what yfinance complained of."""
    handler = Errors()
    logging.getLogger("yfinance").addHandler(handler)
    try:
        raw = download(tickers, start=start, end=stop, auto_adjust=True, actions=False,
                       progress=False, threads=False, multi_level_index=True)
    except Exception as exc:  # raised network errors: the whole batch is retried
        return {}, f"{type(exc).__name__}: {exc}"
    finally:
        logging.getLogger("yfinance").removeHandler(handler)
    if not isinstance(raw, pd.DataFrame) or not isinstance(raw.columns, pd.MultiIndex) \
            or "Close" not in raw.columns.get_level_values(0):
        raise DataError(f"yfinance panel download: expected (Price, Ticker) columns with Close, "
                        f"got {getattr(raw, 'columns', None)!r}")
    closes = raw["Close"]
    index = closes.index.tz_localize(None) if closes.index.tz is not None else closes.index
    closes = closes.set_axis(index.normalize(), axis=0)
    got = {t: closes[t].dropna() for t in tickers if t in closes.columns}
    return {t: s for t, s in got.items() if len(s)}, "; ".join(handler.messages)


def fetch(members: Path, start: str, end: str, out: Path, *, download: Callable, budget,
          attempts: int, backoff: float, progress: str | None) -> dict:
    """Download the panel of `members` into `out/` (closes.csv, members.csv); the report."""
    tickers = panel_data.read_members(members)["ticker"].tolist()
    stop = (pd.Timestamp(end) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    batches = [tickers[i:i + BATCH] for i in range(0, len(tickers), BATCH)]
    series: dict[str, pd.Series] = {}
    errors: dict[str, str] = {}
    steps = Steps(len(batches), "panel", "batch", mode=progress)
    try:
        for number, batch in enumerate(batches, start=1):
            wanted, error = list(batch), ""
            for attempt in range(1, attempts + 1):
                got, error = _batch(wanted, start, stop, download)
                series.update(got)
                wanted = [t for t in wanted if t not in got]
                if not wanted:
                    break
                if attempt < attempts:
                    budget.wait(backoff * 2 ** (attempt - 1), f"panel batch {number}",
                                error or f"{len(wanted)} tickers empty")
            errors.update({t: error or "empty download" for t in wanted})
            steps.step(f"{batch[0]}..{batch[-1]}",
                       f"{len(batch) - len(wanted)} of {len(batch)} tickers"
                       + (f", failed: {', '.join(wanted[:5])}" if wanted else ""))
    finally:
        steps.close()
    report = {"members": str(members), "range": [start, end], "batches": len(batches),
              "tickers": len(tickers), "downloaded": len(series), "failed": errors}
    if errors:
        return report
    frame = pd.DataFrame(series).sort_index()
    frame = frame.loc[(frame.index >= pd.Timestamp(start)) & (frame.index <= pd.Timestamp(end))]
    frame = frame[[t for t in tickers]]
    out.mkdir(parents=True, exist_ok=True)
    frame.rename_axis("date").to_csv(out / panel_data.CLOSES, date_format="%Y-%m-%d",
                                     lineterminator="\n")
    shutil.copyfile(members, out / panel_data.MEMBERS)
    report["rows"] = len(frame)
    return report


def stage(target: Path, tmp: Path, previous: dict, end: str, *, enabled: bool, **fetch_args
          ) -> tuple[Path | None, dict, str]:
    """Download the panel into `tmp/panel` when enabled and a member list is known:
    (directory or None to keep the installed panel, report, problem or '')."""
    members = member_list(target) if enabled else None
    if members is None:
        return None, {"status": "kept" if not enabled else "skipped", "note": (
            "the installed panel is kept" if not enabled else "no member list (the cache's "
            "panel/members.csv or data/panel_members.csv): panel not downloaded")}, ""
    out = tmp / "panel"
    report = fetch(members, previous.get("first", START), end, out, **fetch_args)
    failed = report["failed"]
    problem = "" if not failed else (
        f"panel: {len(failed)} of {report['tickers']} members did not download "
        f"({', '.join(list(failed)[:10])}{', ...' if len(failed) > 10 else ''})")
    return out, report, problem
