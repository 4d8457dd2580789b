"""Refresh the price cache from Yahoo Finance with yfinance (`make refresh`), never for the worse.

Each ticker is downloaded with `auto_adjust=False` passed explicitly (`Close` -> `close`, as
traded; `Adj Close` -> `adj_close`). Errors, raised or only logged by yfinance, are classified
(`network`): Yahoo unreachable for the first tickers stops at once with one message; rate
limits are retried within one time budget. The cache is replaced only when every ticker (and
the panel, `yahoo_panel`) came back and validated, through `sync.write_cache` (atomic). The
report compares with the previous cache (rows added/removed, values revised beyond
`TOLERANCE`) and with `data/vintage.csv` (every difference by ticker and date); both
comparisons run only once every file and the panel passed validation (`write_cache`'s `vet`), so
a damaged download is rejected by file, line and date, not reported as a difference.

`EVENT_WINDOW` is frozen: a change inside it against the cache is refused without
`--allow-event-window-change`, and `make data` (`sync_yfinance`) refuses a download that
differs from the vintage inside it; `make refresh` proposes a new vintage when it installs.
The report (`<cache>-refresh.json`, `.md`) is written after every attempt; third-party
warnings go to `<cache>-warnings.log`.

Command line: ``python -m deepshock.data.yahoo refresh [--start D] [--end D] [--tickers T ...]
[--allow-event-window-change]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from . import facts, staging, vintage, yahoo_panel
from .console import (Steps, brief, check_report, named, quiet, report_path, summary,
                      warnings_log)
from .network import (FAIL_FAST, FAIL_FAST_SECONDS, RETRY_BUDGET, Budget, Errors, Stop,  # noqa: I001
                      cause, rate_limited, unreachable)
from .paths import cache_dir, ticker_file
from .sync import KEEP, MANIFEST, read_manifest, write_cache
from .validate import COLUMNS, DataError, read_price_csv, write_price_csv
from .vintage import EVENT_WINDOW

START, END = "2019-12-01", "2025-06-30"  # the range the book uses (inclusive)
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


def fetch(ticker: str, start: str, end: str, *, download: Callable, sleep: Callable | None = None,
          attempts: int = ATTEMPTS, budget: Budget | None = None, fail_fast: bool = False
          ) -> tuple[pd.DataFrame, int, str]:
    """Download one ticker with retries: (bars between start and end, tries, last error).
    With `fail_fast`, an error saying Yahoo is unreachable is returned at once, untried."""
    budget = budget or Budget(float("inf"), sleep or time.sleep)
    retryable = _retryable()
    stop = (pd.Timestamp(end) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")  # yfinance: exclusive
    error = ""
    for attempt in range(1, attempts + 1):
        handler = Errors()
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
        if fail_fast and cause(error):
            return pd.DataFrame(columns=COLUMNS), attempt, error
        if attempt < attempts:
            budget.wait(BACKOFF * 2 ** (attempt - 1), ticker, error)
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
            progress: bool | str | None = True, against_vintage: str = "off",
            retry_budget: float = RETRY_BUDGET, panel: bool = True) -> dict:
    """Download, check and (only if everything is good) install; return the report.

    Report status: ok (installed), unreachable (Yahoo could not be reached at all), failed (a
    ticker did not download, or only partly, or the retry budget ran out), rejected (a download
    failed validation), refused (it would change the event window). `against_vintage`: "off",
    "check" (an event-window difference from data/vintage.csv refuses) or "propose" (report
    differences; write a new data/vintage.csv from the installed cache). `progress`: True
    (bar on a terminal, lines elsewhere), False, or a `console.Steps` mode. `panel`: also
    rebuild the cross-section panel when a member list is known (`yahoo_panel`).
    """
    if download is None:
        import yfinance

        download = yfinance.download
    budget = Budget(retry_budget, sleep or time.sleep)
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
              "retry_budget": retry_budget, "cache": str(target), "tickers": {}}
    rows = report["tickers"]
    frames: dict[str, pd.DataFrame] = {}
    mode = {True: None, False: "off"}.get(progress, progress)
    steps = Steps(len(wanted), "yfinance", "ticker", mode=mode)
    clock, down = time.monotonic(), []
    try:
        for ticker in wanted:
            try:
                frame, tries, error = fetch(ticker, start, end, download=download,
                                            budget=budget, fail_fast=not frames)
            except Stop as stop:
                rows[ticker] = {"status": "failed", "tries": budget.retries, "rows": 0,
                                "error": str(stop)}
                return _finish(report, stop.status, str(stop))
            except DataError as exc:
                frame, tries, error = pd.DataFrame(columns=COLUMNS), 1, str(exc)
            rows[ticker] = {"status": "failed" if error else "ok", "tries": tries,
                            "rows": len(frame), "error": error}
            steps.step(ticker, f"{len(frame)} rows" if not error else
                       f"failed ({cause(error) or error[:60]})")
            if not error:
                frames[ticker] = frame
            elif not frames and (cause(error) or not rate_limited(error)):
                down.append((ticker, error))
                if sum(bool(cause(e)) for _, e in down) >= FAIL_FAST or \
                        time.monotonic() - clock > FAIL_FAST_SECONDS:
                    return _finish(report, "unreachable", unreachable(down))
        for ticker, _ in down if frames else []:  # Yahoo answers after all: try them again
            try:
                frame, tries, error = fetch(ticker, start, end, download=download,
                                            budget=budget)
            except Stop as stop:
                return _finish(report, stop.status, str(stop))
            rows[ticker].update(status="failed" if error else "ok", rows=len(frame),
                                tries=rows[ticker]["tries"] + tries, error=error)
            if not error:
                frames[ticker] = frame
    finally:
        steps.close()
    frames = {t: frames[t] for t in wanted if t in frames}  # the universe's order
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
    tmp = staging.create(target, "download-")
    try:
        try:
            panel_dir, report["panel"], problem = yahoo_panel.stage(
                target, tmp, previous.get("panel") or {}, end, enabled=panel,
                download=download, budget=budget, attempts=ATTEMPTS, backoff=BACKOFF,
                progress=mode)
        except Stop as stop:
            return _finish(report, stop.status, str(stop))
        except DataError as exc:
            return _finish(report, "rejected", f"{exc}: cache left unchanged")
        if problem:
            return _finish(report, "failed", f"{problem}: cache left unchanged")
        panel_dir = KEEP if panel_dir is None else panel_dir
        return _check_and_install(report, frames, tmp, old_files, previous, universe, start,
                                  end, target, allow_event_window_change, against_vintage,
                                  panel_dir)
    finally:
        staging.release(tmp, remove=True)


class _Verdict(Exception):
    """A comparison (with the cache or the vintage) stops the refresh: (status, message)."""


def _check_and_install(report, frames, tmp, old_files, previous, universe, start, end, target,
                       allow_event_window_change, against_vintage, panel_dir) -> dict:
    """Structure first: every file, its series and the panel pass `write_cache`'s checks; only
    then are they compared with the cache and the vintage (`_compare`, before the swap)."""
    files = {t: tmp / ticker_file(t) for t in frames}
    try:
        for ticker, frame in frames.items():
            write_price_csv(frame, files[ticker])
            frames[ticker] = read_price_csv(files[ticker])
    except DataError as exc:
        return _finish(report, "rejected", f"{exc}: cache left unchanged")
    kept = {t: old_files[t] for t in universe if t not in frames}
    conventions = {t: previous["tickers"][t]["close_convention"] for t in kept}
    conventions.update({t: CONVENTION for t in frames})
    try:
        write_cache({t: frames.get(t) for t in universe}, _source(start, end), conventions,
                    target=target, files={**files, **kept}, panel=panel_dir,
                    extra={"refresh": {"range": [start, end],
                                       "event_window": list(EVENT_WINDOW)}},
                    vet=lambda _: _compare(report, frames, files, old_files, start, end,
                                           allow_event_window_change, against_vintage,
                                           panel_dir))
    except _Verdict as verdict:
        return _finish(report, *verdict.args)
    except DataError as exc:
        return _finish(report, "rejected", f"{exc}: cache left unchanged")
    if against_vintage == "propose":
        where = vintage.write(vintage.build(target))
        report.setdefault("vintage", {})["proposed"] = str(where)
    rows = report["tickers"]
    changed = sum(r["status"] in ("changed", "added", "removed") for r in rows.values())
    return _finish(report, "ok", f"cache replaced: {changed} tickers changed")


def _compare(report, frames, files, old_files, start, end, allow_event_window_change,
             against_vintage, panel_dir) -> None:
    """The validated download against the cache and the vintage; raise `_Verdict` to stop."""
    rows = report["tickers"]
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
        raise _Verdict("failed", f"partial download for {', '.join(failed)}: cache left "
                                 f"unchanged")
    if window_changes and not allow_event_window_change:
        raise _Verdict("refused", (
            f"the refresh would change the frozen event window {EVENT_WINDOW[0]}.."
            f"{EVENT_WINDOW[1]} for {', '.join(window_changes)}; rerun with "
            f"--allow-event-window-change to accept: cache left unchanged"))
    versus = _versus_vintage(report, frames, files, start, end, panel_dir) \
        if against_vintage != "off" else None
    if against_vintage == "check" and versus is not None and versus.inside:
        inside = [n for n, i in versus.securities().items() if i] or versus.tickers(True)
        raise _Verdict("refused", (
            f"the download differs from {vintage.path()} inside the frozen event window "
            f"{EVENT_WINDOW[0]}..{EVENT_WINDOW[1]} for {named(inside)} (Yahoo revised "
            f"its data: {brief(versus)}; every difference is in the report); "
            f"to accept it, run `make refresh` (installs the download and proposes a new "
            f"{vintage.path().name}): cache left unchanged"))


def _versus_vintage(report: dict, frames: dict[str, pd.DataFrame], files: dict[str, Path],
                    start: str, end: str, panel_dir) -> vintage.Check | None:
    """Compare the downloaded files (and panel) with data/vintage.csv; record every difference."""
    panel = panel_dir if isinstance(panel_dir, Path) else None
    check, report["vintage"] = vintage.versus(
        {t: (files[t], f) for t, f in frames.items()}, panel,
        vintage.short_source(_source(start, end)))
    return check


def _parent(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.parent


def _stem(target: Path) -> Path:
    """`.cache/market-data-refresh`: the report's path without suffix."""
    return _parent(target) / f"{target.name}-refresh"


def _source(start: str, end: str) -> str:
    import yfinance

    return f"yfinance {yfinance.__version__} download, auto_adjust=False, {start}..{end}"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _finish(report: dict, status: str, message: str) -> dict:
    report.update(status=status, message=message, finished=_now())
    stem = _stem(Path(report["cache"]))
    stem.with_suffix(".json").write_text(json.dumps(report, indent=1, sort_keys=True))
    stem.with_suffix(".md").write_text(summary(report))
    return report


def sync_yfinance(*, target: Path | None = None, download: Callable | None = None,
                  sleep: Callable | None = None, progress: bool | str | None = True) -> dict:
    """`make data` without a snapshot: keep a cache that already covers the universe (a
    refresh is `make refresh`'s job), otherwise download it; either way check it against
    data/vintage.csv (a difference inside the event window stops). Returns the manifest, with
    the vintage report in `vintage` (lines)."""
    target = Path(target or cache_dir())
    universe = facts.universe()["ticker"].tolist()
    if (target / MANIFEST).is_file():
        manifest = read_manifest(target)
        if set(universe) <= set(manifest["tickers"]) and \
                (manifest.get("panel") or yahoo_panel.member_list(target) is None):
            check = vintage.check_dir(target, tickers=universe)
            message = "" if check is None or not check.inside else (
                f"{target}: the cache differs from {vintage.path()} inside the frozen event "
                f"window {EVENT_WINDOW[0]}..{EVENT_WINDOW[1]}: {brief(check)}; every "
                f"difference is listed in {report_path(target)}; accept with `make refresh` "
                f"(proposes a new vintage) or `python -m deepshock.data.vintage write`; cache "
                f"left as it was")
            if check is not None and check.lines():  # else the last refresh's report stays
                check_report(target, f"the cache {target}", "refused" if message else "ok",
                             message or "kept", {"path": str(vintage.path()),
                                                 "lines": check.lines()})
            if message:
                raise DataError(message)
            return {**manifest, "vintage": check.lines() if check else None,
                    **({"vintage_summary": brief(check)} if check else {})}
    report = refresh(target=target, download=download, sleep=sleep, progress=progress,
                     against_vintage="check")
    if report["status"] != "ok":
        raise DataError(report["message"] + (f" (report: {_stem(target)}.md)"
                                             if report["status"] != "unreachable" else ""))
    versus = report.get("vintage", {})
    return {**read_manifest(target), "vintage": versus.get("lines"),
            **({"vintage_summary": versus["summary"]} if versus.get("summary") else {})}


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
    with quiet(warnings_log(cache_dir())):
        try:
            report = refresh(args.tickers, args.start, args.end,
                             allow_event_window_change=args.allow_event_window_change,
                             against_vintage="propose")
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
