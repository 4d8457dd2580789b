"""Read, write and validate per-ticker price CSVs (`date,open,high,low,close,adj_close,volume`).

Every rejection raises `DataError` naming the file, the line and the problem. The full list of
bad inputs and what happens to each is the book's data appendix (`chapters/data.md`), each row
tied to a test. Deliberate acceptances:

* a UTF-8 byte-order mark and CRLF line endings are read as plain UTF-8 / LF;
* columns in another order are accepted (they are named) and reordered;
* a close outside the day's [low, high] range is kept and counted: Yahoo's FX bars do this
  routinely and a handful of Korean and Japanese bars do it by a rounding margin (see the
  snapshot's PROVENANCE.md); a *high below the low* is rejected;
* a "stale" bar (open = high = low = close, volume 0, the close repeating the previous one) of
  a traded security is kept in the file but flagged, and the loader treats it as a missing
  session (PROVENANCE.md, Korea). A close-only bar with a *new* close (Yahoo's Hong Kong
  half days, e.g. 28 January 2025) is a real close and is kept as one;
* a session missing from a file stays a gap (counted), while a bar on a day that is not a
  session of the security's exchange is rejected (`check_series`);
* a one-day move beyond `JUMP_LIMIT` is rejected as split-like unless `data/known_jumps.csv`
  documents it; volatility indices (`VOLATILITY_INDICES`) are exempt, since their level is a
  volatility forecast, not a price, and moves of that size are ordinary for them.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
import warnings
from functools import cache
from pathlib import Path

import pandas as pd

COLUMNS = ["date", "open", "high", "low", "close", "adj_close", "volume"]
PRICE_COLUMNS = ["open", "high", "low", "close"]
JUMP_LIMIT = 0.40  # a close-to-close move larger than this in one session looks like a split
JUMP_MATCH_PP = 0.5  # a documented jump must match the observed move to within this many pp
VOLATILITY_INDICES = {"^VIX"}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class DataError(ValueError):
    """Bad input: the message names the file, the line and the problem."""


def _number(text: str, path: Path, line: int, column: str, required: bool) -> float:
    text = text.strip()
    if text == "":
        if required:
            raise DataError(f"{path}: line {line}: empty {column}")
        return math.nan
    if not _NUMBER.fullmatch(text):
        hint = " (thousands separator?)" if re.search(r"\d[,_ ']\d", text) else ""
        raise DataError(f"{path}: line {line}: non-numeric {column} {text!r}{hint}")
    value = float(text)
    if not math.isfinite(value):
        raise DataError(f"{path}: line {line}: non-finite {column} {text!r}")
    return value


def _date(text: str, path: Path, line: int, today: dt.date) -> dt.date:
    text = text.strip()
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        value = dt.date.fromisoformat(text)
    except ValueError:
        raise DataError(f"{path}: line {line}: date {text!r} is not YYYY-MM-DD") from None
    if value > today:
        raise DataError(f"{path}: line {line}: date {value} is in the future")
    return value


def utf8_text(raw: bytes) -> tuple[str, int | None]:
    """A file's bytes as UTF-8 text without a leading byte-order mark: (text, None), or
    ("", offset in the file of the first byte that is not UTF-8)."""
    skip = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        return raw[skip:].decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return "", skip + exc.start


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    """(file line where the record starts, cells) for every CSV record of `path`."""
    raw = path.read_bytes()
    text, bad = utf8_text(raw)
    if bad is not None:
        line = raw.count(b"\n", 0, bad) + 1
        raise DataError(f"{path}: line {line}: not UTF-8 text (byte {bad})")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, last = [], 0
    try:
        for row in reader:
            rows.append((last + 1, row))
            last = reader.line_num
    except csv.Error as exc:
        raise DataError(f"{path}: line {last + 1}: unreadable CSV: {exc}") from None
    return rows


def read_price_csv(path: Path | str, *, today: dt.date | None = None) -> pd.DataFrame:
    """Parse and validate one price file; return a frame indexed 0..n-1 with `COLUMNS`.

    `frame.attrs["lines"]` holds the file line of each row (for messages of later checks).
    """
    path = Path(path)
    today = today or dt.date.today()
    if not path.is_file():
        raise DataError(f"{path}: missing price file")
    rows = _rows(path)
    if not rows or not any(cell.strip() for cell in rows[0][1]):
        raise DataError(f"{path}: empty file (no header)")
    header = [cell.strip().lower() for cell in rows[0][1]]
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    if missing or extra or len(header) != len(set(header)):
        raise DataError(
            f"{path}: line 1: header {rows[0][1]} — missing columns {missing}, unexpected {extra}"
        )
    position = {name: header.index(name) for name in COLUMNS}
    records, lines = [], []
    previous: dt.date | None = None
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DataError(f"{path}: line {line}: {len(row)} fields, header has {len(header)}")
        cell = {name: row[i] for name, i in position.items()}
        day = _date(cell["date"], path, line, today)
        if previous is not None and day == previous:
            raise DataError(f"{path}: line {line}: duplicate date {day}")
        if previous is not None and day < previous:
            raise DataError(f"{path}: line {line}: date {day} after {previous}: dates not sorted")
        previous = day
        values = {
            name: _number(cell[name], path, line, name, required=(name == "close"))
            for name in PRICE_COLUMNS + ["adj_close", "volume"]
        }
        for name in PRICE_COLUMNS + ["adj_close"]:
            if not math.isnan(values[name]) and values[name] <= 0:
                raise DataError(f"{path}: line {line}: non-positive {name} {values[name]}")
        if values["volume"] < 0:
            raise DataError(f"{path}: line {line}: negative volume {values['volume']}")
        if values["high"] < values["low"]:
            raise DataError(
                f"{path}: line {line}: high {values['high']} below low {values['low']}"
            )
        records.append({"date": pd.Timestamp(day), **values})
        lines.append(line)
    if not records:
        raise DataError(f"{path}: no price rows (header only)")
    frame = pd.DataFrame.from_records(records, columns=COLUMNS)
    frame.attrs["lines"] = lines
    return frame


def write_price_csv(frame: pd.DataFrame, path: Path | str) -> None:
    """Write a price frame in the snapshot format; floats keep every digit (exact round trip)."""
    out = frame[COLUMNS].copy()
    out["date"] = pd.to_datetime(out["date"]).dt.strftime("%Y-%m-%d")
    volume = out["volume"]
    if volume.notna().all() and (volume == volume.round()).all():
        out["volume"] = volume.astype("int64")
    out.to_csv(path, index=False, lineterminator="\n")


def anomalies(frame: pd.DataFrame) -> dict[str, int]:
    """Counts of the accepted quirks in a validated frame (recorded in the manifest)."""
    outside = (frame["close"] > frame["high"]) | (frame["close"] < frame["low"])
    return {"close_outside_range": int(outside.sum()), "stale_bars": int(stale_mask(frame).sum())}


def stale_mask(frame: pd.DataFrame) -> pd.Series:
    """Rows that repeat the previous close as O=H=L=C with zero volume (a Yahoo placeholder
    bar); a close-only bar whose close differs from the previous one is not stale."""
    flat = (frame["open"] == frame["high"]) & (frame["high"] == frame["low"])
    repeat = frame["close"] == frame["close"].shift(1)
    return flat & (frame["low"] == frame["close"]) & (frame["volume"] == 0) & repeat


CALENDAR_START = "2019-01-01"  # calendars are built from here (or earlier data's year) on
CALENDAR_END = "2025-12-31"    # ... to here, or to the end of the data's last year if later


def exchange_calendar(code: str, start: str = CALENDAR_START, end: str = CALENDAR_END):
    """The `exchange_calendars` calendar `code` over [start, end], shared by the whole package.

    Building a calendar costs seconds (Korea's most), so it is cached in memory and pickled to
    `paths.artefacts_dir()/calendars/` keyed by the library versions, code, span and this
    function's source; every kernel, and every later build, reuses it.
    """
    return _calendar(code, start, end)


def first_closed_after(market: str, when: pd.Timestamp) -> pd.Timestamp:
    """The first session of `market` whose close comes strictly after the UTC time `when` (a
    shock's day 0 there; `sessions` serves it, the facts' rules check dates with it)."""
    closes = exchange_calendar(market).closes
    pos = int(closes.searchsorted(pd.Timestamp(when).tz_convert("UTC"), side="right"))
    if pos >= len(closes):
        raise ValueError(f"{market}: no session closes after {when} in the calendar's span")
    return closes.index[pos]


@cache
def _calendar(code: str, start: str, end: str):
    import pickle
    from contextlib import ExitStack

    from .calendars import bounded
    from .paths import artefacts_dir, making, write_atomic

    path = artefacts_dir() / "calendars" / calendar_file(code, start, end)
    with ExitStack() as stack:
        for attempt in range(2):
            if path.is_file():
                try:
                    return pickle.loads(path.read_bytes())
                except Exception:  # a truncated or foreign pickle: rebuild it below
                    path.unlink(missing_ok=True)
            if attempt == 0:   # a kernel running in parallel may be building it: wait, read again
                stack.enter_context(making(path))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            calendar = bounded(code, start, end)
        write_atomic(path, pickle.dumps(calendar))
        return calendar


def calendar_file(code: str, start: str, end: str) -> str:
    """The kept calendar's file name: code, span, library versions and the source of the
    functions that build it, so a change to any of them makes a new file."""
    import exchange_calendars as xc

    from .calendars import BoundedXKRX, bounded
    from .paths import code_digest

    version = f"{getattr(xc, '__version__', 'unknown')}-pandas{pd.__version__}"
    code_hash = code_digest(_calendar, calendar_file, bounded, BoundedXKRX)
    return f"{code}-{start}-{end}-{version}-{code_hash}.pickle"


def calendar_for(code: str, first: pd.Timestamp, last: pd.Timestamp | None = None):
    """`exchange_calendar(code)` over a span that covers the dates `first` .. `last`."""
    start = min(pd.Timestamp(first).year, int(CALENDAR_START[:4]))
    end = max(pd.Timestamp(last or first).year, int(CALENDAR_END[:4]))
    return exchange_calendar(code, start=f"{start}-01-01", end=f"{end}-12-31")


def _line(frame: pd.DataFrame, i: int) -> int:
    lines = frame.attrs.get("lines")
    return lines[i] if lines and len(lines) == len(frame) else i + 2


def check_series(frame: pd.DataFrame, path: Path | str, *, ticker: str, calendar: str,
                 known_jumps: pd.DataFrame | None = None) -> dict[str, int]:
    """Checks that need the security: sessions of its exchange and split-like jumps.

    Rejects a bar on a day that is not a session of `calendar` (empty for FX: not checked)
    and a close-to-close move beyond `JUMP_LIMIT` that `known_jumps` (ticker, date,
    return_pct) does not document. Returns counts for the manifest: sessions missing from the
    file (left as gaps) and documented jumps.
    """
    dates = pd.DatetimeIndex(frame["date"])
    missing = 0
    if calendar:
        cal = calendar_for(calendar, dates[0], dates[-1])
        if dates[0] < cal.first_session or dates[-1] > cal.last_session:
            raise DataError(f"{path}: dates {dates[0].date()}..{dates[-1].date()} outside the "
                            f"{calendar} calendar's span")
        sessions = pd.DatetimeIndex(cal.sessions_in_range(dates[0], dates[-1]))
        off = ~dates.isin(sessions)
        if off.any():
            i = int(off.argmax())
            raise DataError(f"{path}: line {_line(frame, i)}: {dates[i].date()} is not a "
                            f"{calendar} session ({dates[i].day_name()}; a holiday or filled row?)")
        missing = int((~sessions.isin(dates)).sum())
    documented = 0
    if ticker not in VOLATILITY_INDICES:
        known = {}
        if known_jumps is not None:
            rows = known_jumps.loc[known_jumps["ticker"] == ticker]
            known = {pd.Timestamp(d): float(r) for d, r in zip(rows["date"], rows["return_pct"])}
        moves = frame["close"] / frame["close"].shift(1) - 1
        for i in moves.index[moves.abs() > JUMP_LIMIT]:
            pct = moves[i] * 100
            day = frame.at[i, "date"]
            if day in known and abs(known[day] - pct) <= JUMP_MATCH_PP:
                documented += 1
                continue
            raise DataError(
                f"{path}: line {_line(frame, i)}: close moves {pct:+.1f}% on {day.date()} "
                f"(beyond ±{JUMP_LIMIT:.0%} in one session: split-like); document it in "
                f"data/known_jumps.csv with a source if it is real")
    return {"missing_sessions": missing, "documented_jumps": documented}
