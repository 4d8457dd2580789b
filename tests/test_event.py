"""The event as data: news times in UTC in data/shocks.csv, each market's day 0 derived from
them, the checks on the file, and no event date typed into the story code."""

from __future__ import annotations

import ast
import re

import pandas as pd
import pytest

from deepshock.data import context, event, sessions
from deepshock.data.vintage import EVENT_WINDOW
from tests.conftest import ROOT
from tests.test_facts import append, rejects, rewrite, table  # noqa: F401

LIBERATION, RESULTS = "'Liberation Day' tariffs", "Nvidia falls after results"
# (event label or None for the book's event, market, day 0): facts from the exchange holiday
# notices and the news times (timeline.md; earnings-2025.csv; shocks.csv's time sources)
DAY0 = [(None, "XTKS", "2025-01-27"),        # Tokyo traded on Monday, before New York
        (None, "XKRX", "2025-01-31"),        # Seoul reopened after Lunar New Year
        (None, "XTAI", "2025-02-03"),        # Taipei reopened (last session 22 Jan)
        (None, "XNYS", "2025-01-27"),
        (LIBERATION, "XTKS", "2025-04-03"),  # announced after New York's 2 April close
        (LIBERATION, "XNYS", "2025-04-03"),
        (RESULTS, "XNYS", "2025-02-27"),     # results at 16:20 New York time on 26 February
        (RESULTS, "XTKS", "2025-02-27")]


@pytest.mark.parametrize("label, market, expected", DAY0)
def test_day0_per_market(label, market, expected):
    assert event.day0(market, label) == pd.Timestamp(expected)


def test_day0_is_the_first_close_after_the_news_on_the_calendars():
    """Oracle from the calendars' raw close times, for every market and every shock."""
    for label in event.events()["label"]:
        news = event.news(label)
        for market in ("XTKS", "XKRX", "XTAI", "XHKG", "XSHG", "XETR", "XNYS"):
            closes = sessions.calendar(market).closes
            after = closes[closes > news]
            assert event.day0(market, label) == after.index[0]
            before = closes[closes <= news]
            assert event.day(market, -1, label) == before.index[-1]


def test_sessions_around_day0_and_tickers():
    assert event.days("XTKS", (0, 1)) == (pd.Timestamp("2025-01-27"), pd.Timestamp("2025-01-28"))
    assert event.day("XNYS", -1) == pd.Timestamp("2025-01-24")
    assert event.day("XKRX", -1) == pd.Timestamp("2025-01-24")  # closed 27-30 January
    assert event.day("000660.KS") == event.day0("XKRX")          # a ticker names its market
    assert event.get()["label"] == "DeepSeek shock"
    with pytest.raises(KeyError, match="no single shock"):
        event.get("no such shock")


def test_real_file_has_a_time_and_source_per_row_and_one_primary():
    raw = table(ROOT / "data" / "shocks.csv")
    assert (raw["time_source"].str.strip() != "").all()
    assert (raw["role"] == "primary").sum() == 1
    loaded = context.shocks()
    assert str(loaded["news_utc"].dt.tz) == "UTC"
    # Liberation Day: the Rose Garden address at about 16:00 New York time (20:00 UTC), after
    # the 16:00 close; the stated span ends at 21:00 UTC
    row = loaded.set_index("label").loc[LIBERATION]
    assert row["news_utc"] - row["precision"] == pd.Timestamp("2025-04-02 20:00", tz="UTC")
    assert sessions.close_utc("XNYS", "2025-04-02") <= row["news_utc"] - row["precision"]


def test_a_new_event_row_is_measured_without_code(book):
    """Add an event to data/shocks.csv: its day 0 per market follows from its news time."""
    append(book / "shocks.csv", date="2025-03-10", origin_market="New York", label="Made up",
           description="x", source="test", certainty="reported", news_utc="2025-03-09T12:00Z",
           precision="PT1M", time_source="test", role="comparison")
    assert event.day0("XNYS", "Made up") == pd.Timestamp("2025-03-10")
    assert event.day0("XTKS", "Made up") == pd.Timestamp("2025-03-10")


BAD = [({"news_utc": "2025-01-27 05:00"}, "news_utc '2025-01-27 05:00' is not YYYY-MM-DDTHH:MMZ"),
       ({"precision": "2 days"}, "precision '2 days' is not an ISO 8601 duration"),
       ({"precision": "PT"}, "precision 'PT' is not an ISO 8601 duration"),
       ({"time_source": " "}, "news time has no time_source"),
       ({"role": "main"}, "role 'main' is not one of"),
       # the news after New York's Monday close: New York's day 0 would be Tuesday
       ({"news_utc": "2025-01-27T21:30Z"}, "date 2025-01-27 is not the XNYS day 0"),
       # a span of three days covers Friday's closes: day 0 would depend on the time
       ({"precision": "P3D"}, "closed at 2025-01-24"),
       ]


@pytest.mark.parametrize("change, problem", BAD)
def test_bad_news_times_are_rejected_with_file_and_line(book, change, problem):
    path = book / "shocks.csv"
    frame = table(path)
    i = int(frame.index[frame["role"] == "primary"][0])
    for column, value in change.items():
        frame.loc[i, column] = value
    rewrite(path, frame)
    rejects(path, i + 2, problem, context.shocks)


def test_exactly_one_primary(book):
    path = book / "shocks.csv"
    frame = table(path)
    frame.loc[0, "role"] = "primary"
    rewrite(path, frame)
    rejects(path, 2 + int(frame.index[frame["role"] == "primary"][1]), "2 rows have role 'primary'",
            context.shocks)


# --- no event date typed into the story code --------------------------------------------------

# Literals inside the event window that are not dates of the event (each with its reason).
ALLOWED: dict[tuple[str, str], str] = {}
LITERAL = re.compile(r"(?<!\d)(20\d\d)-(\d\d)-(\d\d)(?!\d)|Timestamp\((20\d\d),\s*(\d+),\s*(\d+)")


def literals(text: str):
    for m in LITERAL.finditer(text):
        y, mo, d = (m.group(1), m.group(2), m.group(3)) if m.group(1) else m.group(4, 5, 6)
        yield f"{int(y):04d}-{int(mo):02d}-{int(d):02d}"


def test_literals_are_found():
    found = list(literals('a = "2025-01-27"; b = pd.Timestamp(2025, 1, 28); c = "20250127"'))
    assert found == ["2025-01-27", "2025-01-28"]


def test_no_event_date_literal_in_the_story_code():
    first, last = map(pd.Timestamp, EVENT_WINDOW)
    found, seen = [], set()
    for path in sorted((ROOT / "deepshock" / "story").rglob("*.py")):
        for date in literals(path.read_text(encoding="utf-8")):
            seen.add((path.name, date))
            if first <= pd.Timestamp(date) <= last and (path.name, date) not in ALLOWED:
                found.append(f"{path.name}: {date}")
    assert set(ALLOWED) <= seen, f"stale allowed literals: {set(ALLOWED) - seen}"
    assert not found, f"event dates typed in the story code (read them from data.event): {found}"


# Dates written out in the code's strings (chart titles, axis titles): the same rule. The
# source line of the fact-check chart names the date of the article it checks, not the event.
TEXT_ALLOWED = {("factcheck/chart.py", "28 January"): "the checked article's publication date",
                ("launch.py", "24 Jan"): "a key into data/background.csv's labels, not shown"}
TEXT = re.compile(r"\b(\d{1,2})(?:[–-]\d{1,2})? (January|February|December|Jan|Feb|Dec)\b")


def written_dates(source: str):
    """(text, date) of each written-out date in the string constants of a module, docstrings
    excepted (Dec read as 2024, Jan and Feb as 2025: the event window's months)."""
    tree = ast.parse(source)
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
            and node.body and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            for m in TEXT.finditer(node.value):
                year = 2024 if m.group(2).startswith("Dec") else 2025
                yield m.group(0), pd.Timestamp(f"{m.group(1)} {m.group(2)[:3]} {year}")


def test_written_dates_are_found():
    source = '"""27 January in a docstring."""\nt = f"On 27 January {x}"\nu = "9 May"\n'
    assert [text for text, _ in written_dates(source)] == ["27 January"]


def test_no_written_event_date_in_the_story_code():
    first, last = map(pd.Timestamp, EVENT_WINDOW)
    found, seen = [], set()
    for path in sorted((ROOT / "deepshock" / "story").rglob("*.py")):
        name = path.relative_to(ROOT / "deepshock" / "story").as_posix()
        for text, date in written_dates(path.read_text(encoding="utf-8")):
            seen.add((name, text))
            if first <= date <= last and (name, text) not in TEXT_ALLOWED:
                found.append(f"{name}: {text!r}")
    assert set(TEXT_ALLOWED) <= seen, f"stale allowed dates: {set(TEXT_ALLOWED) - seen}"
    assert not found, f"event dates written into the story code's strings: {found}"
