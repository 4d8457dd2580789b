"""The cross-section panel (`panel/closes.csv`, `panel/members.csv`): validate, describe, install.

`closes.csv` is wide: a `date` column and one column per ticker, one row per NYSE session;
`members.csv` lists each ticker once (ticker, kind, name, sector, industry). Both are held to
the price files' standard: every rejection is a `DataError` naming the file, the line, the row's
date and the column's ticker. Checks are vectorised (the real panel is 624 x 511).

Deliberate rules:

* a UTF-8 byte-order mark, CRLF line endings and columns in another order are accepted (the
  loader sorts tickers; the cache keeps the snapshot's bytes);
* the dates must be exactly the XNYS sessions from the first to the last row, and the last row
  must be the last XNYS session of the price files synced with it (`end`): a file missing its
  trailing rows is rejected as truncated, as is a row with fewer fields than the header;
* an empty cell is allowed only *before* a ticker's first close (not yet listed, PANEL.md). An
  empty cell after it, inside the series or at its end, is rejected: it would make the next
  return span two sessions while being labelled as one. A column with no close is rejected.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path

import numpy as np
import pandas as pd

from .validate import DataError, calendar_for, utf8_text

CLOSES, MEMBERS = "closes.csv", "members.csv"
MEMBER_COLUMNS = ["ticker", "kind", "name", "sector", "industry"]
KINDS = {"sp500", "etf"}
CALENDAR = "XNYS"
_DATE = r"\d{4}-\d{2}-\d{2}"


def _text(path: Path) -> str:
    if not path.is_file():
        raise DataError(f"{path}: missing panel file")
    raw = path.read_bytes()
    text, bad = utf8_text(raw)
    if bad is not None:
        raise DataError(f"{path}: {_locate(raw, bad)}: not UTF-8 text (byte {bad})")
    if not text.strip():
        raise DataError(f"{path}: empty file (no header)")
    return text


def _locate(raw: bytes, at: int) -> str:
    """'line N (first field): column NAME' of byte offset `at` (for undecodable bytes)."""
    start = raw.rfind(b"\n", 0, at) + 1
    line = raw[:start].count(b"\n") + 1
    header = raw.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").strip().split(",")
    field = raw[start:at].count(b",")
    column = header[field].strip() if field < len(header) else f"field {field + 1}"
    key = raw[start:].split(b"\n", 1)[0].split(b",", 1)[0].decode(errors="replace").strip()
    return f"line {line}" + (f" ({key}): column {column}" if line > 1 else "")


def _table(path: Path, text: str) -> pd.DataFrame:
    """All cells as stripped-later strings, with the file line of each row; a row with another
    number of fields than the header is rejected (a truncated or ragged file)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records, lines = [], []
    try:
        for row in reader:
            if row:
                records.append(row)
                lines.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(f"{path}: line {reader.line_num}: unreadable CSV: {exc}") from None
    names = [c.strip() for c in records[0]]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise DataError(f"{path}: line 1: column {name}: duplicated column "
                            f"(fields {seen[name] + 1} and {i + 1})")
        seen[name] = i
    if len(records) < 2:
        raise DataError(f"{path}: no rows (header only)")
    counts = np.fromiter(map(len, records), dtype=int, count=len(records))
    bad = counts != len(names)
    if bad.any():
        i = int(bad.argmax())
        row, n = records[i], int(counts[i])
        column = names[n] if n < len(names) else f"field {n}"
        raise DataError(f"{path}: line {lines[i]} ({row[0].strip()}): column {column}: "
                        f"{n} fields, header has {len(names)} (truncated file?)")
    table = pd.DataFrame(records[1:], columns=names)
    table.attrs["lines"] = np.array(lines[1:])
    return table


def _where(path: Path, table: pd.DataFrame, i: int, date: str | None = None) -> str:
    line = table.attrs["lines"][i]
    return f"{path}: line {line}" + (f" ({date})" if date else "")


def read_closes(path: Path | str, *, end: pd.Timestamp | None = None,
                today: dt.date | None = None) -> pd.DataFrame:
    """Validate `closes.csv`; return the closes as floats, indexed by date, tickers sorted."""
    path = Path(path)
    table = _table(path, _text(path))
    lower = [c.lower() for c in table.columns]
    if "date" not in lower:
        raise DataError(f"{path}: line 1: no 'date' column in the header")
    table = table.rename(columns={table.columns[lower.index("date")]: "date"})
    text = table["date"].str.strip()
    tickers = [c for c in table.columns if c != "date"]
    if not tickers:
        raise DataError(f"{path}: line 1: no ticker columns")
    for ticker in tickers:
        if not ticker:
            raise DataError(f"{path}: line 1: a column has no ticker name")
    bad = ~text.str.fullmatch(_DATE)
    dates = pd.to_datetime(text.where(~bad), format="%Y-%m-%d", errors="coerce")
    bad |= dates.isna()
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise DataError(f"{_where(path, table, i)}: column date: {text.iloc[i]!r} is not "
                        "a YYYY-MM-DD date")
    _dates(path, table, dates, text, end, today or dt.date.today())
    shape = (len(table), len(tickers))
    flat = pd.Series(table[tickers].to_numpy().ravel()).str.strip()
    cells = flat.to_numpy().reshape(shape)
    empty = (flat == "").to_numpy().reshape(shape)
    values = pd.to_numeric(flat, errors="coerce").to_numpy(dtype=float).reshape(shape)
    broken = (np.isnan(values) & ~empty) | np.isinf(values)
    _first(path, table, text, tickers, broken, cells,
           lambda v: f"non-numeric close {v!r}")
    _first(path, table, text, tickers, ~empty & (values <= 0), cells,
           lambda v: f"non-positive close {v!r}")
    started = np.maximum.accumulate(~empty, axis=0)
    never = ~started[-1]
    if never.any():
        j = int(never.argmax())
        raise DataError(f"{path}: line 1: column {tickers[j]}: no close on any row")
    _first(path, table, text, tickers, empty & started, cells,
           lambda v: "empty close after the ticker's first close (a gap inside the series; "
                     "only leading gaps, before a listing, are allowed)")
    frame = pd.DataFrame(values, index=pd.DatetimeIndex(dates, name="date"), columns=tickers)
    return frame[sorted(tickers)]


def _dates(path: Path, table: pd.DataFrame, dates: pd.Series, text: pd.Series,
           end: pd.Timestamp | None, today: dt.date) -> None:
    step = dates.diff().dt.days.to_numpy()
    for problem, mask in (("duplicated date", step == 0), ("dates not sorted", step < 0)):
        if mask.any():
            i = int(mask.argmax())
            raise DataError(f"{_where(path, table, i, text.iloc[i])}: column date: {problem} "
                            f"(previous row {text.iloc[i - 1]})")
    if dates.iloc[-1].date() > today:
        raise DataError(f"{_where(path, table, len(dates) - 1, text.iloc[-1])}: column date: "
                        "in the future")
    cal = calendar_for(CALENDAR, dates.iloc[0], dates.iloc[-1])
    sessions = pd.DatetimeIndex(cal.sessions_in_range(dates.iloc[0], dates.iloc[-1]))
    off = ~dates.isin(sessions).to_numpy()
    if off.any():
        i = int(off.argmax())
        raise DataError(f"{_where(path, table, i, text.iloc[i])}: column date: not a "
                        f"{CALENDAR} session ({dates.iloc[i].day_name()}; a holiday or "
                        "filled row?)")
    missing = sessions[~sessions.isin(dates)]
    if len(missing):
        i = int(np.searchsorted(dates.to_numpy(), missing[0].to_datetime64()))
        raise DataError(f"{_where(path, table, i, text.iloc[i])}: column date: the "
                        f"{CALENDAR} session {missing[0].date()} before this row is missing")
    if end is not None and dates.iloc[-1] < end:
        i = len(dates) - 1
        raise DataError(f"{_where(path, table, i, text.iloc[i])}: column date: the panel ends "
                        f"here but the price files run to {end.date()} (truncated file?)")


def _first(path, table, text, tickers, mask: np.ndarray, cells: np.ndarray, problem) -> None:
    """Raise for the first flagged cell in file order (row by row)."""
    if mask.any():
        i, j = divmod(int(mask.ravel().argmax()), mask.shape[1])
        raise DataError(f"{_where(path, table, i, text.iloc[i])}: column {tickers[j]}: "
                        f"{problem(cells[i, j])}")


def read_members(path: Path | str) -> pd.DataFrame:
    """Validate `members.csv`; return it (strings) with the file line of each row in `line`."""
    path = Path(path)
    table = _table(path, _text(path))
    table.columns = [c.lower() for c in table.columns]
    missing = [c for c in MEMBER_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"{path}: line 1: missing columns {missing}")
    table = table.apply(lambda s: s.str.strip())
    lines = table.attrs["lines"]
    for column, mask, problem in (
            ("ticker", table["ticker"] == "", "empty ticker"),
            ("ticker", table["ticker"].duplicated(), "duplicated ticker"),
            ("kind", ~table["kind"].isin(KINDS), f"kind not one of {sorted(KINDS)}")):
        if mask.any():
            i = int(mask.to_numpy().argmax())
            raise DataError(f"{path}: line {lines[i]} ({table['ticker'].iloc[i]}): column "
                            f"{column}: {problem} {table[column].iloc[i]!r}")
    return table[MEMBER_COLUMNS].assign(line=lines)


def check(closes_path: Path, members_path: Path, *, end: pd.Timestamp | None = None
          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both files, and each member with exactly one price column (and the reverse)."""
    closes = read_closes(closes_path, end=end)
    members = read_members(members_path)
    columns = set(closes.columns)
    orphans = members.loc[~members["ticker"].isin(columns)]
    if len(orphans):
        row = orphans.iloc[0]
        raise DataError(f"{members_path}: line {row['line']} ({row['ticker']}): column ticker: "
                        f"member {row['ticker']!r} has no price column in {closes_path.name}")
    listed = set(members["ticker"])
    extra = sorted(columns - listed)
    if extra:
        raise DataError(f"{closes_path}: line 1: column {extra[0]}: price column without a "
                        f"member row in {members_path.name}")
    return closes, members


def entry(directory: Path, closes: pd.DataFrame, members: pd.DataFrame) -> dict:
    """The panel's manifest record: both files' sha256, the shape and the date range."""
    kinds = members["kind"].value_counts()
    listed = closes.notna().idxmax()
    return {
        "files": {name: {"sha256": hashlib.sha256((directory / name).read_bytes()).hexdigest()}
                  for name in (CLOSES, MEMBERS)},
        "rows": int(closes.shape[0]), "tickers": int(closes.shape[1]),
        "first": closes.index[0].date().isoformat(), "last": closes.index[-1].date().isoformat(),
        "members": {kind: int(kinds.get(kind, 0)) for kind in sorted(KINDS)},
        "late_listings": int((listed > closes.index[0]).sum()),
        "calendar": CALENDAR,
    }
