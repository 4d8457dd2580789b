"""What the data commands show a person: progress and a quiet terminal.

`Steps` is a progress bar (tqdm) on a terminal and one plain line per step elsewhere (CI logs,
pipes), so a log shows every ticker and batch as it happens. `quiet()` keeps third-party
warnings (yfinance's `Pandas4Warning`s and the like) and yfinance's own log lines out of the
user's output and writes them to a log file beside the refresh report instead.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHATTY = ("yfinance", "curl_cffi", "urllib3", "peewee")  # loggers that go to the file


def interactive() -> bool:
    """A person at a terminal (not CI, not a pipe)."""
    return sys.stderr.isatty() and not os.environ.get("CI")


class Steps:
    """Progress of `total` steps: mode "bar" (tqdm), "lines" (one line per step) or "off";
    None picks "bar" on a terminal and "lines" elsewhere."""

    def __init__(self, total: int, desc: str, unit: str, mode: str | None = None) -> None:
        self.total, self.desc, self.unit, self.done = total, desc, unit, 0
        self.mode = mode or ("bar" if interactive() else "lines")
        self.bar = None
        if self.mode == "bar":
            from tqdm import tqdm

            try:
                size = os.get_terminal_size(sys.stderr.fileno())
            except OSError:
                size = os.terminal_size((0, 0))
            known = size.columns > 0 and size.lines > 0  # a pty of unknown size hides the bar
            self.bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr,
                            dynamic_ncols=known, ncols=None if known else 80,
                            nrows=None if known else 24)

    def step(self, label: str, outcome: str = "ok") -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.set_postfix_str(f"{label} {outcome}", refresh=False)
            self.bar.update(1)
        elif self.mode == "lines":
            width = len(str(self.total))
            print(f"{self.desc} {self.done:>{width}}/{self.total} {self.unit} {label}: {outcome}",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _LazyFile(logging.FileHandler):
    """A log file created (with its directory) only when the first record arrives."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, mode="a", encoding="utf-8", delay=True)

    def _open(self):
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


def warnings_log(target: Path) -> Path:
    """`.cache/market-data-warnings.log`, beside the refresh report."""
    return target.parent / f"{target.name}-warnings.log"


@contextmanager
def quiet(log: Path) -> Iterator[Path]:
    """Send warnings and third-party log records to `log` (appended) for the duration."""
    handler = _LazyFile(log)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    loggers = [logging.getLogger(name) for name in ("py.warnings", *CHATTY)]
    saved = [(lg.propagate, lg.level) for lg in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # every distinct warning once, into the file
        logging.captureWarnings(True)
        for lg in loggers:
            lg.addHandler(handler)
            lg.propagate = False
            if lg.level == logging.NOTSET or lg.level > logging.WARNING:
                lg.setLevel(logging.WARNING)
        try:
            yield log
        finally:
            logging.captureWarnings(False)
            for lg, (propagate, level) in zip(loggers, saved):
                lg.removeHandler(handler)
                lg.propagate, lg.level = propagate, level
            handler.close()


SHOWN = 5  # differences from the vintage a terminal shows line by line; beyond, `brief`


def brief(check, limit: int = SHOWN) -> str:
    """A `vintage.Check` bounded for a terminal: its `lines` when there are at most `limit`,
    else in how many securities and on how many dates (or months) the data differ, inside the
    event window and in all, the first `limit` securities by name (those inside the window
    first) and the range of the dates. The full list goes to the report (`check_report`)."""
    lines = check.lines()
    if len(lines) <= limit:
        return "; ".join(lines)
    names, parts = check.securities(), []
    if names:
        parts.append(f"differences in {_count(len(names), 'security', 'securities')} "
                     f"({sum(names.values())} inside the event window): "
                     f"{named(list(names), limit)}")
    periods = {(d[2], d[4]) for d in check.differences if len(d[2]) in (7, 10)}
    if periods:
        spans = sorted(p for p, _ in periods)
        counts = [_count(n, word, word + "s") for n, word in (
            (sum(len(p) == 10 for p in spans), "date"),
            (sum(len(p) == 7 for p in spans), "month")) if n]
        parts.append(f"on {' and '.join(counts)} ({sum(i for _, i in periods)} inside the "
                     f"event window), {spans[0]}..{spans[-1]}")
    files = sum(d[2] == "file" for d in check.differences)
    if files:
        parts.append(f"{_count(files, 'file', 'files')} with other rows or another date range")
    if check.notes:
        parts.append(_count(len(check.notes), "note", "notes"))
    return "; ".join(parts)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def named(items: list[str], limit: int = SHOWN) -> str:
    """'A, B, C, D, E and 506 more' (at most `limit` items named)."""
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more"
                                       if len(items) > limit else "")


def report_path(target: Path) -> Path:
    """`.cache/market-data-refresh.md`: the report of the last data command, beside the cache."""
    return target.parent / f"{target.name}-refresh.md"


def check_report(target: Path, source: str, status: str, message: str, versus: dict) -> Path:
    """Write the report of a `make data` that downloaded nothing (a snapshot synced, or a cache
    kept): its outcome and, in full, every difference against the vintage (`versus`: its
    `path` and `lines`)."""
    from .paths import write_atomic

    lines = [f"# Data check: {status.upper()}", "", f"{message}.", "", f"Source: {source}.", "",
             f"## Against the vintage ({versus.get('path') or 'none'})", ""]
    lines += [f"- {line}" for line in versus.get("lines") or ["no differences"]]
    return write_atomic(report_path(target), ("\n".join(lines) + "\n").encode())


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
    versus = report.get("vintage")
    if versus:
        lines += ["", f"## Against the vintage ({versus.get('path') or 'none'})", ""]
        lines += [f"- {line}" for line in versus.get("lines") or ["no differences"]]
        if versus.get("proposed"):
            lines += ["", f"Proposed a new vintage: {versus['proposed']} (review it with "
                          "`git diff`, commit it to accept the data)."]
    return "\n".join(lines) + "\n"
