"""The news around the shock, from `data/`: other news in the event windows (confounders), the
tested companies' results dates (earnings), which benchmark indices hold a tested security and
with what weight (index members), the comparison shocks of 2024-25, the background of the
launch, the reactions, and one-day losses after the shock. Each table is checked like the other
facts: columns, a source and a certainty per row, ISO dates, and tickers that the universe
knows. Every rejection is a `DataError` naming file, line and problem.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pandas as pd

from . import facts, sessions
from .paths import facts_dir

CERTAINTY = {"confirmed", "reported"}
# results dates from research leads: "unverified" marks a date not checked against its source
CERTAINTIES = {"earnings": CERTAINTY | {"unverified"}}
TIMES = {"before open", "morning", "after close", "not stated"}   # earnings.time_local
COLUMNS = {
    "confounders": ["date", "time_local", "timezone", "place", "label", "description",
                    "affects", "source", "certainty"],
    "shocks": ["date", "origin_market", "label", "description", "source", "certainty",
               "news_utc", "precision", "time_source", "role"],
    "background": ["topic", "fact", "value", "unit", "date", "source", "certainty"],
    "reactions": ["date", "time_local", "timezone", "who", "role", "quote", "context",
                  "source", "certainty"],
    "later_losses": ["company", "ticker", "date", "loss_usd_bn", "source"],
    "earnings": ["company", "tickers", "date", "time_local", "timezone", "period", "source",
                 "certainty"],
    "index_members": ["index", "ticker", "weight_pct", "as_of", "source", "certainty"],
    "index_changes": ["date", "added", "added_name", "removed", "removed_name", "kind",
                      "announced", "source", "certainty"],
}
CHANGE_KINDS = {"addition", "successor"}   # a company new to the index; the same company relisted
TOPICS = {"company", "chips", "cost", "capex", "valuation", "concentration", "power"}
ORIGINS = {"Tokyo": "XTKS", "New York": "XNYS"}
ROLES = {"primary", "comparison"}   # primary: the book's own event (exactly one row)
NEWS_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z")
PRECISION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?")
PARTIAL_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def _read(name: str) -> pd.DataFrame:
    table = facts.read_facts(name, facts_dir() / f"{name}.csv", COLUMNS[name])
    if "certainty" in table.columns:
        allowed = CERTAINTIES.get(name, CERTAINTY)
        for i, value in table["certainty"].items():
            if value.strip() not in allowed:
                facts.fail(name, i, f"certainty {value!r} is not one of {sorted(allowed)}")
    return table


def _partial_dates(table: pd.DataFrame, name: str) -> None:
    """Background facts may be undated, or dated to the year or month only (kept as text)."""
    for i, text in table["date"].items():
        if text.strip() and not PARTIAL_DATE.fullmatch(text.strip()):
            facts.fail(name, i, f"date {text!r} is not YYYY, YYYY-MM or YYYY-MM-DD")


def confounders() -> pd.DataFrame:
    """Other news in the windows; `affects` is a list of universe tickers (column `tickers`)."""
    return _confounders(facts_dir())


@cache
def _confounders(root: Path) -> pd.DataFrame:
    table = _read("confounders")
    table["date"] = facts._dates(table["date"], root / "confounders.csv")
    known = set(facts.universe()["ticker"])
    lists = []
    for i, text in table["affects"].items():
        names = [n.strip() for n in text.split(";") if n.strip()]
        if not names:
            facts.fail("confounders", i, "news affects no ticker")
        unknown = [n for n in names if n not in known]
        if unknown:
            facts.fail("confounders", i, f"affects {unknown} not in universe.csv")
        lists.append(names)
    return table.assign(tickers=lists).sort_values(["date", "label"], kind="stable")


def shocks() -> pd.DataFrame:
    """The market shocks: `date`, the day 0 of the market where each started; `news_utc`
    (tz-aware) and `precision` (a Timedelta) of the news; `role` ('primary' for the book's own
    event, else 'comparison'). Each market's day 0 is read through `deepshock.data.event`."""
    return _shocks(facts_dir())


@cache
def _shocks(root: Path) -> pd.DataFrame:
    table = _read("shocks")
    table["date"] = facts._dates(table["date"], root / "shocks.csv")
    for i, origin in table["origin_market"].items():
        if origin not in ORIGINS:
            facts.fail("shocks", i, f"origin market {origin!r} is not one of {sorted(ORIGINS)}")
    dupes = table["label"].duplicated()
    if dupes.any():
        first = int(dupes.idxmax())
        facts.fail("shocks", first, f"duplicate label {table.at[first, 'label']!r}")
    return _news_times(table)


def _news_times(table: pd.DataFrame) -> pd.DataFrame:
    """Parse and check the news time of each shock: `news_utc` (when the news was public, UTC),
    `precision` (an ISO 8601 duration: the news came inside (news_utc - precision, news_utc]),
    a `time_source`, and a `role`, exactly one 'primary'. The origin market's day 0 (its first
    session whose close comes after the news) must be the row's `date`, and no session of a
    market of the universe may close inside the span, so that no day 0 depends on where in the
    span the news came."""
    news, spans = [], []
    for i, row in table.iterrows():
        text, span = row["news_utc"].strip(), row["precision"].strip()
        when = pd.to_datetime(text, format="%Y-%m-%dT%H:%MZ", utc=True, errors="coerce")
        if not NEWS_UTC.fullmatch(text) or pd.isna(when):
            facts.fail("shocks", i, f"news_utc {text!r} is not YYYY-MM-DDTHH:MMZ (UTC)")
        parts = PRECISION.fullmatch(span)
        if not parts or not any(parts.groups()):
            facts.fail("shocks", i, f"precision {span!r} is not an ISO 8601 duration "
                                    "(PnDTnHnM, e.g. PT1M, PT1H, P2D)")
        days, hours, minutes = (int(g or 0) for g in parts.groups())
        if not row["time_source"].strip():
            facts.fail("shocks", i, "news time has no time_source")
        if row["role"].strip() not in ROLES:
            facts.fail("shocks", i, f"role {row['role']!r} is not one of {sorted(ROLES)}")
        news.append(when)
        spans.append(pd.Timedelta(days=days, hours=hours, minutes=minutes))
    primary = table.index[table["role"].str.strip() == "primary"]
    if len(primary) != 1:
        facts.fail("shocks", int(primary[1]) if len(primary) else len(table) - 1,
                   f"{len(primary)} rows have role 'primary': exactly one is the book's event")
    table = table.assign(news_utc=pd.DatetimeIndex(news), precision=spans,
                         role=table["role"].str.strip())
    markets = sorted({c for c in facts.universe()["calendar"] if c})
    for i, row in table.iterrows():
        origin = ORIGINS[row["origin_market"]]
        day0 = sessions.first_closed_after(origin, row["news_utc"])
        if day0 != row["date"]:
            facts.fail("shocks", i, f"date {row['date']:%Y-%m-%d} is not the {origin} day 0 of "
                                    f"the news time ({day0:%Y-%m-%d}, its first session whose "
                                    "close comes after it)")
        start = row["news_utc"] - row["precision"]
        for market in markets:
            closes = sessions.calendar(market).closes
            inside = closes[(closes > start) & (closes < row["news_utc"])]
            if len(inside):
                facts.fail("shocks", i, f"{market} closed at {inside.iloc[0]:%Y-%m-%d %H:%M} "
                                        "UTC, inside the news time's precision span: its day 0 "
                                        "is ambiguous; state the time more precisely")
    return table


def background() -> pd.DataFrame:
    """Facts behind the launch chapter's 'why', one per row, grouped by topic."""
    return _background(facts_dir())


@cache
def _background(root: Path) -> pd.DataFrame:
    table = _read("background")
    for i, topic in table["topic"].items():
        if topic not in TOPICS:
            facts.fail("background", i, f"topic {topic!r} is not one of {sorted(TOPICS)}")
    _partial_dates(table, "background")
    return table


def reactions() -> pd.DataFrame:
    """Who said what and when; quotes are kept to a few words."""
    return _reactions(facts_dir())


@cache
def _reactions(root: Path) -> pd.DataFrame:
    table = _read("reactions")
    table["date"] = facts._dates(table["date"], root / "reactions.csv")
    for i, quote in table["quote"].items():
        if len(quote.split()) > 12:
            facts.fail("reactions", i, f"quote of {len(quote.split())} words: keep quotes short")
    return table


def later_losses() -> pd.DataFrame:
    """One-day losses of market value after the shock, as the press reported them."""
    return _later_losses(facts_dir())


@cache
def _later_losses(root: Path) -> pd.DataFrame:
    table = _read("later_losses")
    table["date"] = facts._dates(table["date"], root / "later_losses.csv")
    table["loss_usd_bn"] = facts._numbers(table, "loss_usd_bn", "later_losses", positive=True)
    return table


def _ticker_lists(table: pd.DataFrame, column: str, name: str) -> list[list[str]]:
    """A `;`-separated ticker column as lists, every ticker known to the universe."""
    known = set(facts.universe()["ticker"])
    lists = []
    for i, text in table[column].items():
        names = [n.strip() for n in text.split(";") if n.strip()]
        if not names:
            facts.fail(name, i, f"{column} names no ticker")
        unknown = [n for n in names if n not in known]
        if unknown:
            facts.fail(name, i, f"{column} {unknown} not in universe.csv")
        lists.append(names)
    return lists


def earnings() -> pd.DataFrame:
    """Results dates of the tested companies: local date, time words (`TIMES`) and time zone,
    the company's tested lines as a list (column `tickers`, from `tickers`)."""
    return _earnings(facts_dir())


@cache
def _earnings(root: Path) -> pd.DataFrame:
    table = _read("earnings")
    table["date"] = facts._dates(table["date"], root / "earnings.csv")
    for i, (words, zone) in enumerate(zip(table["time_local"], table["timezone"])):
        if words.strip() not in TIMES:
            facts.fail("earnings", i, f"time {words!r} is not one of {sorted(TIMES)}")
        try:
            pd.Timestamp("2025-01-01").tz_localize(zone.strip())
        except Exception:  # pytz/zoneinfo raise several kinds
            facts.fail("earnings", i, f"time zone {zone!r} is not an IANA zone")
    lists = _ticker_lists(table, "tickers", "earnings")
    return table.assign(tickers=lists).sort_values(["date", "company"], kind="stable")


def index_members() -> pd.DataFrame:
    """Tested securities that their benchmark index holds: index, ticker, weight (fraction, NaN
    where no weight was found) and its date."""
    return _index_members(facts_dir())


@cache
def _index_members(root: Path) -> pd.DataFrame:
    table = _read("index_members")
    _ticker_lists(table, "index", "index_members")
    _ticker_lists(table, "ticker", "index_members")
    weight = pd.to_numeric(table["weight_pct"].replace("", None), errors="coerce")
    for i, (text, value, as_of) in enumerate(zip(table["weight_pct"], weight, table["as_of"])):
        if text.strip() and not 0 < value < 100:
            facts.fail("index_members", i, f"weight {text!r} is not a percentage in (0, 100)")
        if text.strip() and not as_of.strip():
            facts.fail("index_members", i, "a weight needs its date (as_of)")
    dated = table["as_of"].where(table["as_of"].str.strip() != "", "2000-01-01")
    as_of = facts._dates(dated, root / "index_members.csv").where(table["as_of"] != "")
    if table.duplicated(["index", "ticker"]).any():
        first = int(table.duplicated(["index", "ticker"]).idxmax())
        facts.fail("index_members", first, "duplicate index and ticker")
    return table.assign(weight=weight / 100, as_of=as_of)


def index_changes() -> pd.DataFrame:
    """S&P 500 membership changes: who joined (`added`) on the effective `date`, replacing whom;
    `kind` "successor" marks a member's own new listing (e.g. after a merger), not a new firm."""
    return _index_changes(facts_dir())


@cache
def _index_changes(root: Path) -> pd.DataFrame:
    table = _read("index_changes")
    table["date"] = facts._dates(table["date"], root / "index_changes.csv")
    table["announced"] = facts._dates(table["announced"], root / "index_changes.csv")
    for i, row in table.iterrows():
        if row["kind"] not in CHANGE_KINDS:
            facts.fail("index_changes", i, f"kind {row['kind']!r} is not one of "
                       f"{sorted(CHANGE_KINDS)}")
        if not row["added"].strip():
            facts.fail("index_changes", i, "no ticker added")
        if row["announced"] > row["date"]:
            facts.fail("index_changes", i, "announced after its effective date")
    return table.sort_values(["date", "added"], kind="stable").reset_index(drop=True)


def in_window(first: pd.Timestamp, last: pd.Timestamp, ticker: str | None = None
              ) -> pd.DataFrame:
    """Confounders dated inside [first, last] (calendar days), optionally only those naming
    `ticker`."""
    table = confounders()
    inside = table.loc[(table["date"] >= first) & (table["date"] <= last)]
    if ticker is not None:
        inside = inside.loc[inside["tickers"].map(lambda names: ticker in names)]
    return inside
