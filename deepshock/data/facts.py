"""The hand-collected facts in `data/`: each table is checked for its columns, a source per row
and its links to the rest (tickers in the universe, market events on exchange sessions, claims
pointing at prices the cache holds). Every rejection is a `DataError` naming file, line, problem.

Tables are cached per facts directory, so a build of another root (`DEEPSHOCK_ROOT`) or a test
on a temporary `data/` never sees another directory's tables.
"""

from __future__ import annotations

import csv
import io
import re
from functools import cache
from pathlib import Path

import pandas as pd

from .paths import facts_dir
from .validate import DataError, calendar_for, utf8_text

SCHEMAS = {
    "universe": ["ticker", "name", "kind", "group", "market", "exchange_mic", "calendar",
                 "currency", "timezone", "benchmark", "source"],
    "events": ["date", "place", "category", "label", "description", "source", "certainty"],
    "shares": ["ticker", "shares", "as_of", "grade", "source", "notes"],
    "records": ["company", "ticker", "date", "loss_usd_bn", "source"],
    "known_jumps": ["ticker", "date", "return_pct", "reason", "source"],
    "claims": ["id", "date", "source"],  # plus `subject` (or `ticker`): see claims()
    "launch_costs": ["quantity", "value", "unit", "description", "source"],
    "splits": ["ticker", "ratio", "effective", "download", "source", "notes"],
}
KINDS = {"equity", "adr", "etf", "index", "fx"}
# Places in events.csv that are exchanges, mapped to their calendar. "Europe" is the Paris
# bourse, home of the universe's European line (SU.PA). Other places (Online, Washington, ...)
# are not markets.
PLACES = {"New York": "XNYS", "Tokyo": "XTKS", "Seoul": "XKRX", "Taipei": "XTAI",
          "Hong Kong": "XHKG", "Paris": "XPAR", "Europe": "XPAR"}
MARKET = "Market"  # the events.csv category of events that happen in a trading session
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def read_facts(name: str, path: Path | None = None, columns: list[str] | None = None
               ) -> pd.DataFrame:
    """Read `data/<name>.csv`, rejecting missing columns (`columns`, default `SCHEMAS[name]`)
    and rows without a source."""
    path = path or facts_dir() / f"{name}.csv"
    if not path.is_file():
        raise DataError(f"{path}: missing facts file")
    try:
        _field_counts(path)
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, csv.Error) as exc:
        raise DataError(f"{path}: unreadable CSV: {exc}") from None
    table.columns = [c.strip() for c in table.columns]
    missing = [c for c in (columns or SCHEMAS[name]) if c not in table.columns]
    if missing:
        raise DataError(f"{path}: line 1: missing columns {missing}")
    for i, row in table.iterrows():
        if not row["source"].strip():
            raise DataError(f"{path}: line {i + 2}: row has no source")
    return table


def _field_counts(path: Path) -> None:
    """Every record has as many fields as the header (pandas would silently turn extra leading
    fields of a row into an index and shift its columns)."""
    text = utf8_text(path.read_bytes())[0]   # undecodable: "" here, pandas reports it next
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    start = reader.line_num + 1
    for row in reader:
        if row and len(row) != len(header):
            raise DataError(f"{path}: line {start}: {len(row)} fields, header has {len(header)}")
        start = reader.line_num + 1


def _path(name: str) -> Path:
    return facts_dir() / f"{name}.csv"


def fail(name: str, i: int, problem: str) -> None:
    """Reject row `i` (0-based, after the header) of `data/<name>.csv`."""
    raise DataError(f"{_path(name)}: line {i + 2}: {problem}")


def _dates(column: pd.Series, path: Path) -> pd.Series:
    for i, text in column.items():
        if not _DATE.fullmatch(text.strip()):
            raise DataError(f"{path}: line {i + 2}: date {text!r} is not YYYY-MM-DD")
    parsed = pd.to_datetime(column.str.strip(), format="%Y-%m-%d", errors="coerce")
    if parsed.isna().any():
        i = parsed.isna().idxmax()
        raise DataError(f"{path}: line {i + 2}: date {column[i]!r} is not a calendar date")
    return parsed


def _numbers(table: pd.DataFrame, column: str, name: str, *, positive: bool) -> pd.Series:
    values = pd.to_numeric(table[column].str.strip(), errors="coerce").astype(float)
    for i in values.index[values.isna() | (values <= 0 if positive else False)]:
        fail(name, i, f"{column} {table.at[i, column]!r} is not a "
                       f"{'positive ' if positive else ''}number")
    return values


def _known_tickers(table: pd.DataFrame, name: str, *, allow_empty: bool = False) -> None:
    tickers = set(universe()["ticker"])
    for i, ticker in table["ticker"].items():
        if ticker == "" and allow_empty:
            continue
        if ticker not in tickers:
            fail(name, i, f"ticker {ticker!r} is not in universe.csv")


def _calendar_names() -> set[str]:
    import exchange_calendars as xc

    return set(xc.get_calendar_names())


def universe() -> pd.DataFrame:
    """Tickers with their exchange, calendar, group and benchmark (`data/universe.csv`)."""
    return _universe(facts_dir())


@cache
def _universe(root: Path) -> pd.DataFrame:
    table = read_facts("universe")
    for i, row in table.iterrows():
        if row["kind"] not in KINDS:
            fail("universe", i, f"unknown kind {row['kind']!r}")
        if (row["calendar"] or row["kind"] != "fx") and row["calendar"] not in _calendar_names():
            fail("universe", i, f"unknown exchange calendar {row['calendar']!r}")
    dupes = table["ticker"].duplicated()
    if dupes.any():
        fail("universe", int(dupes.idxmax()), f"duplicate ticker {table['ticker'][dupes.idxmax()]!r}")
    for i, bench in table["benchmark"].items():
        if bench and bench not in set(table["ticker"]):
            fail("universe", i, f"benchmark {bench!r} is not a ticker of the universe")
    return table


def events() -> pd.DataFrame:
    """The timeline; a market event must fall on a session of its place's exchange."""
    return _events(facts_dir())


@cache
def _events(root: Path) -> pd.DataFrame:
    table = read_facts("events")
    table["date"] = _dates(table["date"], _path("events"))
    for i, row in table.loc[table["category"] == MARKET].iterrows():
        code = PLACES.get(row["place"])
        if code is None:
            fail("events", i, f"market event at {row['place']!r}, which has no exchange "
                               f"calendar (known places: {', '.join(PLACES)})")
        if not calendar_for(code, row["date"]).is_session(row["date"]):
            fail("events", i, f"market event on {row['date'].date()} "
                               f"({row['date'].day_name()}), not a {code} session")
    return table


def shares() -> pd.DataFrame:
    """Dated share counts (several per ticker) with a confidence grade (`data/shares.csv`)."""
    return _shares(facts_dir())


@cache
def _shares(root: Path) -> pd.DataFrame:
    table = read_facts("shares")
    _known_tickers(table, "shares")
    dupes = table.duplicated(["ticker", "as_of"])  # a dated history: one count per day
    if dupes.any():
        fail("shares", int(dupes.idxmax()), "duplicate ticker and as_of")
    table["shares"] = _numbers(table, "shares", "shares", positive=True)
    return table


def records() -> pd.DataFrame:
    """Earlier record one-day losses of market value (`data/records.csv`)."""
    return _records(facts_dir())


@cache
def _records(root: Path) -> pd.DataFrame:
    table = read_facts("records")
    table["date"] = _dates(table["date"], _path("records"))
    table["loss_usd_bn"] = _numbers(table, "loss_usd_bn", "records", positive=True)
    return table


def known_jumps() -> pd.DataFrame:
    """One-day moves beyond the split-like limit that are real, each with a reason and source."""
    return _known_jumps(facts_dir())


@cache
def _known_jumps(root: Path) -> pd.DataFrame:
    table = read_facts("known_jumps")
    _known_tickers(table, "known_jumps")
    table["date"] = _dates(table["date"], _path("known_jumps"))
    table["return_pct"] = _numbers(table, "return_pct", "known_jumps", positive=False)
    for i, reason in table["reason"].items():
        if not reason.strip():
            fail("known_jumps", i, "jump has no reason")
    return table


def claims() -> pd.DataFrame:
    """The fact-check table (`data/claims.csv`) checked for what it points at.

    Ids are unique and every row has a source. The subject (column `subject`, or `ticker`) is
    one or more universe tickers joined by ";", an exchange calendar code, or an event label
    of events.csv. The date is YYYY-MM-DD, a range `A..B`, or empty (event subjects only).
    Other columns are kept as they are; `load.claims()` also checks them against the prices.
    """
    table = read_facts("claims")
    pointer = next((c for c in ("subject", "ticker") if c in table.columns), None)
    if pointer is None:
        raise DataError(f"{_path('claims')}: line 1: missing column 'subject' (or 'ticker')")
    for column in ("id", pointer, "date"):
        table[column] = table[column].str.strip()
    dupes = table["id"].duplicated()
    for i, ident in table["id"].items():
        if not ident:
            fail("claims", i, "claim has no id")
        if dupes[i]:
            fail("claims", i, f"duplicate id {ident!r}")
    tickers, labels = set(universe()["ticker"]), set(events()["label"])
    for i, row in table.iterrows():
        span = _span(row["date"], i)
        names = [n.strip() for n in row[pointer].split(";")]
        if all(n in tickers for n in names):
            if span is None:
                fail("claims", i, f"claim on {row[pointer]} has no date")
        elif row[pointer] not in labels and row[pointer] not in _calendar_names():
            fail("claims", i, f"{pointer} {row[pointer]!r} is neither a ticker of "
                               f"universe.csv, an exchange calendar nor an event label")
    return table


def claim_spans(table: pd.DataFrame) -> dict[int, tuple[list[str], pd.Timestamp, pd.Timestamp]]:
    """Per claims row on universe tickers: (tickers, first, last day) the claim needs prices for."""
    pointer = next(c for c in ("subject", "ticker") if c in table.columns)
    tickers, spans = set(universe()["ticker"]), {}
    for i, row in table.iterrows():
        names = [n.strip() for n in row[pointer].split(";")]
        if all(n in tickers for n in names):
            spans[i] = (names, *_span(row["date"], i))
    return spans


def _span(text: str, i: int) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """A claim's date: None when empty, (day, day) or the two ends of `A..B`."""
    if not text:
        return None
    parts = text.split("..")
    if len(parts) > 2 or not all(_DATE.fullmatch(p) for p in parts):
        fail("claims", i, f"date {text!r} is not YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD")
    try:
        first, last = pd.Timestamp(parts[0]), pd.Timestamp(parts[-1])
    except ValueError:
        fail("claims", i, f"date {text!r} is not a calendar date")
    if last < first:
        fail("claims", i, f"date range {text!r} ends before it starts")
    return first, last


def name(ticker: str) -> str:
    """Display name of a ticker from the universe."""
    return universe().set_index("ticker").at[ticker, "name"]
