"""Mutation guards for `deepshock.data.panel` (issue 15): each rejection's full message (file,
line, row date or ticker, column) and the accepted edge cases, on copies of the made-up
four-ticker fixture (tests/fixtures/panel/, XNYS sessions 16..30 June 2025)."""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd
import pytest

from deepshock.data import panel
from deepshock.data.validate import DataError
from tests.conftest import ROOT, exactly

FIXTURE = ROOT / "tests" / "fixtures" / "panel"
CLOSES = (FIXTURE / "closes.csv").read_text()
MEMBERS = (FIXTURE / "members.csv").read_text()
DATES = ["2025-06-16", "2025-06-17", "2025-06-18", "2025-06-20", "2025-06-23", "2025-06-24",
         "2025-06-25", "2025-06-26", "2025-06-27", "2025-06-30"]


def put(tmp_path, text, name="closes.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path



def cell(text: str, day: str, column: str, value: str) -> str:
    """`text` (a closes.csv) with one cell of the row dated `day` replaced."""
    lines = text.splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    n = next(i for i, line in enumerate(lines) if line.startswith(day + ","))
    cells = lines[n].rstrip("\n").split(",")
    cells[header.index(column)] = value
    lines[n] = ",".join(cells) + "\n"
    return "".join(lines)


# --- accepted ---------------------------------------------------------------------------------

def test_fixture_closes_are_read_exactly(tmp_path):
    frame = panel.read_closes(put(tmp_path, CLOSES), end=pd.Timestamp("2025-06-30"))
    assert list(frame.columns) == ["AAA", "BBB", "CCC", "ETFX"]
    assert list(frame.index) == list(pd.to_datetime(DATES)) and frame.index.name == "date"
    assert frame["AAA"].tolist() == [10.0, 10.5, 11.0, 10.0, 12.0, 12.5, 13.0, 12.0, 12.5, 13.5]
    assert frame["CCC"].isna().tolist() == [True] * 3 + [False] * 7
    assert frame.at[pd.Timestamp("2025-06-20"), "CCC"] == 30.0
    assert frame.dtypes.tolist() == [np.float64] * 4


def test_columns_are_sorted_and_cells_stripped_date_named_in_any_case(tmp_path):
    text = "DATE,ZZZ,AAA\n 2025-06-16 ,,1\n2025-06-17, 2.5 ,2\n2025-06-18,3e0, 3.25\n"
    frame = panel.read_closes(put(tmp_path, text))
    assert list(frame.columns) == ["AAA", "ZZZ"]
    assert np.isnan(frame["ZZZ"].iloc[0]) and frame["ZZZ"].iloc[1] == 2.5
    assert frame["ZZZ"].iloc[2] == 3.0
    assert frame["AAA"].tolist() == [1.0, 2.0, 3.25]
    assert list(frame.index) == list(pd.to_datetime(DATES[:3]))


def test_bom_crlf_and_blank_lines_are_accepted(tmp_path):
    text = "\ufeffdate,A\r\n2025-06-16,1\r\n\r\n2025-06-17,2\r\n"
    frame = panel.read_closes(put(tmp_path, text))
    assert frame["A"].tolist() == [1.0, 2.0]
    # the lines of later rows account for the skipped blank line
    bad = "date,A\n2025-06-16,1\n\n2025-06-17,x\n"
    path = put(tmp_path, bad, "b.csv")
    exactly(f"{path}: line 4 (2025-06-17): column A: non-numeric close 'x'",
            panel.read_closes, path)


def test_read_with_end_equal_to_the_last_row_and_today_equal_to_it(tmp_path):
    path = put(tmp_path, CLOSES)
    frame = panel.read_closes(path, end=pd.Timestamp("2025-06-27"), today=dt.date(2025, 6, 30))
    assert len(frame) == 10


# --- file-level problems ----------------------------------------------------------------------

def test_missing_and_empty_files(tmp_path):
    exactly(f"{tmp_path / 'x.csv'}: missing panel file", panel.read_closes, tmp_path / "x.csv")
    exactly(f"{tmp_path}: missing panel file", panel.read_members, tmp_path)
    for text in ("", " \n\r\n", "\ufeff"):
        path = put(tmp_path, text)
        exactly(f"{path}: empty file (no header)", panel.read_closes, path)


def test_undecodable_byte_names_line_row_and_column(tmp_path):
    raw = CLOSES.encode().replace(b"2025-06-24,12.5,200.0", b"2025-06-24,12.5,20\xa0.0")
    at = raw.index(b"\xa0")
    path = put(tmp_path, raw)
    exactly(f"{path}: line 7 (2025-06-24): column BBB: not UTF-8 text (byte {at})",
            panel.read_closes, path)


def test_undecodable_byte_in_the_header_gives_the_line_only(tmp_path):
    raw = b"date,A\xff\n2025-06-16,1\n"
    path = put(tmp_path, raw)
    exactly(f"{path}: line 1: not UTF-8 text (byte 6)", panel.read_closes, path)


def test_unreadable_csv_message(tmp_path):
    path = put(tmp_path, "date,A\n2025-06-16,1\n2025-06-17," + "9" * 140_000 + "\n")
    exactly(f"{path}: line 3: unreadable CSV: field larger than field limit (131072)",
            panel.read_closes, path)


def test_duplicated_column_message(tmp_path):
    path = put(tmp_path, "date,A, B ,C,B\n2025-06-16,1,2,3,4\n")
    exactly(f"{path}: line 1: column B: duplicated column (fields 3 and 5)",
            panel.read_closes, path)


def test_header_only_message(tmp_path):
    path = put(tmp_path, "date,A\n\n")
    exactly(f"{path}: no rows (header only)", panel.read_closes, path)
    path = put(tmp_path, MEMBERS.splitlines(keepends=True)[0], "members.csv")
    exactly(f"{path}: no rows (header only)", panel.read_members, path)


@pytest.mark.parametrize("row, message", [
    (" 2025-06-17 ,1\n", "line 3 (2025-06-17): column B: 2 fields, header has 3"),
    ("2025-06-17\n", "line 3 (2025-06-17): column A: 1 fields, header has 3"),
    ("2025-06-17,1,2,3\n", "line 3 (2025-06-17): column field 4: 4 fields, header has 3"),
])
def test_ragged_row_message(tmp_path, row, message):
    path = put(tmp_path, "date,A,B\n2025-06-16,1,2\n" + row + "2025-06-18,1,2\n")
    exactly(f"{path}: {message} (truncated file?)", panel.read_closes, path)


# --- closes: header and dates -----------------------------------------------------------------

def test_header_problems(tmp_path):
    path = put(tmp_path, "day,A\n2025-06-16,1\n")
    exactly(f"{path}: line 1: no 'date' column in the header", panel.read_closes, path)
    path = put(tmp_path, "Date\n2025-06-16\n")
    exactly(f"{path}: line 1: no ticker columns", panel.read_closes, path)
    path = put(tmp_path, "date,A, \n2025-06-16,1,2\n")
    exactly(f"{path}: line 1: a column has no ticker name", panel.read_closes, path)


@pytest.mark.parametrize("text", ["06/17/2025", "2025-06-31", "2025-6-17", "2025-06-17x"])
def test_bad_date_message(tmp_path, text):
    path = put(tmp_path, f"date,A\n2025-06-16,1\n {text},2\n")
    exactly(f"{path}: line 3: column date: {text!r} is not a YYYY-MM-DD date",
            panel.read_closes, path)


def test_duplicated_and_unsorted_dates(tmp_path):
    path = put(tmp_path, "date,A\n2025-06-16,1\n2025-06-17,2\n2025-06-17,3\n")
    exactly(f"{path}: line 4 (2025-06-17): column date: duplicated date (previous row "
            "2025-06-17)", panel.read_closes, path)
    path = put(tmp_path, "date,A\n2025-06-16,1\n2025-06-18,2\n2025-06-17,3\n")
    exactly(f"{path}: line 4 (2025-06-17): column date: dates not sorted (previous row "
            "2025-06-18)", panel.read_closes, path)


def test_future_date_relative_to_today(tmp_path):
    path = put(tmp_path, CLOSES)
    exactly(f"{path}: line 11 (2025-06-30): column date: in the future", panel.read_closes,
            path, today=dt.date(2025, 6, 29))
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    path = put(tmp_path, f"date,A\n{tomorrow.isoformat()},1\n", "f.csv")
    exactly(f"{path}: line 2 ({tomorrow.isoformat()}): column date: in the future",
            panel.read_closes, path)


def test_session_problems(tmp_path):
    path = put(tmp_path, "date,A\n2025-06-18,1\n2025-06-19,2\n2025-06-20,3\n")
    exactly(f"{path}: line 3 (2025-06-19): column date: not a XNYS session (Thursday; a holiday "
            "or filled row?)", panel.read_closes, path)
    path = put(tmp_path, "date,A\n2025-06-16,1\n2025-06-18,2\n2025-06-24,3\n")
    exactly(f"{path}: line 3 (2025-06-18): column date: the XNYS session 2025-06-17 before "
            "this row is missing", panel.read_closes, path)


def test_truncated_panel_against_the_price_files_end(tmp_path):
    path = put(tmp_path, CLOSES)
    exactly(f"{path}: line 11 (2025-06-30): column date: the panel ends here but the price "
            "files run to 2025-07-01 (truncated file?)", panel.read_closes, path,
            end=pd.Timestamp("2025-07-01"))


# --- closes: cells ----------------------------------------------------------------------------

@pytest.mark.parametrize("value, problem", [
    ("#N/A", "non-numeric close '#N/A'"), ("inf", "non-numeric close 'inf'"),
    ("-inf", "non-numeric close '-inf'"), ("0", "non-positive close '0'"),
    ("-1.5", "non-positive close '-1.5'"),
    ("", "empty close after the ticker's first close (a gap inside the series; only leading "
         "gaps, before a listing, are allowed)"),
])
def test_bad_cell_message(tmp_path, value, problem):
    path = put(tmp_path, cell(CLOSES, "2025-06-24", "BBB", value))
    exactly(f"{path}: line 7 (2025-06-24): column BBB: {problem}", panel.read_closes, path)


def test_first_bad_cell_in_file_order(tmp_path):
    text = cell(cell(CLOSES, "2025-06-25", "AAA", "x"), "2025-06-24", "ETFX", "y")
    path = put(tmp_path, text)
    exactly(f"{path}: line 7 (2025-06-24): column ETFX: non-numeric close 'y'",
            panel.read_closes, path)
    text = cell(cell(CLOSES, "2025-06-24", "CCC", "-1"), "2025-06-24", "ETFX", "0")
    path = put(tmp_path, text)
    exactly(f"{path}: line 7 (2025-06-24): column CCC: non-positive close '-1'",
            panel.read_closes, path)
    # a non-numeric cell is reported before an earlier non-positive one
    text = cell(cell(CLOSES, "2025-06-17", "AAA", "0"), "2025-06-30", "BBB", "z")
    path = put(tmp_path, text)
    exactly(f"{path}: line 11 (2025-06-30): column BBB: non-numeric close 'z'",
            panel.read_closes, path)


def test_trailing_and_leading_gaps(tmp_path):
    path = put(tmp_path, cell(CLOSES, "2025-06-30", "AAA", ""))
    exactly(f"{path}: line 11 (2025-06-30): column AAA: empty close after the ticker's first "
            "close (a gap inside the series; only leading gaps, before a listing, are allowed)",
            panel.read_closes, path)
    text = cell(cell(CLOSES, "2025-06-16", "AAA", ""), "2025-06-17", "AAA", "")
    frame = panel.read_closes(put(tmp_path, text, "lead.csv"))
    assert frame["AAA"].isna().tolist() == [True, True] + [False] * 8


def test_column_without_any_close(tmp_path):
    text = "date,A,B,C\n2025-06-16,1,,\n2025-06-17,2,,\n"
    path = put(tmp_path, text)
    exactly(f"{path}: line 1: column B: no close on any row", panel.read_closes, path)


# --- members ----------------------------------------------------------------------------------

def test_members_are_read_stripped_with_lines(tmp_path):
    text = "Ticker, KIND ,name,Sector,industry,extra\n AAA , sp500 , A Inc. ,Tech,Chips,x\n\n" \
           "ETFX,etf,,,,y\n"
    table = panel.read_members(put(tmp_path, text, "members.csv"))
    assert list(table.columns) == panel.MEMBER_COLUMNS + ["line"]
    assert table.values.tolist() == [["AAA", "sp500", "A Inc.", "Tech", "Chips", 2],
                                     ["ETFX", "etf", "", "", "", 4]]


@pytest.mark.parametrize("rows, message", [
    ("AAA,sp500,a,b,c\n ,etf,,,\n", "line 3 (): column ticker: empty ticker ''"),
    ("AAA,sp500,a,b,c\nBBB,etf,,,\nAAA ,etf,,,\n",
     "line 4 (AAA): column ticker: duplicated ticker 'AAA'"),
    ("AAA,sp500,a,b,c\nBBB, ETF ,,,\n", "line 3 (BBB): column kind: kind not one of "
                                         "['etf', 'sp500'] 'ETF'"),
])
def test_member_problems(tmp_path, rows, message):
    path = put(tmp_path, "ticker,kind,name,sector,industry\n" + rows, "members.csv")
    exactly(f"{path}: {message}", panel.read_members, path)


def test_members_missing_columns(tmp_path):
    path = put(tmp_path, "ticker,name,industry\nAAA,a,b\n", "members.csv")
    exactly(f"{path}: line 1: missing columns ['kind', 'sector']", panel.read_members, path)


# --- check and entry --------------------------------------------------------------------------

def test_check_pairs_members_with_columns(tmp_path):
    closes = put(tmp_path, CLOSES)
    members = put(tmp_path, MEMBERS, "members.csv")
    frame, table = panel.check(closes, members, end=pd.Timestamp("2025-06-30"))
    assert list(frame.columns) == ["AAA", "BBB", "CCC", "ETFX"]
    assert table["ticker"].tolist() == ["AAA", "BBB", "CCC", "ETFX"]
    exactly(f"{closes}: line 11 (2025-06-30): column date: the panel ends here but the price "
            "files run to 2025-07-01 (truncated file?)", panel.check, closes, members,
            end=pd.Timestamp("2025-07-01"))
    put(tmp_path, MEMBERS + "DDD,sp500,D,E,F\nEEE,etf,,,\n", "members.csv")
    exactly(f"{members}: line 6 (DDD): column ticker: member 'DDD' has no price column in "
            "closes.csv", panel.check, closes, members)
    put(tmp_path, "".join(r for r in MEMBERS.splitlines(keepends=True)
                          if not r.startswith(("BBB", "AAA"))), "members.csv")
    exactly(f"{closes}: line 1: column AAA: price column without a member row in members.csv",
            panel.check, closes, members)


def test_entry_records_the_panel(tmp_path):
    closes = put(tmp_path, CLOSES)
    members = put(tmp_path, MEMBERS, "members.csv")
    frame, table = panel.check(closes, members)
    record = panel.entry(tmp_path, frame, table)
    assert record == {
        "files": {"closes.csv": {"sha256": hashlib.sha256(CLOSES.encode()).hexdigest()},
                  "members.csv": {"sha256": hashlib.sha256(MEMBERS.encode()).hexdigest()}},
        "rows": 10, "tickers": 4, "first": "2025-06-16", "last": "2025-06-30",
        "members": {"etf": 1, "sp500": 3}, "late_listings": 1, "calendar": "XNYS"}
    only = table.loc[table["kind"] == "sp500"]
    assert panel.entry(tmp_path, frame, only)["members"] == {"etf": 0, "sp500": 3}


@pytest.mark.parametrize("raw, where", [
    (b"date,A\n2025-06-16,\xff\n", "line 2 (2025-06-16): column A"),
    (b"date,A\n2025-06-16,1\n2025-06-17,1,\xff\n", "line 3 (2025-06-17): column field 3"),
    (b"date,A\n2025-06-16,1\n2025-06-17\xff\n2025-06-18,2\n",
     "line 3 (2025-06-17\ufffd): column date"),
    (b"date,A\n2025-06-16,1\n2025 06 17,1,\xff\n", "line 3 (2025 06 17): column field 3"),
    # after a byte-order mark, the offset and the column are still the file's
    (b"\xef\xbb\xbfdate,A,B\n2025-06-16,1,2\n2025-06-17,1,\xff\n", "line 3 (2025-06-17): column B"),
    (b" date , AAA ,B\r\n 2025-06-16 ,1,2\r\n2025-06-17 ,1,\xff\r\n",
     "line 3 (2025-06-17): column B"),                      # CRLF and spaces
    (b"date,A\n2025-06-16,1\n2025-06-17,1,2,\xff\n", "line 3 (2025-06-17): column field 4"),
])
def test_undecodable_byte_location(tmp_path, raw, where):
    path, at = put(tmp_path, raw), raw.index(b"\xff")
    exactly(f"{path}: {where}: not UTF-8 text (byte {at})",
            panel.read_closes, path)


def test_undecodable_byte_after_a_leading_blank_line(tmp_path):
    path = put(tmp_path, b"\ndate,A\xff\n2025-06-16,1\n")
    with pytest.raises(DataError) as info:
        panel.read_closes(path)
    assert str(info.value).startswith(f"{path}: line 2")


def test_undecodable_byte_after_a_bom_names_the_bare_column(tmp_path):
    raw = b"\xef\xbb\xbfdate,A\n2025-06-16,1\n2025-06-17\xff,1\n"
    path = put(tmp_path, raw)
    with pytest.raises(DataError) as info:
        panel.read_closes(path)
    # (the byte offset after a BOM is 3 short: see the report; not asserted here)
    assert str(info.value).startswith(f"{path}: line 3 (2025-06-17\ufffd): column date: "
                                      "not UTF-8 text (byte ")


def test_quoted_line_break_stays_in_the_cell(tmp_path):
    path = put(tmp_path, 'date,A\n2025-06-16,1\n2025-06-17,"1\r\n2"\n')
    exactly(f"{path}: line 4 (2025-06-17): column A: non-numeric close '1\\r\\n2'",
            panel.read_closes, path)


@pytest.mark.parametrize("dates", [("2018-12-31", "2019-01-02", "2019-01-03"),
                                   ("2025-12-30", "2025-12-31", "2026-01-02"),
                                   ("2018-12-31", "2025-12-31", "2026-01-02")])
def test_dates_across_the_calendars_default_years(tmp_path, dates):
    import exchange_calendars as xc
    cal = xc.get_calendar("XNYS", start="2018-01-01", end="2026-12-31")
    days = cal.sessions_in_range(dates[0], dates[-1])
    text = "date,A\n" + "".join(f"{d.date()},1\n" for d in days)
    frame = panel.read_closes(put(tmp_path, text), today=dt.date(2027, 1, 1))
    assert list(frame.index) == list(days)


def test_a_listing_on_the_second_row_is_late(tmp_path):
    closes = put(tmp_path, "date,A,B\n2025-06-16,1,\n2025-06-17,2,3\n2025-06-18,2,3\n")
    members = put(tmp_path, "ticker,kind,name,sector,industry\nA,sp500,a,,\nB,etf,b,,\n",
                  "members.csv")
    frame, table = panel.check(closes, members)
    assert panel.entry(tmp_path, frame, table)["late_listings"] == 1


def test_whole_number_closes_are_floats(tmp_path):
    frame = panel.read_closes(put(tmp_path, "date,A,B\n2025-06-16,1,2\n2025-06-17,3,4\n"))
    assert frame.dtypes.tolist() == [np.float64, np.float64]
    assert frame.to_numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_a_listing_on_the_last_row_is_accepted(tmp_path):
    frame = panel.read_closes(put(tmp_path, "date,A,B\n2025-06-16,1,\n2025-06-17,3,4\n"))
    assert frame["B"].isna().tolist() == [True, False]


def test_old_mac_line_endings_are_accepted(tmp_path):
    frame = panel.read_closes(put(tmp_path, "date,A\r2025-06-16,1\r2025-06-17,2\r"))
    assert frame["A"].tolist() == [1.0, 2.0]
