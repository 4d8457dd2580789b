"""The declared schema of the facts (`data/datapackage.json`) and its validator: the real files
pass (also for the frictionless tool itself), the schema describes every field, and a catalogue
of bad inputs, for every facts file, gets its exact message from `make data` (the command line)
with the price cache untouched, and stops the book build before it writes anything."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deepshock.book import build
from deepshock.data import cli, facts, schema
from tests.conftest import ROOT, exactly, synced_cache
from tests.test_browser import site  # noqa: F401  (the session's one build of the book)
from tests.test_sync import tree

CALENDAR = "is not a calendar date"
POSITIVE = "is not a positive number"
FRACTION = "is not a fraction (0 < stake <= 1)"
PERCENTAGE = "is not a percentage (0 < weight_pct < 100)"
NO_SOURCE = "row has no source"
NEWS_UTC = "is not YYYY-MM-DDTHH:MMZ (UTC)"
DURATION = "is not an ISO 8601 duration (PnDTnHnM, e.g. PT1M, PT1H, P2D) above zero"
TICKER = ("is not a ticker as the panel writes it (capitals and digits, one '.' or '-' inside, "
          "e.g. BRK-B)")

# (file, case, change, problem): a change sets cells of one row ({column: text}, data row 0
# unless "@row" is given) or appends a copy of row 0 ("dup").
CASES = [
    ("universe", "kind", {"kind": "stock"},
     "kind 'stock' is not one of ['adr', 'equity', 'etf', 'fx', 'index']"),
    ("universe", "calendar", {"calendar": "NYSE Arca"}, "unknown exchange calendar 'NYSE Arca'"),
    ("universe", "benchmark", {"benchmark": "^FTSE"},
     "benchmark '^FTSE' is not a ticker of the universe"),
    ("universe", "currency", {"currency": "usd"},
     "currency 'usd' does not match the pattern [A-Z]{3}"),
    ("universe", "timezone", {"timezone": "New York"},
     "timezone 'New York' is not an IANA time zone"),
    ("universe", "no name", {"name": ""}, "row has no name"),
    ("universe", "duplicate", "dup", "duplicate ticker 'NVDA'"),
    ("universe", "no source", {"source": " "}, NO_SOURCE),
    ("events", "impossible date", {"date": "2024-12-32"}, f"date '2024-12-32' {CALENDAR}"),
    ("events", "date format", {"date": "26/12/2024"}, "date '26/12/2024' is not YYYY-MM-DD"),
    ("events", "category", {"category": "Rumour"},
     "category 'Rumour' is not one of ['Company', 'DeepSeek', 'Market', 'Policy']"),
    ("events", "market on a weekend",
     {"date": "2025-01-25", "place": "New York", "category": "Market"},
     "market event on 2025-01-25 (Saturday), not a XNYS session"),
    ("events", "certainty", {"certainty": "likely"},
     "certainty 'likely' is not one of ['confirmed', 'uncertain']"),
    ("events", "duplicate", "dup", "duplicate label 'V3 weights'"),
    ("events", "no source", {"source": ""}, NO_SOURCE),
    ("shares", "impossible date", {"as_of": "2024-13-15"}, f"as_of '2024-13-15' {CALENDAR}"),
    ("shares", "month as text", {"as_of": "2024-09"}, "as_of '2024-09' is not YYYY-MM-DD"),
    ("shares", "month not at its start", {"as_of": "2024-09-15", "as_of_precision": "month"},
     "as_of 2024-09-15 is not the first day of its month (as_of_precision 'month')"),
    ("shares", "precision", {"as_of_precision": "week"},
     "as_of_precision 'week' is not one of ['day', 'month', 'quarter', 'year']"),
    ("shares", "wrong type", {"shares": "24.49bn"}, f"shares '24.49bn' {POSITIVE}"),
    ("shares", "zero", {"shares": "0"}, f"shares '0' {POSITIVE}"),
    ("shares", "negative", {"shares": "-24490000000"}, f"shares '-24490000000' {POSITIVE}"),
    ("shares", "not finite", {"shares": "inf"}, "shares 'inf' is not a number"),
    ("shares", "unknown ticker", {"ticker": "IBM"}, "ticker 'IBM' is not in universe.csv"),
    ("shares", "grade", {"grade": "D"}, "grade 'D' is not one of ['A', 'B', 'C']"),
    ("shares", "duplicate", "dup", "duplicate (ticker, as_of) ('NVDA', '2024-08-28')"),
    ("shares", "two counts on one day", {"@row": 1, "as_of": "2024-08-28"},
     "duplicate (ticker, as_of) ('NVDA', '2024-08-28')"),
    ("shares", "no source", {"source": ""}, NO_SOURCE),
    ("records", "wrong type", {"loss_usd_bn": "279bn"}, f"loss_usd_bn '279bn' {POSITIVE}"),
    ("records", "zero", {"loss_usd_bn": "0"}, f"loss_usd_bn '0' {POSITIVE}"),
    ("records", "negative", {"loss_usd_bn": "-279"}, f"loss_usd_bn '-279' {POSITIVE}"),
    ("records", "impossible date", {"date": "2024-02-30"}, f"date '2024-02-30' {CALENDAR}"),
    ("records", "unknown ticker", {"ticker": "XYZ"}, "ticker 'XYZ' is not in universe.csv"),
    ("records", "duplicate", "dup", "duplicate (ticker, date) ('NVDA', '2024-09-03')"),
    ("records", "no source", {"source": ""}, NO_SOURCE),
    ("known_jumps", "wrong type", {"return_pct": "47.9%"}, "return_pct '47.9%' is not a number"),
    ("known_jumps", "impossible date", {"date": "2024-02-30"}, f"date '2024-02-30' {CALENDAR}"),
    ("known_jumps", "unknown ticker", {"ticker": "ARMH"}, "ticker 'ARMH' is not in universe.csv"),
    ("known_jumps", "no reason", {"reason": ""}, "jump has no reason"),
    ("known_jumps", "duplicate", "dup", "duplicate (ticker, date) ('ARM', '2024-02-08')"),
    ("known_jumps", "no source", {"source": ""}, NO_SOURCE),
    ("claims", "metric", {"metric": "close_return"},
     "metric 'close_return' is not one of ['close_to_close_return', 'led_meltdown', "
     "'market_closed', 'market_value_loss', 'rank_since', 'record_loss', 'release_date', "
     "'release_month', 'release_window', 'upper_bound', 'worst_day_month']"),
    ("claims", "tolerance", {"tolerance": "10"},
     r"tolerance '10' does not match the pattern \d+(\.\d+)?% (e.g. '10%')"),
    ("claims", "zero precision", {"precision": "0"}, f"precision '0' {POSITIVE}"),
    ("claims", "impossible date", {"date": "2025-02-30"}, f"date '2025-02-30' {CALENDAR}"),
    ("claims", "unknown subject", {"subject": "IBM"}, "subject 'IBM' is neither a ticker of "
     "universe.csv, an exchange calendar nor an event label"),
    ("claims", "no id", {"id": " "}, "claim has no id"),
    ("claims", "duplicate", "dup", "duplicate id 'nvda-ret'"),
    ("claims", "no source", {"source": ""}, NO_SOURCE),
    ("launch_costs", "wrong type", {"value": "2.788M"}, f"value '2.788M' {POSITIVE}"),
    ("launch_costs", "zero", {"value": "0"}, f"value '0' {POSITIVE}"),
    ("launch_costs", "quantity", {"quantity": "gpus"}, "quantity 'gpus' is not one of "
     "['gpu_hours', 'price_per_gpu_hour', 'reported_cost']"),
    ("launch_costs", "duplicate", "dup", "duplicate quantity 'gpu_hours'"),
    ("launch_costs", "no source", {"source": ""}, NO_SOURCE),
    ("splits", "zero", {"ratio": "0"}, f"ratio '0' {POSITIVE}"),
    ("splits", "negative", {"ratio": "-10"}, f"ratio '-10' {POSITIVE}"),
    ("splits", "wrong type", {"ratio": "10:1"}, f"ratio '10:1' {POSITIVE}"),
    ("splits", "impossible date", {"effective": "2024-06-31"}, f"effective '2024-06-31' {CALENDAR}"),
    ("splits", "no download", {"download": ""}, "row has no download"),
    ("splits", "unknown ticker", {"ticker": "XYZ"}, "ticker 'XYZ' is not in universe.csv"),
    ("splits", "duplicate", "dup", "duplicate (ticker, effective) ('NVDA', '2024-06-10')"),
    ("splits", "no source", {"source": ""}, NO_SOURCE),
    ("confounders", "impossible date", {"date": "2025-01-32"}, f"date '2025-01-32' {CALENDAR}"),
    ("confounders", "unknown ticker", {"affects": "ORCL;NOPE"},
     "affects ['NOPE'] not in universe.csv"),
    ("confounders", "no ticker", {"affects": ""}, "row has no affects"),
    ("confounders", "timezone", {"timezone": "Washington"},
     "timezone 'Washington' is not an IANA time zone"),
    ("confounders", "certainty", {"certainty": "likely"},
     "certainty 'likely' is not one of ['confirmed', 'reported']"),
    ("confounders", "duplicate", "dup", "duplicate (date, label) ('2025-01-21', 'Stargate "
     "announced')"),
    ("confounders", "no source", {"source": ""}, NO_SOURCE),
    ("shocks", "impossible date", {"date": "2024-08-32"}, f"date '2024-08-32' {CALENDAR}"),
    ("shocks", "origin", {"origin_market": "Paris"},
     "origin_market 'Paris' is not one of ['New York', 'Tokyo']"),
    ("shocks", "duplicate", "dup", "duplicate label 'Yen carry-trade unwind'"),
    ("shocks", "no source", {"source": ""}, NO_SOURCE),
    ("shocks", "news time form", {"news_utc": "2024-08-05 00:00"}, f"news_utc '2024-08-05 00:00' "
     f"{NEWS_UTC}"),
    ("shocks", "impossible news time", {"news_utc": "2024-08-32T00:00Z"},
     f"news_utc '2024-08-32T00:00Z' {NEWS_UTC}"),
    ("shocks", "news time without zeros", {"news_utc": "2024-8-5T0:00Z"},
     f"news_utc '2024-8-5T0:00Z' {NEWS_UTC}"),
    ("shocks", "precision in words", {"precision": "1 minute"}, f"precision '1 minute' {DURATION}"),
    ("shocks", "zero precision", {"precision": "PT0M"}, f"precision 'PT0M' {DURATION}"),
    ("shocks", "no time source", {"time_source": ""}, "news time has no time_source"),
    ("shocks", "role", {"role": "main"}, "role 'main' is not one of ['comparison', 'primary']"),
    ("shocks", "two primaries", {"@row": 7, "role": "primary"},
     "2 rows have role 'primary': exactly one is the book's event"),
    ("shocks", "date not day 0", {"news_utc": "2024-08-05T07:00Z"}, "date 2024-08-05 is not the "
     "XTKS day 0 of the news time (2024-08-06, its first session whose close comes after it)"),
    ("shocks", "a close inside the span", {"precision": "P3D"}, "XETR closed at 2024-08-02 15:30 "
     "UTC, inside the news time's precision span: its day 0 is ambiguous; state the time more "
     "precisely"),
    ("background", "topic", {"topic": "people"}, "topic 'people' is not one of ['capex', "
     "'chips', 'company', 'concentration', 'cost', 'power', 'valuation']"),
    ("background", "impossible date", {"date": "2023-13-01", "date_precision": "month"},
     f"date '2023-13-01' {CALENDAR}"),
    ("background", "year not at its start", {"date": "2023-05-07", "date_precision": "year"},
     "date 2023-05-07 is not the first day of its year (date_precision 'year')"),
    ("background", "date without precision", {"date": "2025-01-28"},
     "date_precision '' with date 2025-01-28: give both or neither"),
    ("background", "duplicate", "dup",
     "duplicate (topic, fact) ('company', 'DeepSeek is based in Hangzhou, China')"),
    ("background", "no source", {"source": ""}, NO_SOURCE),
    ("reactions", "long quote", {"quote": " ".join(["word"] * 13)},
     "quote of 13 words: keep quotes short"),
    ("reactions", "impossible date", {"date": "2025-02-29"}, f"date '2025-02-29' {CALENDAR}"),
    ("reactions", "timezone", {"timezone": "Davos"}, "timezone 'Davos' is not an IANA time zone"),
    ("reactions", "duplicate", "dup", "duplicate (date, who, quote) ('2025-01-23', "
     "'Alexandr Wang', 'earth shattering')"),
    ("reactions", "no source", {"source": ""}, NO_SOURCE),
    ("clock_moments", "no source", {"source": ""}, NO_SOURCE),
    ("clock_moments", "time form", {"utc_from": "2025-01-27 11:56"},
     f"utc_from '2025-01-27 11:56' {NEWS_UTC}"),
    ("clock_moments", "span backwards", {"utc_to": "2025-01-27T11:55Z"},
     "utc_to 2025-01-27 11:55 is before utc_from 2025-01-27 11:56"),
    ("clock_moments", "duplicate", "dup", "duplicate moment 'futures_0656'"),
    ("later_losses", "zero", {"loss_usd_bn": "0"}, f"loss_usd_bn '0' {POSITIVE}"),
    ("later_losses", "wrong type", {"loss_usd_bn": "n/a"}, f"loss_usd_bn 'n/a' {POSITIVE}"),
    ("later_losses", "impossible date", {"date": "2025-02-30"}, f"date '2025-02-30' {CALENDAR}"),
    ("later_losses", "unknown ticker", {"ticker": "NVDIA"}, "ticker 'NVDIA' is not in "
     "universe.csv"),
    ("later_losses", "duplicate", "dup", "duplicate (ticker, date) ('NVDA', '2025-02-27')"),
    ("later_losses", "no source", {"source": ""}, NO_SOURCE),
    ("earnings", "impossible date", {"date": "2025-02-30"}, f"date '2025-02-30' {CALENDAR}"),
    ("earnings", "date format", {"date": "26 Feb 2025"}, "date '26 Feb 2025' is not YYYY-MM-DD"),
    ("earnings", "time", {"time_local": "at noon"}, "time_local 'at noon' is not one of "
     "['after close', 'before open', 'morning', 'not stated']"),
    ("earnings", "timezone", {"timezone": "New York"},
     "timezone 'New York' is not an IANA time zone"),
    ("earnings", "unknown ticker", {"tickers": "NVDA;NOPE"},
     "tickers ['NOPE'] not in universe.csv"),
    ("earnings", "no ticker", {"tickers": ";"}, "tickers names no ticker"),
    ("earnings", "certainty", {"certainty": "likely"},
     "certainty 'likely' is not one of ['confirmed', 'reported', 'unverified']"),
    ("earnings", "no period", {"period": ""}, "row has no period"),
    ("earnings", "duplicate", "dup", "duplicate (company, date) ('Nvidia', '2025-02-26')"),
    ("earnings", "no source", {"source": ""}, NO_SOURCE),
    ("index_members", "zero", {"weight_pct": "0"}, f"weight_pct '0' {PERCENTAGE}"),
    ("index_members", "negative", {"weight_pct": "-1"}, f"weight_pct '-1' {PERCENTAGE}"),
    ("index_members", "whole index", {"weight_pct": "100"}, f"weight_pct '100' {PERCENTAGE}"),
    ("index_members", "wrong type", {"weight_pct": "6.8%"}, f"weight_pct '6.8%' {PERCENTAGE}"),
    ("index_members", "weight without date", {"as_of": ""}, "a weight needs its date (as_of)"),
    ("index_members", "impossible date", {"as_of": "2025-01-32"}, f"as_of '2025-01-32' {CALENDAR}"),
    ("index_members", "unknown ticker", {"ticker": "6857"}, "ticker '6857' is not in universe.csv"),
    ("index_members", "unknown index", {"index": "^N226"}, "index '^N226' is not in universe.csv"),
    ("index_members", "certainty", {"certainty": "unverified"},
     "certainty 'unverified' is not one of ['confirmed', 'reported']"),
    ("index_members", "duplicate", "dup", "duplicate (index, ticker) ('^N225', '8035.T')"),
    ("index_members", "no source", {"source": ""}, NO_SOURCE),
    ("index_changes", "impossible date", {"date": "2024-12-32"}, f"date '2024-12-32' {CALENDAR}"),
    ("index_changes", "date format", {"announced": "6 Dec 2024"},
     "announced '6 Dec 2024' is not YYYY-MM-DD"),
    ("index_changes", "kind", {"kind": "merger"},
     "kind 'merger' is not one of ['addition', 'successor']"),
    ("index_changes", "a name for a ticker", {"added": "Apollo"}, f"added 'Apollo' {TICKER}"),
    ("index_changes", "lower-case ticker", {"removed": "qrvo"}, f"removed 'qrvo' {TICKER}"),
    ("index_changes", "no ticker", {"added": ""}, "no ticker added"),
    ("index_changes", "announced after", {"announced": "2024-12-24"},
     "announced after its effective date"),
    ("index_changes", "certainty", {"certainty": "likely"},
     "certainty 'likely' is not one of ['confirmed', 'reported']"),
    ("index_changes", "duplicate", "dup", "duplicate (date, added) ('2024-12-23', 'APO')"),
    ("index_changes", "no source", {"source": ""}, NO_SOURCE),
    ("capex", "impossible date", {"period_end": "2025-06-31"},
     f"period_end '2025-06-31' {CALENDAR}"),
    ("capex", "date format", {"stated": "3 Jan 2025"}, "stated '3 Jan 2025' is not YYYY-MM-DD"),
    ("capex", "zero", {"low_usd_bn": "0"}, f"low_usd_bn '0' {POSITIVE}"),
    ("capex", "negative", {"high_usd_bn": "-80"}, f"high_usd_bn '-80' {POSITIVE}"),
    ("capex", "wrong type", {"low_usd_bn": "$80bn"}, f"low_usd_bn '$80bn' {POSITIVE}"),
    ("capex", "unknown ticker", {"ticker": "MSFT.X"}, "ticker 'MSFT.X' is not in universe.csv"),
    ("capex", "form", {"form": "approx"}, "form 'approx' is not one of ['about', 'implied', "
     "'range']"),
    ("capex", "year basis", {"year_basis": "financial"},
     "year_basis 'financial' is not one of ['calendar', 'fiscal']"),
    ("capex", "period backwards", {"period_start": "2025-07-01"},
     "period_end 2025-06-30 is not after period_start 2025-07-01"),
    ("capex", "low above high", {"low_usd_bn": "81"}, "low_usd_bn 81 is above high_usd_bn 80"),
    ("capex", "two values, one figure", {"high_usd_bn": "85"},
     "high_usd_bn 85: a figure of form 'about' has one value, not 80 to 85"),
    ("capex", "no measure", {"measure": ""}, "row has no measure"),
    ("capex", "duplicate", "dup", "duplicate (ticker, stated) ('MSFT', '2025-01-03')"),
    ("capex", "no source", {"source": ""}, NO_SOURCE),
    ("holdings", "zero", {"stake": "0"}, f"stake '0' {FRACTION}"),
    ("holdings", "above one", {"stake": "1.5"}, f"stake '1.5' {FRACTION}"),
    ("holdings", "wrong type", {"stake": "90%"}, f"stake '90%' {FRACTION}"),
    ("holdings", "unknown ticker", {"held": "ARMH"}, "held 'ARMH' is not in universe.csv"),
    ("holdings", "impossible date", {"as_of": "2024-02-30"}, f"as_of '2024-02-30' {CALENDAR}"),
    ("holdings", "duplicate", "dup", "duplicate (holder, held) ('9984.T', 'ARM')"),
    ("holdings", "no source", {"source": ""}, NO_SOURCE),
    ("fx_rates", "zero", {"local_amount": "0"}, f"local_amount '0' {POSITIVE}"),
    ("fx_rates", "negative", {"usd_amount": "-12.39"}, f"usd_amount '-12.39' {POSITIVE}"),
    ("fx_rates", "currency", {"currency": "twd"},
     "currency 'twd' does not match the pattern [A-Z]{3}"),
    ("fx_rates", "impossible date", {"date": "2025-02-30"}, f"date '2025-02-30' {CALENDAR}"),
    ("fx_rates", "duplicate", "dup", "duplicate (date, currency) ('2025-02-04', 'TWD')"),
    ("fx_rates", "no source", {"source": ""}, NO_SOURCE),
    ("market_values", "zero", {"value_usd_tn": "0"}, f"value_usd_tn '0' {POSITIVE}"),
    ("market_values", "unknown ticker", {"index": "SPX"}, "index 'SPX' is not in universe.csv"),
    ("market_values", "impossible date", {"date": "2024-12-32"}, f"date '2024-12-32' {CALENDAR}"),
    ("market_values", "duplicate", "dup", "duplicate (index, date) ('^GSPC', '2024-12-31')"),
    ("market_values", "no source", {"source": ""}, NO_SOURCE),
]


def damage(data: Path, name: str, change) -> int:
    """Apply a catalogue change to `data/<name>.csv` (written as csv writes it); return the
    file line it touched (the real files have no line breaks inside a field)."""
    path = data / f"{name}.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if change == "dup":
        rows.append(rows[1])
        line = len(rows)
    else:
        line = 2 + change.get("@row", 0)
        for column, text in change.items():
            if column != "@row":
                rows[line - 1][rows[0].index(column)] = text
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return line


@pytest.fixture(scope="module")
def cache(snapshot, tmp_path_factory) -> Path:
    """A small synced price cache that a rejected `make data` must leave byte for byte."""
    return synced_cache(snapshot, tmp_path_factory.mktemp("schema"), ["NVDA"])


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> Path:
    """A book root with a copy of data/, checked: its stamps let a case check only what it
    damaged (a stamp is named by content, so it holds for a copy of the same bytes)."""
    root = tmp_path_factory.mktemp("checked")
    shutil.copytree(ROOT / "data", root / "data")
    schema.check_all(root / "data")
    return root


@pytest.fixture
def damaged(checked, tmp_path, monkeypatch) -> Path:
    shutil.copytree(checked, tmp_path / "book")
    monkeypatch.setenv("DEEPSHOCK_ROOT", str(tmp_path / "book"))
    monkeypatch.setenv("DEEPSHOCK_ARTEFACTS", str(tmp_path / "artefacts"))
    return tmp_path / "book" / "data"


def stamps(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "_build").rglob("*"))


@pytest.mark.parametrize("name, case, change, problem", CASES,
                         ids=[f"{n}-{c}" for n, c, *_ in CASES])
def test_bad_input_is_named_and_stops_make_data(damaged, cache, snapshot, monkeypatch, capsys,
                                                name, case, change, problem):
    line = damage(damaged, name, change)
    monkeypatch.setenv("DEEPSHOCK_CACHE", str(cache))
    before, build_before = tree(cache), stamps(damaged.parent)
    assert cli.main(["--snapshot", str(snapshot)]) == 1
    assert capsys.readouterr().err == (f"data sync rejected, cache left unchanged: "
                                       f"{damaged / f'{name}.csv'}: line {line}: {problem}\n")
    assert tree(cache) == before
    assert stamps(damaged.parent) == build_before  # no stamp for the damaged file


@pytest.mark.parametrize("name", sorted({n for n, *_ in CASES}))
def test_bad_input_stops_the_build_before_it_writes(damaged, name, capsys):
    """The first case of each file: the build driver checks the facts before anything else."""
    change, problem = next((c, p) for n, _, c, p in CASES if n == name)
    line = damage(damaged, name, change)
    before = stamps(damaged.parent)
    assert build.build("html", root=damaged.parent) == 1
    assert capsys.readouterr().err == (f"build stopped, nothing written: "
                                       f"{damaged / f'{name}.csv'}: line {line}: {problem}\n")
    assert stamps(damaged.parent) == before
    assert sorted(p.name for p in damaged.parent.iterdir()) == ["_build", "data"]


def test_every_facts_file_has_catalogue_cases():
    assert {n for n, *_ in CASES} == set(schema.facts_files(ROOT / "data"))


# ---- structure -------------------------------------------------------------------------------

def test_undeclared_and_missing_columns(book):
    path = book / "events.csv"
    text = path.read_text()
    path.write_text(text.replace("certainty\n", "certainty,extra\n", 1).replace(
        ",confirmed\n", ",confirmed,\n").replace(",uncertain\n", ",uncertain,\n"))
    exactly(f"{path}: line 1: columns ['extra'] are not declared in datapackage.json",
            schema.check, None, book)
    path.write_text(text.replace(",place,", ",where,", 1))
    exactly(f"{path}: line 1: missing columns ['place']", schema.check, None, book)


def test_an_undeclared_facts_file_or_a_missing_schema_is_refused(book):
    (book / "dividends.csv").write_text("ticker,date,source\nNVDA,2025-03-12,s\n")
    exactly(f"{book / 'dividends.csv'}: a facts file that datapackage.json does not declare "
            "(add a resource for it)", schema.check, None, book)
    (book / "dividends.csv").unlink()
    (book / "datapackage.json").unlink()
    exactly(f"{book / 'datapackage.json'}: missing: the facts have no declared schema",
            facts.shares)


def test_lines_count_line_breaks_inside_quoted_fields(book):
    """frictionless numbers rows; a quoted field spanning lines makes file lines differ."""
    path = book / "events.csv"
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    rows[1][rows[0].index("description")] = "first line\nsecond line\nthird line"
    rows[3][rows[0].index("date")] = "2025-01-32"
    with path.open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    exactly(f"{path}: line 6: date '2025-01-32' {CALENDAR}", facts.events)


def test_blank_lines_crlf_and_a_byte_order_mark_are_read(book):
    path = book / "records.csv"
    raw = path.read_bytes().replace(b"\n", b"\r\n\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + raw.replace(b"2024-09-03", b"2024-09-31"))
    exactly(f"{path}: line 3: date '2024-09-31' {CALENDAR}", facts.records)


# ---- the stamp -------------------------------------------------------------------------------

def test_checked_facts_are_served_without_frictionless_and_rechecked_when_changed(book):
    n = len(schema.facts_files(book))   # every declared file not written by a program
    assert n >= 20
    assert schema.check_all(book).startswith(f"facts: {n} files checked against ")
    assert schema.check_all(book).startswith(f"facts: {n} files already checked against ")
    code = ("import sys; from deepshock.data import context, facts, holdings; facts.shares(); "
            "facts.claims(); context.confounders(); holdings.fx_rates(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'frictionless'))")
    env = {**os.environ, "DEEPSHOCK_ROOT": str(book.parent)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
    line = damage(book, "shares", {"shares": "0"})
    exactly(f"{book / 'shares.csv'}: line {line}: shares '0' {POSITIVE}", facts.shares)


def test_typed_tables():
    import pandas as pd

    shares = facts.shares().set_index(["ticker", "as_of"])
    assert shares.at[("AVGO", pd.Timestamp("2024-09-01")), "as_of_precision"] == "month"
    assert shares.at[("AVGO", pd.Timestamp("2024-09-11")), "as_of_precision"] == "day"
    assert facts.as_stated(shares.xs("GOOGL").index[0], "quarter") == "2025-Q1"
    assert [facts.as_stated(d, "day") for d in shares.xs("NVDA").index] == ["2024-08-28",
                                                                            "2024-11-15"]
    assert shares.index.is_unique  # the primary key: one count per ticker and date
    assert shares["shares"].dtype == float and (shares["shares"] > 0).all()
    assert facts.splits()["ratio"].gt(0).all()


# ---- the declaration -------------------------------------------------------------------------

def test_frictionless_leaves_the_csv_field_limit_as_it_was(book):
    """Importing frictionless raises csv's field size limit for the process; the price files'
    reader relies on the default (a huge field is an unreadable CSV, not a number)."""
    import csv as csv_module

    limit = csv_module.field_size_limit()
    damage(book, "records", {"loss_usd_bn": "0"})
    with pytest.raises(Exception):
        schema.check(None, book)
    assert csv_module.field_size_limit() == limit


def test_the_real_files_pass_the_frictionless_tool_as_declared():
    """The declaration holds for the files as written, read by frictionless itself (the
    vintage too, which deepshock.data.vintage writes and reads)."""
    with schema.library() as frictionless:
        package = frictionless.Package(str(ROOT / "data" / "datapackage.json"))
        for resource in package.resources:
            report = resource.validate()
            assert report.valid, (resource.name, report.flatten(["rowNumber", "message"])[:3])
    assert sorted(p.stem for p in (ROOT / "data").glob("*.csv")) == sorted(
        r.name for r in package.resources)


def test_the_declaration_is_a_data_dictionary():
    declared = json.loads((ROOT / "data" / "datapackage.json").read_text())
    for resource in declared["resources"]:
        assert resource["description"] and resource["title"], resource["name"]
        for field in resource["schema"]["fields"]:
            assert len(field["description"]) > 10, (resource["name"], field["name"])
            if field["type"] in ("number", "integer"):
                assert field["unit"], (resource["name"], field["name"])
        names = [f["name"] for f in resource["schema"]["fields"]]
        with (ROOT / "data" / resource["path"]).open(newline="", encoding="utf-8") as f:
            assert next(csv.reader(f)) == names, resource["name"]


def test_the_fact_check_measures_exactly_the_declared_metrics():
    from deepshock.story import factcheck

    claims = schema.resources(ROOT / "data")["claims"]["schema"]["fields"]
    metric = next(f for f in claims if f["name"] == "metric")
    assert sorted(metric["constraints"]["enum"]) == sorted(factcheck.METRICS)


@pytest.mark.build
def test_every_chart_download_has_a_dictionary_that_holds(site):  # noqa: F811
    """Each chart's CSV comes with `<name>.json`, linked beside it, naming every column with a
    description; frictionless reads the CSV with it and finds it valid."""
    figdata = site.parent / "figdata"
    charts = sorted(figdata.glob("*.csv"))
    assert len(charts) >= 18
    for csv_path in charts:
        described = json.loads(csv_path.with_suffix(".json").read_text(encoding="utf-8"))
        with csv_path.open(newline="", encoding="utf-8") as f:
            header = next(csv.reader(f))
        fields = described["schema"]["fields"]
        assert [f["name"] for f in fields] == header, csv_path.name
        assert all(len(f["description"]) > 3 for f in fields), csv_path.name
        assert described["title"] and described["description"], csv_path.name
        with schema.library() as frictionless:
            report = frictionless.Resource(
                path=csv_path.name, basepath=str(figdata),
                schema=frictionless.Schema.from_descriptor(described["schema"])).validate()
        assert report.valid, (csv_path.name, report.flatten(["rowNumber", "fieldName", "note"])[:3])
    pages = "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    for csv_path in charts:
        assert f"/{csv_path.stem}.json" in pages, csv_path.stem
