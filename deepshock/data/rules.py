"""The rules of the facts in `data/` that a Table Schema cannot state: each a small named
function over the typed tables, run by `schema.check` after a file passed its declaration
(`data/datapackage.json`). A violation is a `DataError` naming the file, the line and the column.

* `known_calendars`: a universe calendar is an exchange_calendars code (empty only for fx);
* `market_sessions`: a market event is at a place with an exchange, on one of its sessions;
* `claim_subjects`: a claim is about universe tickers (then dated), an exchange calendar or an
  event label, and its date is a day or a range `A..B`;
* `listed_tickers`: the tickers a news item affects, or a results date is for, are in the
  universe (at least one);
* `short_quotes`: a reaction quotes at most `QUOTE_WORDS` words;
* `time_zones`: every `timezone` is an IANA time zone;
* `stated_precision`: a date of stated precision (`<date>_precision`) is the first day of its
  month, quarter or year, and has a precision exactly when it has a date;
* `one_primary`: exactly one shock is the book's own event (role 'primary');
* `day0_of_news`: a shock's date is its origin market's day 0: the first session whose close
  comes after the news time (`validate.first_closed_after`, as `sessions` serves it);
* `unambiguous_span`: no exchange of the universe closes inside a news time's precision span,
  so no market's day 0 depends on where in the span the news came;
* `dated_weights`: an index weight has the date it was measured on;
* `announced_first`: an index change is announced on or before its effective date;
* `period_in_order`: a stated plan's period ends after it starts;
* `figures_in_order`: a plan's low figure is not above its high one, and only a range has two.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pandas as pd

from .paths import facts_dir
from .validate import DataError, calendar_for, exchange_calendar, first_closed_after

# Places in events.csv that are exchanges, mapped to their calendar. "Europe" is the Paris
# bourse, home of the universe's European line (SU.PA). Other places (Online, Washington, ...)
# are not markets.
PLACES = {"New York": "XNYS", "Tokyo": "XTKS", "Seoul": "XKRX", "Taipei": "XTAI",
          "Hong Kong": "XHKG", "Paris": "XPAR", "Europe": "XPAR"}
MARKET = "Market"  # the events.csv category of events that happen in a trading session
QUOTE_WORDS = 12
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
Tables = dict[str, pd.DataFrame]


def line(table: pd.DataFrame | None, i: int) -> int:
    """File line of row `i` (0-based) of a table read from a facts file (a quoted line break
    makes a record span lines); i + 2 for a table made otherwise."""
    lines = table.attrs.get("lines") if table is not None else None
    return lines[i] if lines is not None and i < len(lines) else i + 2


def fail(name: str, i: int, problem: str, table: pd.DataFrame | None = None) -> None:
    """Reject row `i` (0-based, after the header) of `data/<name>.csv` (or of `table`'s file)."""
    path = (table.attrs.get("path") if table is not None else None) or facts_dir() / f"{name}.csv"
    raise DataError(f"{path}: line {line(table, i)}: {problem}")


@cache
def calendar_names() -> frozenset[str]:
    import exchange_calendars as xc

    return frozenset(xc.get_calendar_names())


def span(text: str, i: int, table: pd.DataFrame | None = None
         ) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """A claim's date: None when empty, (day, day) or the two ends of `A..B`."""
    if not text:
        return None
    parts = text.split("..")
    if len(parts) > 2 or not all(_DATE.fullmatch(p) for p in parts):
        fail("claims", i, f"date {text!r} is not YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD", table)
    try:
        first, last = pd.Timestamp(parts[0]), pd.Timestamp(parts[-1])
    except ValueError:
        fail("claims", i, f"date {text!r} is not a calendar date", table)
    if last < first:
        fail("claims", i, f"date range {text!r} ends before it starts", table)
    return first, last


# ---- the rules ----------------------------------------------------------------------------

def known_calendars(tables: Tables, name: str) -> None:
    table = tables[name]
    for i, (kind, code) in enumerate(zip(table["kind"], table["calendar"])):
        if (code or kind != "fx") and code not in calendar_names():
            fail(name, i, f"unknown exchange calendar {code!r}", table)


def market_sessions(tables: Tables, name: str) -> None:
    table = tables[name]
    for i, (category, place, day) in enumerate(zip(table["category"], table["place"],
                                                   table["date"])):
        if category != MARKET:
            continue
        code = PLACES.get(place)
        if code is None:
            fail(name, i, f"market event at {place!r}, which has no exchange calendar "
                          f"(known places: {', '.join(PLACES)})", table)
        if not calendar_for(code, day).is_session(day):
            fail(name, i, f"market event on {day.date()} ({day.day_name()}), not a {code} "
                          f"session", table)


def claim_subjects(tables: Tables, name: str) -> None:
    table = tables[name]
    tickers, labels = set(tables["universe"]["ticker"]), set(tables["events"]["label"])
    for i, (subject, date) in enumerate(zip(table["subject"], table["date"])):
        dates = span(date, i, table)
        if all(n.strip() in tickers for n in subject.split(";")):
            if dates is None:
                fail(name, i, f"claim on {subject} has no date", table)
        elif subject not in labels and subject not in calendar_names():
            fail(name, i, f"subject {subject!r} is neither a ticker of universe.csv, an "
                          f"exchange calendar nor an event label", table)


LISTS = {"confounders": "affects", "earnings": "tickers"}  # file -> its list of tickers


def listed_tickers(tables: Tables, name: str) -> None:
    table, known, column = tables[name], set(tables["universe"]["ticker"]), LISTS[name]
    for i, names in enumerate(table[column]):
        if not names:
            fail(name, i, f"{column} names no ticker", table)
        unknown = [n for n in names if n not in known]
        if unknown:
            fail(name, i, f"{column} {unknown} not in universe.csv", table)


def short_quotes(tables: Tables, name: str) -> None:
    table = tables[name]
    for i, quote in enumerate(table["quote"]):
        if len(quote.split()) > QUOTE_WORDS:
            fail(name, i, f"quote of {len(quote.split())} words: keep quotes short", table)


def time_zones(tables: Tables, name: str) -> None:
    table = tables[name]
    for i, zone in enumerate(table.get("timezone", [])):
        if not _is_zone(zone):
            fail(name, i, f"timezone {zone!r} is not an IANA time zone", table)


@cache
def _is_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return bool(name)


FIRST_MONTH = {"day": range(1, 13), "month": range(1, 13), "quarter": (1, 4, 7, 10),
               "year": (1,)}


def stated_precision(tables: Tables, name: str) -> None:
    table = tables[name]
    for column in [c for c in table.columns if f"{c}_precision" in table.columns]:
        for i, (day, precision) in enumerate(zip(table[column], table[f"{column}_precision"])):
            if pd.isna(day) != (precision == ""):
                fail(name, i, f"{column}_precision {precision!r} with {column} "
                              f"{'empty' if pd.isna(day) else f'{day.date()}'}: give both "
                              f"or neither", table)
            if precision and precision != "day" and (
                    day.day != 1 or day.month not in FIRST_MONTH[precision]):
                fail(name, i, f"{column} {day.date()} is not the first day of its "
                              f"{precision} ({column}_precision {precision!r})", table)


def duration(text: str) -> pd.Timedelta:
    """An ISO 8601 duration of days, hours and minutes (PT1M, P2D, P1DT2H) as a Timedelta."""
    return pd.Timedelta(text)


def one_primary(tables: Tables, name: str) -> None:
    table = tables[name]
    primary = table.index[table["role"] == "primary"]
    if len(primary) != 1:
        fail(name, int(primary[1]) if len(primary) else len(table) - 1,
             f"{len(primary)} rows have role 'primary': exactly one is the book's event", table)


def day0_of_news(tables: Tables, name: str) -> None:
    table = tables[name]
    for i, (origin, day, news) in enumerate(zip(table["origin_market"], table["date"],
                                                table["news_utc"])):
        code = PLACES[origin]
        try:
            day0 = first_closed_after(code, news)
        except ValueError:  # after the calendars' span
            fail(name, i, f"news_utc {news:%Y-%m-%dT%H:%MZ}: no {code} session closes after it "
                          "in the calendar's span", table)
        if day0 != day:
            fail(name, i, f"date {day:%Y-%m-%d} is not the {code} day 0 of the news time "
                          f"({day0:%Y-%m-%d}, its first session whose close comes after it)",
                 table)


def unambiguous_span(tables: Tables, name: str) -> None:
    table = tables[name]
    markets = sorted({c for c in tables["universe"]["calendar"] if c})
    for i, (news, span) in enumerate(zip(table["news_utc"], table["precision"])):
        start = news - duration(span)
        for market in markets:
            closes = exchange_calendar(market).closes
            inside = closes[(closes > start) & (closes < news)]
            if len(inside):
                fail(name, i, f"{market} closed at {inside.iloc[0]:%Y-%m-%d %H:%M} UTC, inside "
                              "the news time's precision span: its day 0 is ambiguous; state "
                              "the time more precisely", table)


def dated_weights(tables: Tables, name: str) -> None:
    table = tables[name]
    for i, (weight, as_of) in enumerate(zip(table["weight_pct"], table["as_of"])):
        if pd.notna(weight) and pd.isna(as_of):
            fail(name, i, "a weight needs its date (as_of)", table)


def announced_first(tables: Tables, name: str) -> None:
    table = tables[name]
    for i, (announced, effective) in enumerate(zip(table["announced"], table["date"])):
        if announced > effective:
            fail(name, i, "announced after its effective date", table)


def period_in_order(tables: Tables, name: str) -> None:
    table = tables[name]
    for i, (start, end) in enumerate(zip(table["period_start"], table["period_end"])):
        if end <= start:
            fail(name, i, f"period_end {end:%Y-%m-%d} is not after period_start "
                          f"{start:%Y-%m-%d}", table)


def figures_in_order(tables: Tables, name: str) -> None:
    table = tables[name]
    for i, (form, low, high) in enumerate(zip(table["form"], table["low_usd_bn"],
                                              table["high_usd_bn"])):
        if low > high:
            fail(name, i, f"low_usd_bn {low:g} is above high_usd_bn {high:g}", table)
        if form != "range" and low != high:
            fail(name, i, f"high_usd_bn {high:g}: a figure of form {form!r} has one value, "
                          f"not {low:g} to {high:g}", table)


def span_in_order(tables: Tables, name: str) -> None:
    table = tables[name]
    for i, (start, end) in enumerate(zip(table["utc_from"], table["utc_to"])):
        if end < start:
            fail(name, i, f"utc_to {end:%Y-%m-%d %H:%M} is before utc_from "
                          f"{start:%Y-%m-%d %H:%M}", table)


@dataclass(frozen=True)
class Rule:
    name: str
    check: Callable[[Tables, str], None]
    files: tuple[str, ...] | None  # the files it checks (None: every file)
    needs: tuple[str, ...] = ()    # other files it reads


RULES = [
    Rule("known_calendars", known_calendars, ("universe",)),
    Rule("market_sessions", market_sessions, ("events",)),
    Rule("claim_subjects", claim_subjects, ("claims",), ("universe", "events")),
    Rule("listed_tickers", listed_tickers, tuple(LISTS), ("universe",)),
    Rule("short_quotes", short_quotes, ("reactions",)),
    Rule("time_zones", time_zones, None),
    Rule("stated_precision", stated_precision, None),
    Rule("one_primary", one_primary, ("shocks",)),
    Rule("day0_of_news", day0_of_news, ("shocks",)),
    Rule("unambiguous_span", unambiguous_span, ("shocks",), ("universe",)),
    Rule("dated_weights", dated_weights, ("index_members",)),
    Rule("announced_first", announced_first, ("index_changes",)),
    Rule("period_in_order", period_in_order, ("capex",)),
    Rule("figures_in_order", figures_in_order, ("capex",)),
    Rule("span_in_order", span_in_order, ("clock_moments",)),
]


def needs(name: str) -> tuple[str, ...]:
    """Other files the rules of `name` read."""
    return tuple(n for r in RULES if r.files is None or name in r.files for n in r.needs)


def run(tables: Tables, name: str) -> None:
    """Every rule of `name` on the typed tables (its own and those its rules need)."""
    for rule in RULES:
        if rule.files is None or name in rule.files:
            rule.check(tables, name)
