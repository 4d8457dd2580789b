"""Read and validate one per-ticker price CSV (`date,open,high,low,close,adj_close,volume`).

Every rejection raises `DataError` with the file, the line and the problem. Deliberate
acceptances (documented in the book's data appendix and tested in `tests/test_validate.py`):

* a UTF-8 byte-order mark and CRLF line endings are read as plain UTF-8 / LF;
* columns in another order are accepted (they are named) and reordered;
* a close outside the day's [low, high] range is kept and counted: Yahoo's FX bars do this
  routinely and a handful of Korean and Japanese bars do it by a rounding margin (see the
  snapshot's PROVENANCE.md); a *high below the low* is rejected;
* a "stale" bar (open = high = low = close, volume 0) of a traded security is kept in the
  file but flagged, and the loader treats it as a missing session (PROVENANCE.md, Korea).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

import pandas as pd

COLUMNS = ["date", "open", "high", "low", "close", "adj_close", "volume"]
PRICE_COLUMNS = ["open", "high", "low", "close"]


class DataError(ValueError):
    """Bad input: the message names the file, the line and the problem."""


def _number(text: str, path: Path, line: int, column: str, required: bool) -> float:
    text = text.strip()
    if text == "":
        if required:
            raise DataError(f"{path}: line {line}: empty {column}")
        return math.nan
    try:
        value = float(text)
    except ValueError:
        hint = " (thousands separator?)" if "," in text else ""
        raise DataError(f"{path}: line {line}: non-numeric {column} {text!r}{hint}") from None
    if not math.isfinite(value):
        raise DataError(f"{path}: line {line}: non-finite {column} {text!r}")
    return value


def _date(text: str, path: Path, line: int, today: dt.date) -> dt.date:
    try:
        value = dt.date.fromisoformat(text.strip())
        if len(text.strip()) != 10:
            raise ValueError
    except ValueError:
        raise DataError(f"{path}: line {line}: date {text!r} is not YYYY-MM-DD") from None
    if value > today:
        raise DataError(f"{path}: line {line}: date {value} is in the future")
    return value


def read_price_csv(path: Path | str, *, today: dt.date | None = None) -> pd.DataFrame:
    """Parse and validate one price file; return a frame indexed 0..n-1 with `COLUMNS`."""
    path = Path(path)
    today = today or dt.date.today()
    if not path.is_file():
        raise DataError(f"{path}: missing price file")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise DataError(f"{path}: empty file (no header)")
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    if missing or extra or len(header) != len(set(header)):
        raise DataError(
            f"{path}: line 1: header {rows[0]} — missing columns {missing}, unexpected {extra}"
        )
    position = {name: header.index(name) for name in COLUMNS}
    records = []
    previous: dt.date | None = None
    for line, row in enumerate(rows[1:], start=2):
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
    if not records:
        raise DataError(f"{path}: no price rows (header only)")
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def anomalies(frame: pd.DataFrame) -> dict[str, int]:
    """Counts of the accepted quirks in a validated frame (recorded in the manifest)."""
    outside = (frame["close"] > frame["high"]) | (frame["close"] < frame["low"])
    return {"close_outside_range": int(outside.sum()), "stale_bars": int(stale_mask(frame).sum())}


def stale_mask(frame: pd.DataFrame) -> pd.Series:
    """Rows that repeat one price as O=H=L=C with zero volume (a Yahoo placeholder bar)."""
    flat = (frame["open"] == frame["high"]) & (frame["high"] == frame["low"])
    return flat & (frame["low"] == frame["close"]) & (frame["volume"] == 0)
