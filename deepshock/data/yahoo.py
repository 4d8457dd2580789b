"""Refresh the price cache from Yahoo Finance with yfinance (`make refresh`), never for the worse.

Each ticker is downloaded with `auto_adjust=False` passed explicitly (Yahoo's `Close` ->
`close`, as traded; `Adj Close` -> `adj_close`, split- and dividend-adjusted), with bounded
retries and exponential backoff on rate limits, network errors and empty answers (yfinance
swallows per-ticker errors and returns an empty frame). The cache is replaced only when every
ticker came back and validated, through `sync.write_cache` (atomic; the old version survives
any failure). Against the previous cache the refresh reports tickers added/removed, rows
added/removed and values revised beyond `TOLERANCE` (Yahoo revises adjusted prices).

`EVENT_WINDOW` is frozen: the book's findings rest on it, so a refresh that would add, remove
or revise a row inside it for a ticker already in the cache is refused unless
`--allow-event-window-change` is given. A report (`<cache>-refresh.json`, `<cache>-refresh.md`
beside the cache symlink) is written after every attempt and printed.

Command line: ``python -m deepshock.data.yahoo refresh [--start D] [--end D] [--tickers T ...]
[--allow-event-window-change]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from . import facts
from .paths import cache_dir, ticker_file
from .sync import MANIFEST, read_manifest, write_cache
from .validate import COLUMNS, DataError, read_price_csv, write_price_csv

START, END = "2019-12-01", "2025-06-30"  # the range the book uses (inclusive)
EVENT_WINDOW = ("2024-12-01", "2025-02-28")  # frozen: DeepSeek-V3 to Nvidia's Q4 results
TOLERANCE = 1e-4  # relative change of a value that counts as a revision
ATTEMPTS, BACKOFF = 4, 2.0  # tries per ticker; waits 2, 4, 8 s between them
FIELDS = {"Open": "open", "High": "high", "Low": "low", "Close": "close",
          "Adj Close": "adj_close", "Volume": "volume"}
CONVENTION = "RAW close + adj_close (yfinance auto_adjust=False)"


def _retryable() -> tuple[type[BaseException], ...]:
    from curl_cffi.curl import CurlError
    from yfinance.exceptions import YFRateLimitError

    return (YFRateLimitError, OSError, CurlError)


def tidy(raw: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """One ticker's bars from a `yf.download` frame (columns Price x Ticker, index Date).

    Rows without any price (dates only other tickers traded) are dropped; an empty result
    means Yahoo sent nothing for this ticker.
    """
    where = f"yfinance download of {ticker}"
    if not isinstance(raw, pd.DataFrame) or not isinstance(raw.columns, pd.MultiIndex):
        raise DataError(f"{where}: expected a frame with (Price, Ticker) columns, got "
                        f"{type(raw).__name__} {getattr(raw, 'columns', None)!r}")
    if list(raw.columns.names) != ["Price", "Ticker"]:
        raise DataError(f"{where}: column levels {list(raw.columns.names)}, "
                        f"expected ['Price', 'Ticker']")
    if ticker not in raw.columns.get_level_values("Ticker"):
        return pd.DataFrame(columns=COLUMNS)
    part = raw.xs(ticker, axis=1, level="Ticker")
    missing = [f for f in FIELDS if f not in part.columns]
    if missing:
        raise DataError(f"{where}: missing columns {missing} (was auto_adjust=False passed?)")
    if not isinstance(part.index, pd.DatetimeIndex):
        raise DataError(f"{where}: index is {type(part.index).__name__}, not dates")
    index = part.index.tz_localize(None) if part.index.tz is not None else part.index
    if (index != index.normalize()).any():
        raise DataError(f"{where}: timestamps with a time of day (not daily bars)")
    frame = part[list(FIELDS)].rename(columns=FIELDS).set_axis(index, axis=0)
    frame = frame.dropna(how="all", subset=["open", "high", "low", "close"])
    frame = frame.rename_axis("date").reset_index()
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    return frame[COLUMNS].astype({c: float for c in COLUMNS[1:]})


class _Errors(logging.Handler):
    """Collects what yfinance logs while it swallows a ticker's error."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage().strip())


def fetch(ticker: str, start: str, end: str, *, download: Callable, sleep: Callable,
          attempts: int = ATTEMPTS) -> tuple[pd.DataFrame, int, str]:
    """Download one ticker with retries: (bars between start and end, tries, last error)."""
    retryable = _retryable()
    stop = (pd.Timestamp(end) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")  # yfinance: exclusive
    error = ""
    for attempt in range(1, attempts + 1):
        handler = _Errors()
        logging.getLogger("yfinance").addHandler(handler)
        try:
            raw = download(ticker, start=start, end=stop, auto_adjust=False, actions=False,
                           progress=False, threads=False, multi_level_index=True)
        except retryable as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # not a network problem: retrying will not help
            return pd.DataFrame(columns=COLUMNS), attempt, f"{type(exc).__name__}: {exc}"
        else:
            frame = tidy(raw, ticker)
            frame = frame.loc[frame["date"].between(pd.Timestamp(start), pd.Timestamp(end))]
            if len(frame):
                return frame.reset_index(drop=True), attempt, ""
            error = "empty download" + (f" ({'; '.join(handler.messages)})"
                                        if handler.messages else "")
        finally:
            logging.getLogger("yfinance").removeHandler(handler)
        if attempt < attempts:
            sleep(BACKOFF * 2 ** (attempt - 1))
    return pd.DataFrame(columns=COLUMNS), attempts, error


def compare(old: pd.DataFrame, new: pd.DataFrame, window: tuple[str, str]) -> dict:
    """What a new series changes against the cached one: rows added/removed, values revised
    beyond `TOLERANCE` per column, and how many of those changes fall inside `window`."""
    a, b = old.set_index("date"), new.set_index("date")
    added, removed = b.index.difference(a.index), a.index.difference(b.index)
    common = a.index.intersection(b.index)
    x, y = a.loc[common, COLUMNS[1:]], b.loc[common, COLUMNS[1:]]
    scale = x.abs().where(x.abs() > 0, 1.0)
    diff = ((y - x).abs() / scale).where(x.notna() & y.notna())
    changed = (diff > TOLERANCE) | (x.isna() != y.isna())
    revised_dates = common[changed.any(axis=1).to_numpy()]
    lo, hi = pd.Timestamp(window[0]), pd.Timestamp(window[1])

    def inside(dates: pd.Index) -> int:
        return int(((dates >= lo) & (dates <= hi)).sum())

    return {
        "rows_added": len(added), "rows_removed": len(removed),
        "revised": {c: int(n) for c, n in changed.sum().items() if n},
        "max_revision": float(diff.max().max()) if diff.notna().any().any() else 0.0,
        "first_revised": revised_dates[0].date().isoformat() if len(revised_dates) else None,
        "event_window_changes": inside(added) + inside(removed) + inside(revised_dates),
    }


def _partial(old: pd.DataFrame, new: pd.DataFrame, start: str, end: str) -> str:
    """A download that covers less of the range than the cache did is partial."""
    old = old.loc[old["date"].between(pd.Timestamp(start), pd.Timestamp(end)), "date"]
    if old.empty:
        return ""
    first, last = new["date"].iloc[0], new["date"].iloc[-1]
    if first > old.iloc[0] or last < old.iloc[-1]:
        return (f"partial download: covers {first.date()}..{last.date()}, the cache has "
                f"{old.iloc[0].date()}..{old.iloc[-1].date()}")
    return ""


def refresh(tickers: list[str] | None = None, start: str = START, end: str = END, *,
            allow_event_window_change: bool = False, target: Path | None = None,
            download: Callable | None = None, sleep: Callable | None = None,
            progress: bool = True) -> dict:
    """Download, check and (only if everything is good) install; return the report.

    Report status: ok (installed), failed (a ticker did not download, or only partly),
    rejected (a download failed validation), refused (it would change the event window).
    """
    from tqdm import tqdm

    if download is None:
        import yfinance

        download = yfinance.download
    sleep = sleep or time.sleep
    target = Path(target or cache_dir())
    universe = facts.universe()["ticker"].tolist()
    wanted = tickers or universe
    unknown = [t for t in wanted if t not in universe]
    if unknown:
        raise DataError(f"{facts.facts_dir() / 'universe.csv'}: tickers {unknown} not listed")
    try:
        previous = read_manifest(target)
    except DataError:
        previous = {"tickers": {}}
    old_files = {t: target / "prices" / e["file"] for t, e in previous["tickers"].items()}
    report = {"status": "ok", "message": "", "started": _now(), "range": [start, end],
              "event_window": list(EVENT_WINDOW), "auto_adjust": False,
              "allow_event_window_change": allow_event_window_change,
              "cache": str(target), "tickers": {}}
    rows = report["tickers"]
    frames: dict[str, pd.DataFrame] = {}
    bar = tqdm(wanted, desc="yfinance", unit="ticker", disable=not progress, file=sys.stderr)
    for ticker in bar:
        bar.set_postfix_str(ticker)
        try:
            frame, tries, error = fetch(ticker, start, end, download=download, sleep=sleep)
        except DataError as exc:
            frame, tries, error = pd.DataFrame(columns=COLUMNS), 1, str(exc)
        rows[ticker] = {"status": "failed" if error else "ok", "tries": tries,
                        "rows": len(frame), "error": error}
        if not error:
            frames[ticker] = frame
    failed = [t for t, r in rows.items() if r["status"] == "failed"]
    if failed:
        return _finish(report, "failed", f"{len(failed)} of {len(wanted)} tickers failed "
                                         f"({', '.join(failed)}): cache left unchanged")
    for ticker in universe:
        if ticker not in wanted:
            if ticker not in old_files:
                return _finish(report, "failed", f"{ticker} is in the universe but neither "
                                                 f"cached nor requested: add it to --tickers")
            rows[ticker] = {"status": "kept", "rows": previous["tickers"][ticker]["rows"]}
    for ticker in previous["tickers"]:
        if ticker not in universe:
            rows[ticker] = {"status": "removed", "rows": 0}
    with tempfile.TemporaryDirectory(prefix=f"{target.name}-download-",
                                     dir=_parent(target)) as tmp:
        files = {t: Path(tmp) / ticker_file(t) for t in frames}
        try:
            for ticker, frame in frames.items():
                write_price_csv(frame, files[ticker])
                frames[ticker] = read_price_csv(files[ticker])
        except DataError as exc:
            return _finish(report, "rejected", f"{exc}: cache left unchanged")
        window_changes = []
        for ticker, frame in frames.items():
            if ticker not in old_files:
                rows[ticker]["status"] = "added"
                continue
            old = read_price_csv(old_files[ticker])
            partial = _partial(old, frame, start, end)
            if partial:
                rows[ticker].update(status="failed", error=partial)
                continue
            delta = compare(old, frame, EVENT_WINDOW)
            rows[ticker].update(delta)
            if delta["rows_added"] or delta["rows_removed"] or delta["revised"]:
                rows[ticker]["status"] = "changed"
            if delta["event_window_changes"]:
                window_changes.append(ticker)
        failed = [t for t, r in rows.items() if r["status"] == "failed"]
        if failed:
            return _finish(report, "failed", f"partial download for {', '.join(failed)}: "
                                             f"cache left unchanged")
        if window_changes and not allow_event_window_change:
            return _finish(report, "refused", (
                f"the refresh would change the frozen event window {EVENT_WINDOW[0]}.."
                f"{EVENT_WINDOW[1]} for {', '.join(window_changes)}; rerun with "
                f"--allow-event-window-change to accept: cache left unchanged"))
        kept = {t: old_files[t] for t in universe if t not in frames}
        conventions = {t: previous["tickers"][t]["close_convention"] for t in kept}
        conventions.update({t: CONVENTION for t in frames})
        try:
            write_cache({t: frames.get(t) for t in universe}, _source(start, end), conventions,
                        target=target, files={**files, **kept},
                        extra={"refresh": {"range": [start, end],
                                           "event_window": list(EVENT_WINDOW)}})
        except DataError as exc:
            return _finish(report, "rejected", f"{exc}: cache left unchanged")
    changed = sum(r["status"] in ("changed", "added", "removed") for r in rows.values())
    return _finish(report, "ok", f"cache replaced: {changed} tickers changed")


def _parent(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.parent


def _source(start: str, end: str) -> str:
    import yfinance

    return f"yfinance {yfinance.__version__} download, auto_adjust=False, {start}..{end}"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _finish(report: dict, status: str, message: str) -> dict:
    report.update(status=status, message=message, finished=_now())
    target = Path(report["cache"])
    stem = _parent(target) / f"{target.name}-refresh"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=1, sort_keys=True))
    stem.with_suffix(".md").write_text(summary(report))
    return report


def summary(report: dict) -> str:
    """A short markdown summary of a refresh report: one line per ticker."""
    counts: dict[str, int] = {}
    for row in report["tickers"].values():
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    lines = [
        f"# Price refresh: {report['status'].upper()}",
        "",
        f"{report['message']}.",
        "",
        f"Range {report['range'][0]}..{report['range'][1]}, auto_adjust=False; frozen event "
        f"window {report['event_window'][0]}..{report['event_window'][1]}"
        f"{' (change allowed)' if report['allow_event_window_change'] else ''}. Tickers: "
        + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + ".",
        "",
        "| ticker | status | rows | tries | rows added | rows removed | revised values | "
        "event-window changes | note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for ticker, r in report["tickers"].items():
        revised = ", ".join(f"{c} {n}" for c, n in r.get("revised", {}).items())
        lines.append(f"| {ticker} | {r['status']} | {r.get('rows', '')} | {r.get('tries', '')} "
                     f"| {r.get('rows_added', '')} | {r.get('rows_removed', '')} | {revised} "
                     f"| {r.get('event_window_changes', '')} | {r.get('error', '')} |")
    return "\n".join(lines) + "\n"


def sync_yfinance(*, target: Path | None = None, download: Callable | None = None,
                  sleep: Callable | None = None) -> dict:
    """`make data` without a snapshot: keep a cache that already covers the universe (a
    refresh is `make refresh`'s job), otherwise download it; returns the manifest."""
    target = Path(target or cache_dir())
    universe = facts.universe()["ticker"].tolist()
    if (target / MANIFEST).is_file():
        manifest = read_manifest(target)
        if set(universe) <= set(manifest["tickers"]):
            return manifest
    report = refresh(target=target, download=download, sleep=sleep)
    if report["status"] != "ok":
        raise DataError(f"yfinance sync {report['status']}: {report['message']}")
    return read_manifest(target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser("refresh", help="download the universe and replace the cache")
    cmd.add_argument("--start", default=START, type=_day, help=f"first date (default {START})")
    cmd.add_argument("--end", default=END, type=_day, help=f"last date (default {END})")
    cmd.add_argument("--tickers", nargs="+", default=None,
                     help="refresh only these tickers (others keep their cached files)")
    cmd.add_argument("--allow-event-window-change", action="store_true",
                     help=f"accept changes inside {EVENT_WINDOW[0]}..{EVENT_WINDOW[1]}")
    args = parser.parse_args(argv)
    try:
        report = refresh(args.tickers, args.start, args.end,
                         allow_event_window_change=args.allow_event_window_change)
    except DataError as exc:
        print(f"refresh stopped, cache left unchanged: {exc}", file=sys.stderr)
        return 1
    print(summary(report))
    return 0 if report["status"] == "ok" else 1


def _day(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not YYYY-MM-DD") from None


if __name__ == "__main__":
    sys.exit(main())
