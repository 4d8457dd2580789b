"""Mutation guards for `deepshock.data.facts` (issue 15): the full message of each rejection
(file, line, column, problem), the per-book caches, and the claim date forms, on a copy of
data/ (DEEPSHOCK_ROOT) or small hand-made tables."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from deepshock.data import facts
from deepshock.data.validate import DataError
from tests.conftest import ROOT, exactly




def put(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- read_facts -------------------------------------------------------------------------------

def test_read_facts_missing_file(tmp_path):
    exactly(f"{tmp_path / 'x.csv'}: missing facts file", facts.read_facts, "x",
            tmp_path / "x.csv", ["source"])
    exactly(f"{tmp_path}: missing facts file", facts.read_facts, "x", tmp_path, ["source"])


def test_read_facts_unreadable(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,source\n1,\xff\n")
    with pytest.raises(DataError) as info:
        facts.read_facts("x", path, ["a"])
    assert str(info.value).startswith(f"{path}: unreadable CSV: 'utf-8' codec can't decode")
    put(path, "a,source\n1,s\n2,t,3,4\n")
    with pytest.raises(DataError) as info:
        facts.read_facts("x", path, ["a"])
    assert str(info.value) == f"{path}: line 3: 4 fields, header has 2"


def test_read_facts_strips_header_and_keeps_text(tmp_path):
    path = put(tmp_path / "x.csv", "\ufeff a , source \nNA, s \n007,t\n")
    table = facts.read_facts("x", path, ["a", "source"])
    assert list(table.columns) == ["a", "source"]
    assert table["a"].tolist() == ["NA", "007"] and table["source"].tolist() == [" s ", "t"]


def test_read_facts_missing_columns_and_sources(tmp_path):
    path = put(tmp_path / "x.csv", "b,source\n1,s\n")
    exactly(f"{path}: line 1: missing columns ['a', 'c']", facts.read_facts, "x", path,
            ["a", "b", "c"])
    path = put(tmp_path / "r.csv", "company,ticker,date,source\nA,NVDA,2024-01-02,s\n")
    exactly(f"{path}: line 1: missing columns ['loss_usd_bn']", facts.read_facts, "records",
            path)
    path = put(tmp_path / "s.csv", "a,source\n1,s\n2,s\n3,  \n")
    exactly(f"{path}: line 4: row has no source", facts.read_facts, "x", path, ["a"])


def test_read_facts_default_path_is_the_books(book):
    put(book / "records.csv", "company,ticker,date,loss_usd_bn,source\nA,NVDA,2024-01-02,5,s\n")
    assert facts.read_facts("records")["company"].tolist() == ["A"]


def test_fail_names_the_books_file_and_line(book):
    exactly(f"{book / 'shares.csv'}: line 5: a problem", facts.fail, "shares", 3, "a problem")


# --- dates, numbers and tickers, through the files (the checks are the schema's) -------------

RECORDS = "company,ticker,date,loss_usd_bn,source\n"


def test_dates_are_parsed_after_stripping(book):
    put(book / "records.csv", RECORDS + "A,NVDA, 2025-01-27,5,s\nB,AMD,2024-02-29 ,5,s\n")
    assert facts.records()["date"].tolist() == [pd.Timestamp("2025-01-27"),
                                                pd.Timestamp("2024-02-29")]


@pytest.mark.parametrize("text, problem", [("27/01/2025", "is not YYYY-MM-DD"),
                                           ("2025-1-27", "is not YYYY-MM-DD"),
                                           ("2025-02-30", "is not a calendar date"),
                                           (" 2025-13-01", "is not a calendar date")])
def test_bad_dates_name_the_line(book, text, problem):
    path = put(book / "records.csv", RECORDS + "A,NVDA,2025-01-27,5,s\nB,AMD,2025-01-28,5,s\n"
               f"C,MU,{text},5,s\n")
    exactly(f"{path}: line 4: date {text!r} {problem}", facts.records)


def test_numbers_positive_and_signed(book):
    path = put(book / "records.csv", RECORDS + "A,NVDA,2025-01-27, 5 ,s\nB,AMD,2025-01-27,1e3,s\n")
    assert facts.records()["loss_usd_bn"].tolist() == [5.0, 1000.0]
    for bad in ["-2.5", "0", "1,000"]:
        put(path, RECORDS + f"A,NVDA,2025-01-27,5,s\nB,AMD,2025-01-27,\"{bad}\",s\n")
        facts._records.cache_clear()
        exactly(f"{path}: line 3: loss_usd_bn {bad!r} is not a positive number", facts.records)
    jumps = "ticker,date,return_pct,reason,source\n"
    path = put(book / "known_jumps.csv", jumps + "ARM,2024-02-08,-2.5,r,s\nNVDA,2024-02-09,0,r,s\n")
    assert facts.known_jumps()["return_pct"].tolist() == [-2.5, 0.0]
    put(path, jumps + "ARM,2024-02-08,1,r,s\nNVDA,2024-02-09,\"1,000\",r,s\n")
    facts._known_jumps.cache_clear()
    exactly(f"{path}: line 3: return_pct '1,000' is not a number", facts.known_jumps)


@pytest.mark.parametrize("ticker", ["", "XYZ"])
def test_known_tickers(book, ticker):
    path = put(book / "records.csv", RECORDS + f"A,NVDA,2025-01-27,5,s\nB,{ticker},2025-01-27,5,s\n")
    exactly(f"{path}: line 3: ticker {ticker!r} is not in universe.csv", facts.records)


def test_empty_ticker_in_shares_is_rejected(book):
    text = (book / "shares.csv").read_text()
    put(book / "shares.csv", text + ",100,2024-01-01,day,A,s,\n")
    line = len(text.splitlines()) + 1
    exactly(f"{book / 'shares.csv'}: line {line}: ticker '' is not in universe.csv",
            facts.shares)


def test_calendar_names():
    names = facts._calendar_names()
    assert {"XNYS", "XKRX", "XSHG"} <= names and "NVDA" not in names


# --- the tables are per book ------------------------------------------------------------------

def test_each_table_is_read_from_the_current_book(tmp_path, monkeypatch):
    roots = []
    for n, tag in enumerate(["one", "two"]):
        root = tmp_path / tag
        shutil.copytree(ROOT / "data", root / "data")
        data = root / "data"
        for name, column in [("universe", "name"), ("events", "description"),
                             ("shares", "notes"), ("records", "company"),
                             ("known_jumps", "reason")]:
            table = pd.read_csv(data / f"{name}.csv", dtype=str, keep_default_na=False)
            table.loc[0, column] = f"{tag} {n}"
            table.to_csv(data / f"{name}.csv", index=False)
        roots.append(root)
    for n, (tag, root) in enumerate(zip(["one", "two"], roots)):
        monkeypatch.setenv("DEEPSHOCK_ROOT", str(root))
        expected = f"{tag} {n}"
        assert facts.universe()["name"].iloc[0] == expected
        assert facts.name("NVDA") == expected
        assert facts.events()["description"].iloc[0] == expected
        assert facts.shares()["notes"].iloc[0] == expected
        assert facts.records()["company"].iloc[0] == expected
        assert facts.known_jumps()["reason"].iloc[0] == expected


def test_name_of_a_ticker():
    assert facts.name("NVDA") == "Nvidia"
    assert facts.name("2330.TW") == pd.read_csv(ROOT / "data" / "universe.csv").set_index(
        "ticker").at["2330.TW", "name"]


# --- claims -----------------------------------------------------------------------------------

def claims_file(book: Path, rows) -> Path:
    lines = ["id,claim,subject,date,metric,claimed,unit,precision,tolerance,caveat,source"] + [
        f"{i},c,{s},{d},release_date,x,,,,,src" for i, s, d in rows]
    return put(book / "claims.csv", "\n".join(lines) + "\n")


GOOD = [("a", "NVDA", "2025-01-27"), ("b", " NVDA ; AMD ", " 2025-01-27..2025-01-31 "),
        ("c", "V3 report", ""), ("d", "XSHG", "2025-01-28..2025-02-04"),
        ("e", "V3 report", "2024-12-27")]


def test_claims_are_stripped_and_checked(book):
    claims_file(book, GOOD)
    table = facts.claims()
    assert table["id"].tolist() == list("abcde")
    assert table["subject"].tolist()[1] == "NVDA ; AMD"
    assert table["date"].tolist()[1] == "2025-01-27..2025-01-31"


def test_claims_without_subject_column(book):
    path = claims_file(book, GOOD[:1])
    put(path, path.read_text().replace(",subject,", ",what,"))
    exactly(f"{path}: line 1: missing columns ['subject']", facts.claims)


@pytest.mark.parametrize("row, problem", [
    ((" ", "NVDA", "2025-01-27"), "claim has no id"),
    ((" a ", "NVDA", "2025-01-28"), "duplicate id 'a'"),
    (("z", "NVDA", ""), "claim on NVDA has no date"),
    (("z", "NVDA;IBM", "2025-01-27"), "subject 'NVDA;IBM' is neither a ticker of universe.csv, "
                                      "an exchange calendar nor an event label"),
    (("z", "v3 report", ""), "subject 'v3 report' is neither a ticker of universe.csv, an "
                             "exchange calendar nor an event label"),
    (("z", "NVDA", "2025-01-27..2025-01-28..2025-01-29"),
     "date '2025-01-27..2025-01-28..2025-01-29' is not YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD"),
    (("z", "NVDA", "2025-01-27.."), "date '2025-01-27..' is not YYYY-MM-DD or "
                                     "YYYY-MM-DD..YYYY-MM-DD"),
    (("z", "XSHG", "27 Jan"), "date '27 Jan' is not YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD"),
    (("z", "NVDA", "2025-02-30"), "date '2025-02-30' is not a calendar date"),
    (("z", "NVDA", "2025-01-27..2025-13-01"), "date '2025-01-27..2025-13-01' is not a "
                                               "calendar date"),
    (("z", "NVDA", "2025-01-28..2025-01-27"), "date range '2025-01-28..2025-01-27' ends "
                                               "before it starts"),
])
def test_bad_claim_message(book, row, problem):
    path = claims_file(book, GOOD + [row])
    exactly(f"{path}: line 7: {problem}", facts.claims)


def test_claim_spans_cover_ticker_rows_only(book):
    claims_file(book, GOOD + [("f", "NVDA", "2025-01-28..2025-01-28")])
    spans = facts.claim_spans(facts.claims())
    day = pd.Timestamp
    assert spans == {
        0: (["NVDA"], day("2025-01-27"), day("2025-01-27")),
        1: (["NVDA", "AMD"], day("2025-01-27"), day("2025-01-31")),
        5: (["NVDA"], day("2025-01-28"), day("2025-01-28"))}


def test_span_forms(book):
    assert facts._span("", 0) is None
    assert facts._span("2025-01-27", 0) == (pd.Timestamp("2025-01-27"),) * 2
    assert facts._span("2025-01-27..2025-02-03", 0) == (pd.Timestamp("2025-01-27"),
                                                        pd.Timestamp("2025-02-03"))
    exactly(f"{book / 'claims.csv'}: line 5: date '2025-01-27..x' is not YYYY-MM-DD or "
            "YYYY-MM-DD..YYYY-MM-DD", facts._span, "2025-01-27..x", 3)


def test_claim_spans_of_an_unchecked_table_name_the_line(book):
    table = pd.DataFrame({"id": ["a", "b"], "subject": ["NVDA", "AMD"],
                          "date": ["2025-01-27", "2025-01-31..2025-01-27"], "source": "s"})
    exactly(f"{book / 'claims.csv'}: line 3: date range '2025-01-31..2025-01-27' ends before "
            "it starts", facts.claim_spans, table)


@pytest.mark.parametrize("extra", [1, 2])
def test_a_row_with_more_fields_than_the_header_is_refused_not_shifted(book, extra):
    """pandas would make the extra leading fields an index and shift the row's columns."""
    path = book / "events.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = len(next(csv.reader([lines[0]])))
    lines[1] = "x," * extra + lines[1]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    exactly(f"{path}: line 2: {fields + extra} fields, header has {fields}",
            facts.read_facts, "events")

