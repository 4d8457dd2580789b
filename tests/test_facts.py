"""The facts tables in data/: the real files pass, and each bad fact of the catalogue is rejected
with file, line and problem. Bad cases run on a copy of data/ (DEEPSHOCK_ROOT)."""

from __future__ import annotations

from pathlib import Path

import exchange_calendars as xc
import pandas as pd
import pytest

from deepshock.data import facts, load, sync
from deepshock.data.validate import DataError
from tests.conftest import ROOT



def table(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def rewrite(path: Path, frame: pd.DataFrame) -> None:
    frame.to_csv(path, index=False)


def append(path: Path, **row: str) -> int:
    """Add a row; return its line number."""
    frame = table(path)
    rewrite(path, pd.concat([frame, pd.DataFrame([row])], ignore_index=True).fillna(""))
    return len(frame) + 2


def rejects(path: Path, line: int, problem: str, load) -> None:
    with pytest.raises(DataError) as info:
        load()
    assert str(info.value).startswith(f"{path}: line {line}: ")
    assert problem in str(info.value)


# --- the real facts --------------------------------------------------------------------------

def test_real_facts_pass():
    universe = facts.universe()
    assert len(universe) == len(table(ROOT / "data" / "universe.csv")) == 62
    assert len(facts.events()) == len(table(ROOT / "data" / "events.csv"))
    assert set(facts.shares()["ticker"]) <= set(universe["ticker"])
    assert facts.known_jumps()["ticker"].tolist() == ["ARM"]


def test_every_real_market_event_is_on_a_session():
    """Independent of facts.PLACES' use: each market event's city against its calendar."""
    events = table(ROOT / "data" / "events.csv")
    market = events[events["category"] == "Market"]
    assert len(market) > 0
    city = {"New York": "XNYS", "Tokyo": "XTKS", "Seoul": "XKRX", "Taipei": "XTAI",
            "Europe": "XPAR"}
    for _, row in market.iterrows():
        cal = xc.get_calendar(city[row["place"]], start="2024-01-01", end="2025-12-31")
        assert cal.is_session(row["date"]), row.to_dict()


def test_facts_with_bom_and_crlf_are_accepted(book):
    path = book / "shares.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    assert facts.shares()["ticker"].tolist() == table(ROOT / "data" / "shares.csv")["ticker"].tolist()


def test_non_market_event_off_session_is_accepted(book):
    append(book / "events.csv", date="2025-01-26", place="Online", category="DeepSeek",
           label="x", description="x", source="test", certainty="confirmed")
    append(book / "events.csv", date="2025-01-25", place="Tokyo", category="Policy",
           label="y", description="x", source="test", certainty="confirmed")
    assert len(facts.events()) == len(table(ROOT / "data" / "events.csv")) + 2


# --- rejected --------------------------------------------------------------------------------

def test_missing_source_is_rejected(book):
    path = book / "shares.csv"
    frame = table(path)
    frame.loc[3, "source"] = " "
    rewrite(path, frame)
    rejects(path, 5, "row has no source", facts.shares)


def test_missing_column_is_rejected(book):
    path = book / "events.csv"
    rewrite(path, table(path).drop(columns="place"))
    rejects(path, 1, "missing columns ['place']", facts.events)


def test_market_event_on_a_holiday_is_rejected(book):
    path = book / "events.csv"
    line = append(path, date="2025-01-29", place="Seoul", category="Market", label="x",
                  description="x", source="test", certainty="confirmed")  # Lunar New Year
    rejects(path, line, "market event on 2025-01-29 (Wednesday), not a XKRX session",
            facts.events)


def test_market_event_on_a_weekend_is_rejected(book):
    path = book / "events.csv"
    line = append(path, date="2025-01-25", place="New York", category="Market", label="x",
                  description="x", source="test", certainty="confirmed")
    rejects(path, line, "not a XNYS session", facts.events)


def test_market_event_at_a_place_without_calendar_is_rejected(book):
    path = book / "events.csv"
    line = append(path, date="2025-01-27", place="Frankfurt", category="Market", label="x",
                  description="x", source="test", certainty="confirmed")
    rejects(path, line, "market event at 'Frankfurt', which has no exchange calendar",
            facts.events)


def test_event_date_in_another_format_is_rejected(book):
    path = book / "events.csv"
    frame = table(path)
    frame.loc[0, "date"] = "26/12/2024"
    rewrite(path, frame)
    rejects(path, 2, "date '26/12/2024' is not YYYY-MM-DD", facts.events)


def test_shares_for_a_ticker_outside_the_universe_are_rejected(book):
    path = book / "shares.csv"
    line = append(path, ticker="IBM", shares="920000000", as_of="2024", grade="C",
                  source="test", notes="")
    rejects(path, line, "ticker 'IBM' is not in universe.csv", facts.shares)


def test_shares_with_a_thousands_separator_are_rejected(book):
    path = book / "shares.csv"
    frame = table(path)
    frame.loc[0, "shares"] = "24,490,000,000"
    rewrite(path, frame)
    rejects(path, 2, "shares '24,490,000,000' is not a positive number", facts.shares)


def test_universe_problems_are_rejected(book):
    path = book / "universe.csv"
    frame = table(path)
    frame.loc[2, "calendar"] = "NYSE Arca"  # not an exchange_calendars code
    rewrite(path, frame)
    rejects(path, 4, "unknown exchange calendar 'NYSE Arca'", facts.universe)
    frame.loc[2, "calendar"] = "XNYS"
    frame.loc[5, "benchmark"] = "^FTSE"
    rewrite(path, frame)
    rejects(path, 7, "benchmark '^FTSE' is not a ticker of the universe", facts.universe)
    frame.loc[5, "benchmark"] = "^GSPC"
    rewrite(path, pd.concat([frame, frame.iloc[[0]]], ignore_index=True))
    rejects(path, len(frame) + 2, "duplicate ticker 'NVDA'", facts.universe)


def test_known_jump_without_reason_is_rejected(book):
    path = book / "known_jumps.csv"
    frame = table(path)
    frame.loc[0, "reason"] = ""
    rewrite(path, frame)
    rejects(path, 2, "jump has no reason", facts.known_jumps)


# --- claims ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def prices(snapshot, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("claims") / "market-data"
    sync.sync_snapshot(snapshot, target=target, tickers=["NVDA", "2330.TW"])
    return target


@pytest.fixture
def claims(book, prices, monkeypatch) -> Path:
    """A claims table shaped like data/claims.csv (subject, single dates and ranges)."""
    monkeypatch.setenv("DEEPSHOCK_CACHE", str(prices))
    path = book / "claims.csv"
    rows = [("nvda-ret", "NVDA", "2025-01-27"), ("taiwan-closed", "2330.TW", "2025-01-27..2025-01-30"),
            ("v3-cost", "V3 report", ""), ("china-closed", "XSHG", "2025-01-28..2025-02-04")]
    pd.DataFrame([{"id": i, "claim": "x", "subject": s, "date": d, "metric": "release_date",
                   "claimed": "x", "unit": "", "precision": "", "tolerance": "", "caveat": "",
                   "source": "Reuters"} for i, s, d in rows]).to_csv(path, index=False)
    return path


def claim(path: Path, ident: str, subject: str, date: str, source: str = "test") -> int:
    return append(path, id=ident, claim="x", subject=subject, date=date, metric="release_date",
                  claimed="x", caveat="", source=source)


def test_valid_claims_pass_with_their_declared_columns(claims):
    found = load.claims()
    assert found["id"].tolist() == ["nvda-ret", "taiwan-closed", "v3-cost", "china-closed"]
    assert {"metric", "caveat"} <= set(found.columns)


def test_claim_on_a_day_without_data_is_rejected(claims):
    line = claim(claims, "tsmc-drop", "2330.TW", "2025-01-27")  # Taiwan: Lunar New Year
    rejects(claims, line, "2330.TW has no traded session on 2025-01-27 in the price cache",
            load.claims)


def test_claim_on_a_range_beyond_the_data_is_rejected(claims):
    line = claim(claims, "late", "NVDA", "2025-06-01..2025-12-31")
    rejects(claims, line, "NVDA has no traded session around 2025-06-01..2025-12-31",
            load.claims)


def test_claim_on_an_unknown_subject_is_rejected(claims):
    line = claim(claims, "ibm", "IBM", "2025-01-27")
    rejects(claims, line, "subject 'IBM' is neither a ticker of universe.csv, an exchange "
                          "calendar nor an event label", load.claims)


def test_claim_on_a_ticker_without_date_is_rejected(claims):
    line = claim(claims, "undated", "NVDA", "")
    rejects(claims, line, "claim on NVDA has no date", load.claims)


def test_claim_with_a_bad_date_is_rejected(claims):
    line = claim(claims, "slash", "NVDA", "27/01/2025")
    rejects(claims, line, "date '27/01/2025' is not YYYY-MM-DD", load.claims)


def test_claim_without_source_or_with_duplicate_id_is_rejected(claims):
    line = claim(claims, "nvda-ret", "NVDA", "2025-01-28")
    rejects(claims, line, "duplicate id 'nvda-ret'", load.claims)
    frame = table(claims)
    frame.loc[1, "source"] = ""
    rewrite(claims, frame)
    rejects(claims, 3, "row has no source", load.claims)


def test_real_claims_file_passes_when_present(snapshot, monkeypatch):
    if not (ROOT / "data" / "claims.csv").is_file():
        pytest.skip("data/claims.csv not written yet")
    monkeypatch.delenv("DEEPSHOCK_CACHE", raising=False)
    assert len(load.claims()) == len(table(ROOT / "data" / "claims.csv"))
