"""The six intraday files' formats and checks (`read`, `read_all`); `intraday` installs and
loads them. Each file's time zone is stated in its `Spec` and converted to UTC once, in `_utc`:

* `SPXUSD_M1_2025MM.csv` (S&P 500 CFD, HistData M1, `YYYYMMDD HHMMSS;open;high;low;close;
  volume`, no header): EST without daylight saving, a fixed UTC-5 all year. It trades Sunday
  18:00 to Friday 16:14 EST with a daily break 16:15-17:59: a bar in a break is off its grid.
* `NVDA_1h_venues.csv` (Databento, one row per hour and venue `publisher_id`) and
  `NVDA_1h_regular.csv` (aggregated, regular session): `ts_event` is already UTC (`+00:00`,
  required). Venue bars start 07:00-19:00 New York time, regular ones 14:00-20:00 UTC.
* `SPY_5min_2025MM.json` (Alpha Vantage): US/Eastern with daylight saving, as its `Meta Data`
  states (checked); keys newest first, bars 04:00-20:00 New York time; dividend-adjusted.

Bars are labelled by their start; `end` = start + the file's interval. Every rejection is a
`DataError` naming the file, the line, the bar's timestamp as written (for JSON: its key) and the
column. Checks, in this order: readable text and layout (header, delimiter, fields), timestamps,
numbers, positive prices, high >= low with open and close inside [low, high], non-negative
volume, order (no duplicate, sorted), the grid (interval, hours, NYSE sessions for SPY and
Nvidia, the month in the file's name), and no overlap between the monthly files of one name.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .validate import DataError, calendar_for, utf8_text

FOLDER = "intraday"
EST = dt.timezone(dt.timedelta(hours=-5), "EST")  # HistData: no daylight saving
NEW_YORK = "America/New_York"
PRICES = ["open", "high", "low", "close"]
DATABENTO = {"venues": ["ts_event", "rtype", "publisher_id", "instrument_id", *PRICES,
                        "volume", "symbol"],
             "regular": ["ts_event", *PRICES, "volume", "vwap"]}
AV_SERIES, AV_FIELDS = "Time Series (5min)", ["1. open", "2. high", "3. low", "4. close",
                                              "5. volume"]
_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*\{')  # a key opening an object: a bar
AV_META = {"2. Symbol": "SPY", "4. Interval": "5min", "6. Time Zone": "US/Eastern"}


@dataclass(frozen=True)
class Spec:
    file: str
    name: str          # the loader's name: SPXUSD, NVDA, SPY
    layout: str        # histdata, venues, regular, alphavantage
    zone: str          # the time zone the file states, as the manifest records it
    interval: str      # a pandas offset: 1min, 1h, 5min
    hours: str         # the grid's hours, in words (for messages)
    month: str | None = None  # the file name's month, checked in the file's own zone


SPECS = (
    Spec("SPXUSD_M1_202501.csv", "SPXUSD", "histdata", "EST (UTC-5, no daylight saving)",
         "1min", "Sunday 18:00 to Friday 16:14 EST, break 16:15-17:59", "2025-01"),
    Spec("SPXUSD_M1_202502.csv", "SPXUSD", "histdata", "EST (UTC-5, no daylight saving)",
         "1min", "Sunday 18:00 to Friday 16:14 EST, break 16:15-17:59", "2025-02"),
    Spec("NVDA_1h_venues.csv", "NVDA venues", "venues", "UTC", "1h",
         "07:00-19:00 New York time on NYSE sessions"),
    Spec("NVDA_1h_regular.csv", "NVDA", "regular", "UTC", "1h",
         "14:00-20:00 UTC on NYSE sessions"),
    Spec("SPY_5min_202501.json", "SPY", "alphavantage", "US/Eastern (daylight saving)", "5min",
         "04:00-20:00 New York time on NYSE sessions", "2025-01"),
    Spec("SPY_5min_202502.json", "SPY", "alphavantage", "US/Eastern (daylight saving)", "5min",
         "04:00-20:00 New York time on NYSE sessions", "2025-02"),
)
BY_FILE = {s.file: s for s in SPECS}


# --- reading: one table of cells per file, with where each row is ---------------------------

def _text(path: Path) -> str:
    if not path.is_file():
        raise DataError(f"{path}: missing intraday file")
    raw = path.read_bytes()
    text, bad = utf8_text(raw)
    if bad is not None:
        line = raw.count(b"\n", 0, bad) + 1
        raise DataError(f"{path}: line {line}: not UTF-8 text (byte {bad})")
    if not text.strip():
        raise DataError(f"{path}: empty file")
    return text


def _histdata(path: Path, text: str) -> pd.DataFrame:
    names = ["timestamp", *PRICES, "volume"]
    rows, lines = [], []
    for n, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.split(";")]
        if len(cells) != len(names):
            raise DataError(f"{path}: line {n} ({cells[0].strip()[:15]}): {len(cells)} fields "
                            f"separated by ';', expected {len(names)} (wrong delimiter?)")
        rows.append(cells)
        lines.append(n)
    return _cells(rows, names, lines)


def _databento(path: Path, text: str, layout: str) -> pd.DataFrame:
    reader = csv.reader(io.StringIO(text, newline=""))
    records, lines = [], []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                records.append(row)
                lines.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(f"{path}: line {reader.line_num}: unreadable CSV: {exc}") from None
    if not records:
        raise DataError(f"{path}: empty file")
    header, expected = [c.strip() for c in records[0]], DATABENTO[layout]
    if sorted(header) != sorted(expected):
        hint = " (wrong delimiter?)" if len(header) == 1 else ""
        raise DataError(f"{path}: line 1: header {header}, expected the columns "
                        f"{expected}{hint}")
    if len(records) < 2:
        raise DataError(f"{path}: no bars (header only)")
    rows = []
    for row, n in zip(records[1:], lines[1:]):
        if len(row) != len(header):
            raise DataError(f"{path}: line {n} ({row[0].strip()}): {len(row)} fields, "
                            f"header has {len(header)}")
        rows.append([cell.strip() for cell in row])
    return _cells(rows, header, lines[1:])


def _alphavantage(path: Path, text: str) -> pd.DataFrame:
    try:
        doc = json.loads(text, object_pairs_hook=list)  # keeps duplicate keys, in file order
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: line {exc.lineno}: not JSON: {exc.msg}") from None
    top = dict(doc) if isinstance(doc, list) and all(isinstance(p, tuple) for p in doc) else {}
    if "Meta Data" not in top or AV_SERIES not in top:
        raise DataError(f"{path}: keys {[k for k, _ in doc] if top else type(doc).__name__}, "
                        f"expected 'Meta Data' and {AV_SERIES!r}")
    meta = dict(top["Meta Data"])
    for key, value in AV_META.items():
        if meta.get(key) != value:
            raise DataError(f"{path}: key 'Meta Data': {key!r} is {meta.get(key)!r}, "
                            f"expected {value!r}")
    pairs = top[AV_SERIES]
    if not isinstance(pairs, list) or not pairs:
        raise DataError(f"{path}: no bars in {AV_SERIES!r}")
    start = max(text.find(json.dumps(AV_SERIES)), 0)
    found = [(m.group(1), m.start()) for m in _KEY.finditer(text, start + 1)]
    if [k for k, _ in found] != [json.dumps(k)[1:-1] for k, _ in pairs]:
        found = [(None, start)] * len(pairs)  # laid out otherwise: name the series' line
    rows, lines, line, at = [], [], text.count("\n", 0, start) + 1, start
    for (key, bar), (_, position) in zip(pairs, found):
        line += text.count("\n", at, position)
        at = position
        fields = [k for k, _ in bar] if isinstance(bar, list) else []
        if fields != AV_FIELDS:
            raise DataError(f"{path}: line {line} ({key}): fields {fields}, expected "
                            f"{AV_FIELDS}")
        rows.append([key.strip(), *[str(v).strip() for _, v in bar]])
        lines.append(line)
    return _cells(rows, ["timestamp", *AV_FIELDS], lines)


def _cells(rows: list[list[str]], names: list[str], lines: list[int]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=names)
    table.attrs["lines"] = np.asarray(lines)
    return table


# --- checking: vectorised, the first offending row of each check in turn --------------------

def _fail(path: Path, table: pd.DataFrame, stamps: pd.Series, mask, column: str, problem):
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        i = int(mask.argmax())
        raise DataError(f"{path}: line {table.attrs['lines'][i]} ({stamps.iloc[i]}): "
                        f"column {column}: {problem(i)}")


def _utc(spec: Spec, stamps: pd.Series) -> pd.Series:
    """The one conversion of each file's stated zone to UTC (NaT where it does not parse)."""
    if spec.layout == "histdata":
        local = pd.to_datetime(stamps.where(stamps.str.fullmatch(r"\d{8} \d{6}")),
                               format="%Y%m%d %H%M%S", errors="coerce")
        return local.dt.tz_localize(EST).dt.tz_convert("UTC")
    if spec.layout == "alphavantage":
        ok = stamps.str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
        local = pd.to_datetime(stamps.where(ok), format="%Y-%m-%d %H:%M:%S", errors="coerce")
        return local.dt.tz_localize(NEW_YORK, ambiguous="NaT",
                                    nonexistent="NaT").dt.tz_convert("UTC")
    ok = stamps.str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00")
    return pd.to_datetime(stamps.where(ok), format="%Y-%m-%d %H:%M:%S%z", errors="coerce",
                          utc=True)


FORMATS = {"histdata": "YYYYMMDD HHMMSS (EST)", "venues": "YYYY-MM-DD HH:MM:SS+00:00 (UTC)",
           "regular": "YYYY-MM-DD HH:MM:SS+00:00 (UTC)",
           "alphavantage": "YYYY-MM-DD HH:MM:SS (US/Eastern, an existing unambiguous time)"}


def read(path: Path | str, spec: Spec | None = None) -> pd.DataFrame:
    """Validate one intraday file; return its bars: ts (UTC start), end, open, high, low, close,
    volume (and `venue` for the venues file), in file order."""
    path = Path(path)
    return _read(path, spec or BY_FILE[path.name])[0]


def _read(path: Path, spec: Spec) -> tuple[pd.DataFrame, np.ndarray, pd.Series, str]:
    """`read`, with each bar's file line, its timestamp as written, and the time column."""
    text = _text(path)
    table = (_histdata(path, text) if spec.layout == "histdata" else
             _alphavantage(path, text) if spec.layout == "alphavantage" else
             _databento(path, text, spec.layout))
    time = "ts_event" if "ts_event" in table else "timestamp"
    named = dict(zip(AV_FIELDS, [*PRICES, "volume"])) if spec.layout == "alphavantage" else {}
    label = {v: k for k, v in named.items()}
    table = table.rename(columns=named)
    stamps = table[time]
    ts = _utc(spec, stamps)
    _fail(path, table, stamps, ts.isna(), time,
          lambda i: f"not {FORMATS[spec.layout]}")
    numeric = [*PRICES, "volume"] + (["publisher_id"] if spec.layout == "venues" else [])
    values = {}
    for column in numeric:
        number = pd.to_numeric(table[column].where(table[column] != ""), errors="coerce")
        _fail(path, table, stamps, number.isna() | np.isinf(number), label.get(column, column),
              lambda i, c=column: f"non-numeric {table[c].iloc[i]!r}")
        values[column] = number.astype(float)
    for column in PRICES:
        _fail(path, table, stamps, values[column] <= 0, label.get(column, column),
              lambda i, c=column: f"non-positive price {table[c].iloc[i]}")
    high, low = values["high"], values["low"]
    _fail(path, table, stamps, high < low, label.get("high", "high"),
          lambda i: f"high {table['high'].iloc[i]} below low {table['low'].iloc[i]}")
    for column in ("open", "close"):
        _fail(path, table, stamps, (values[column] < low) | (values[column] > high),
              label.get(column, column),
              lambda i, c=column: f"{c} {table[c].iloc[i]} outside [low {table['low'].iloc[i]}"
                                  f", high {table['high'].iloc[i]}]")
    _fail(path, table, stamps, values["volume"] < 0, label.get("volume", "volume"),
          lambda i: f"negative volume {table['volume'].iloc[i]}")
    bars = pd.DataFrame({"ts": ts, "end": ts + pd.Timedelta(spec.interval),
                         **{c: values[c] for c in [*PRICES, "volume"]}})
    if spec.layout == "venues":
        bars["venue"] = values["publisher_id"].astype(int)
    _order(path, spec, table, stamps, bars, time)
    _grid(path, spec, table, stamps, ts, time)
    return bars, table.attrs["lines"], stamps, time


def _order(path, spec, table, stamps, bars, column) -> None:
    keys = ["ts", "venue"] if spec.layout == "venues" else ["ts"]

    def duplicate(i: int) -> str:
        first = int((bars[keys] == bars[keys].iloc[i]).all(axis=1).to_numpy().argmax())
        venue = f" for venue {bars['venue'].iloc[i]}" if spec.layout == "venues" else ""
        return f"duplicate timestamp{venue} (first at line {table.attrs['lines'][first]})"

    _fail(path, table, stamps, bars.duplicated(keys), column, duplicate)
    step = bars["ts"].diff()
    newest_first = spec.layout == "alphavantage"
    backwards = (step > pd.Timedelta(0)) if newest_first else (step < pd.Timedelta(0))
    order = "newest first, as Alpha Vantage publishes" if newest_first else "oldest first"
    _fail(path, table, stamps, backwards.fillna(False), column,
          lambda i: f"not sorted ({order}): the previous bar is {stamps.iloc[i - 1]}")


def _grid(path, spec, table, stamps, ts: pd.Series, column) -> None:
    off = ts != ts.dt.floor(spec.interval)
    _fail(path, table, stamps, off, column, lambda i: f"off the {spec.interval} grid")
    zone = EST if spec.layout == "histdata" else "UTC" if spec.layout == "regular" else NEW_YORK
    local = ts.dt.tz_convert(zone)
    minutes = local.dt.hour * 60 + local.dt.minute
    if spec.layout == "histdata":  # Sun 18:00 .. Fri 16:14, no bar 16:15-17:59
        day = local.dt.day_of_week
        allowed = ((minutes >= 18 * 60) & day.isin([6, 0, 1, 2, 3])) | \
                  ((minutes <= 16 * 60 + 14) & day.isin([0, 1, 2, 3, 4]))
    else:
        first, last = {"venues": (7, 19), "regular": (14, 20), "alphavantage": (4, 20)}[
            spec.layout]
        allowed = (minutes >= first * 60) & (minutes <= last * 60)
    _fail(path, table, stamps, ~allowed, column,
          lambda i: f"outside the file's hours ({spec.hours}): "
                    f"{local.iloc[i]:%a %H:%M} {local.iloc[i].tzname()}")
    if spec.month:
        month = local.dt.year * 100 + local.dt.month
        _fail(path, table, stamps, month != int(spec.month.replace("-", "")), column,
              lambda i: f"outside the file's month {spec.month}")
    if spec.layout != "histdata":
        days = local.dt.tz_convert(NEW_YORK).dt.tz_localize(None).dt.normalize()
        cal = calendar_for("XNYS", days.min(), days.max())
        _fail(path, table, stamps, ~days.isin(cal.sessions_in_range(days.min(), days.max())),
              column, lambda i: f"{days.iloc[i]:%Y-%m-%d} ({days.iloc[i]:%A}) is not an NYSE "
                                "session")


# --- the product: all six files, installed together --------------------------------------------

def read_all(folder: Path) -> dict[str, pd.DataFrame]:
    """Every file of `folder` validated (`read`), and monthly files of one name checked not to
    overlap: file name -> bars."""
    folder = Path(folder)
    frames: dict[str, pd.DataFrame] = {}
    last: dict[str, tuple[str, pd.Timestamp]] = {}
    for spec in SPECS:
        bars, lines, stamps, time = _read(folder / spec.file, spec)
        frames[spec.file] = bars
        first, end = bars["ts"].min(), bars["ts"].max()
        if spec.name in last and first <= last[spec.name][1]:
            before, at = last[spec.name]
            i = int(bars["ts"].to_numpy().argmin())
            raise DataError(f"{folder / spec.file}: line {lines[i]} "
                            f"({stamps.iloc[i]}): column {time}: not "
                            f"after the last bar of {before} ({at:%Y-%m-%d %H:%M} UTC): the "
                            "files overlap")
        last[spec.name] = (spec.file, end)
    return frames


