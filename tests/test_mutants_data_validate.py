"""Mutation guards for `deepshock.data.validate` (issue 15): every rejection's full message
(file, line, column, problem) and the edges of each accepted case, on small hand-made CSVs."""

from __future__ import annotations

import datetime as dt

import exchange_calendars as xc
import pandas as pd
import pytest

from deepshock.data import validate
from deepshock.data.validate import (DataError, anomalies, calendar_for, check_series,
                                     exchange_calendar, read_price_csv, stale_mask,
                                     write_price_csv)
from tests.conftest import exactly

HEADER = "date,open,high,low,close,adj_close,volume\n"
# 2025-01-22 .. 2025-01-24 are consecutive XNYS sessions (Wed..Fri)
ROWS = ["2025-01-22,10,12,9,11,11,100\n", "2025-01-23,11,13,10,12,12,200\n",
        "2025-01-24,12,14,11,13,13,300\n"]
TODAY = dt.date(2025, 6, 30)


def csv_file(tmp_path, text: str, name: str = "T.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path



def read(path, **kw):
    return read_price_csv(path, today=kw.pop("today", TODAY), **kw)


def bad_row(tmp_path, row: str):
    """A file whose second data row (file line 3) is `row`."""
    return csv_file(tmp_path, HEADER + ROWS[0] + row + ROWS[2])


# --- _number ---------------------------------------------------------------------------------

@pytest.mark.parametrize("cell, column, problem", [
    ("2025-01-23,11,13,10,,12,200\n", "close", "empty close"),
    ("2025-01-23,x1,13,10,12,12,200\n", "open", "non-numeric open 'x1'"),
    ("2025-01-23,11,1_300,10,12,12,200\n", "high",
     "non-numeric high '1_300' (thousands separator?)"),
    ("2025-01-23,11,13,1 000,12,12,200\n", "low", "non-numeric low '1 000' (thousands separator?)"),
    ("2025-01-23,11,13,10,12,1'200,200\n", "adj_close",
     "non-numeric adj_close \"1'200\" (thousands separator?)"),
    ("2025-01-23,11,13,10,12,12,2e999\n", "volume", "non-finite volume '2e999'"),
    ("2025-01-23,11,13,10,12,12,1.2.3\n", "volume", "non-numeric volume '1.2.3'"),
    ("2025-01-23,11,13,10,12,12,12a\n", "volume", "non-numeric volume '12a'"),
])
def test_bad_number_messages_name_file_line_and_column(tmp_path, cell, column, problem):
    path = bad_row(tmp_path, cell)
    exactly(f"{path}: line 3: {problem}", read, path)


def test_number_formats_that_are_accepted(tmp_path):
    rows = ["2025-01-22, 10 ,+12,9.,11,,100\n", "2025-01-23,.5,1.3e1,10e-1,1.2E+1,12,0\n"]
    frame = read(csv_file(tmp_path, HEADER + "".join(rows)))
    assert frame["open"].tolist() == [10.0, 0.5]
    assert frame["high"].tolist() == [12.0, 13.0]
    assert frame["low"].tolist() == [9.0, 1.0]
    assert frame["close"].tolist() == [11.0, 12.0]
    assert frame["adj_close"].isna().tolist() == [True, False]
    assert frame["volume"].tolist() == [100.0, 0.0]


def test_empty_optional_columns_are_nan(tmp_path):
    frame = read(csv_file(tmp_path, HEADER + "2025-01-22,,,,11,,\n"))
    row = frame.iloc[0]
    assert row[["open", "high", "low", "adj_close", "volume"]].isna().all()
    assert row["close"] == 11.0


# --- _date -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2025-02-30", "2025-1-23", "20250123", "x2025-01-23"])
def test_bad_date_message(tmp_path, text):
    path = bad_row(tmp_path, f"{text},11,13,10,12,12,200\n")
    exactly(f"{path}: line 3: date {text!r} is not YYYY-MM-DD", read, path)


def test_date_with_spaces_is_accepted(tmp_path):
    frame = read(csv_file(tmp_path, HEADER + " 2025-01-22 ,10,12,9,11,11,100\n"))
    assert frame["date"].tolist() == [pd.Timestamp("2025-01-22")]


def test_future_date_message_and_today_boundary(tmp_path):
    path = csv_file(tmp_path, HEADER + "".join(ROWS))
    exactly(f"{path}: line 4: date 2025-01-24 is in the future", read, path,
            today=dt.date(2025, 1, 23))
    assert len(read(path, today=dt.date(2025, 1, 24))) == 3


def test_default_today_is_the_real_date(tmp_path):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    path = csv_file(tmp_path, HEADER + f"{tomorrow.isoformat()},1,1,1,1,1,1\n")
    exactly(f"{path}: line 2: date {tomorrow} is in the future", read_price_csv, path)
    old = csv_file(tmp_path, HEADER + ROWS[0], name="old.csv")
    assert len(read_price_csv(old)) == 1


# --- _rows and the header --------------------------------------------------------------------

def test_non_utf8_message_gives_the_byte(tmp_path):
    path = tmp_path / "T.csv"
    path.write_bytes(HEADER.encode() + b"2025-01-22,1\xff,1,1,1,1,1\n")
    exactly(f"{path}: line 2: not UTF-8 text (byte {len(HEADER) + 12})", read, path)


def test_non_utf8_offset_counts_from_the_file_start_past_the_read_buffer(tmp_path):
    """A bad byte far into a real-sized file (beyond an 8 KB read chunk), after a byte-order
    mark: its offset and line are the file's, found by hand with bytes.index."""
    good = "".join(f"{y}-{m:02d}-{d:02d},1,1,1,1,1,1\n" for y in (2022, 2023, 2024)
                   for m in range(1, 13) for d in range(1, 29) if dt.date(y, m, d).weekday() < 5)
    raw = b"\xef\xbb\xbf" + (HEADER + good).encode() + b"2025-01-22,1\xff,1,1,1,1,1\n"
    path = tmp_path / "T.csv"
    path.write_bytes(raw)
    at = raw.index(b"\xff")
    line = raw[:at].count(b"\n") + 1
    assert at > 8192 and line > 200
    exactly(f"{path}: line {line}: not UTF-8 text (byte {at})", read, path)


def test_line_numbers_are_file_lines_after_a_quoted_line_break(tmp_path):
    """A quoted cell spanning two lines is one record: the next record's line is counted in
    the file, not in records."""
    path = tmp_path / "T.csv"
    path.write_text(HEADER + '2025-01-22,1,1,1,1,1,"5\n"\n2025-01-23,1,1,1,-1,1,1\n')
    exactly(f"{path}: line 4: non-positive close -1.0", read, path)


def test_quoted_line_breaks_are_kept_as_they_are(tmp_path):
    """csv is read with newline="": a CR LF inside a quoted cell stays in the message."""
    path = csv_file(tmp_path, HEADER + '2025-01-22,1,1,1,"1\r\n2",1,1\n')
    exactly(f"{path}: line 2: non-numeric close '1\\r\\n2'", read, path)


def test_unreadable_csv_message(tmp_path):
    path = csv_file(tmp_path, HEADER + "2025-01-22,1,1,1,1,1," + "9" * 140_000 + "\n")
    exactly(f"{path}: line 2: unreadable CSV: field larger than field limit (131072)", read,
            path)


def test_missing_and_empty_files(tmp_path):
    exactly(f"{tmp_path / 'NO.csv'}: missing price file", read, tmp_path / "NO.csv")
    exactly(f"{tmp_path}: missing price file", read, tmp_path)  # a directory is no file
    for name, text in [("e.csv", ""), ("b.csv", " , ,\n" + ROWS[0]), ("n.csv", "\n")]:
        path = csv_file(tmp_path, text, name)
        exactly(f"{path}: empty file (no header)", read, path)


def test_header_is_stripped_and_case_blind(tmp_path):
    header = " Date ,OPEN,High, low ,Close,ADJ_CLOSE, Volume\n"
    frame = read(csv_file(tmp_path, header + ROWS[0]))
    assert list(frame.columns) == validate.COLUMNS
    assert frame["close"].tolist() == [11.0]


@pytest.mark.parametrize("header, missing, extra", [
    ("date,open,high,low,close,adj_close", ["volume"], []),
    ("date,open,high,low,close,adj_close,volume,Note", [], ["note"]),
    ("date,open,high,low,close,close,adj_close,volume", [], []),
])
def test_header_message(tmp_path, header, missing, extra):
    path = csv_file(tmp_path, header + "\n")
    cells = header.split(",")
    exactly(f"{path}: line 1: header {cells} — missing columns {missing}, unexpected {extra}",
            read, path)


def test_field_count_message(tmp_path):
    path = bad_row(tmp_path, "2025-01-23,11,13,10,12,12\n")
    exactly(f"{path}: line 3: 6 fields, header has 7", read, path)
    path = bad_row(tmp_path, "2025-01-23,11,13,10,12,12,200,\n")
    exactly(f"{path}: line 3: 8 fields, header has 7", read, path)


def test_blank_lines_are_skipped_and_lines_kept(tmp_path):
    text = HEADER + ROWS[0] + "\n" + ",,,,,,\n" + ROWS[1] + " , , , , , , \n" + ROWS[2]
    frame = read(csv_file(tmp_path, text))
    assert frame.attrs["lines"] == [2, 5, 7]
    assert frame["close"].tolist() == [11.0, 12.0, 13.0]
    assert frame["date"].tolist() == list(pd.to_datetime(["2025-01-22", "2025-01-23",
                                                          "2025-01-24"]))


def test_header_only_message(tmp_path):
    path = csv_file(tmp_path, HEADER + "\n,,,,,,\n")
    exactly(f"{path}: no price rows (header only)", read, path)


# --- row checks ------------------------------------------------------------------------------

def test_duplicate_and_unsorted_messages(tmp_path):
    path = csv_file(tmp_path, HEADER + ROWS[0] + ROWS[1] + ROWS[1])
    exactly(f"{path}: line 4: duplicate date 2025-01-23", read, path)
    path = csv_file(tmp_path, HEADER + ROWS[1] + ROWS[0])
    exactly(f"{path}: line 3: date 2025-01-22 after 2025-01-23: dates not sorted", read, path)


@pytest.mark.parametrize("row, problem", [
    ("2025-01-23,0,13,10,12,12,200\n", "non-positive open 0.0"),
    ("2025-01-23,11,-13,10,12,12,200\n", "non-positive high -13.0"),
    ("2025-01-23,11,13,0,12,12,200\n", "non-positive low 0.0"),
    ("2025-01-23,11,13,10,0,12,200\n", "non-positive close 0.0"),
    ("2025-01-23,11,13,10,12,-0.5,200\n", "non-positive adj_close -0.5"),
    ("2025-01-23,11,13,10,12,12,-1\n", "negative volume -1.0"),
    ("2025-01-23,11,9.5,10,12,12,200\n", "high 9.5 below low 10.0"),
])
def test_bad_value_messages(tmp_path, row, problem):
    path = bad_row(tmp_path, row)
    exactly(f"{path}: line 3: {problem}", read, path)


def test_edges_that_are_accepted(tmp_path):
    """Volume 0, high equal to low, and a tiny positive price are fine."""
    frame = read(csv_file(tmp_path, HEADER + "2025-01-22,0.001,5,5,5,0.001,0\n"))
    assert frame.iloc[0].drop("date").tolist() == [0.001, 5.0, 5.0, 5.0, 0.001, 0.0]


# --- write_price_csv -------------------------------------------------------------------------

def test_write_gives_the_snapshot_format(tmp_path):
    frame = pd.DataFrame({"volume": [100.0, 0.0], "close": [11.5, 12.25],
                          "date": pd.to_datetime(["2025-01-22", "2025-01-23"]),
                          "open": [10.0, 11.0], "high": [12.0, 13.0], "low": [9.0, 10.0],
                          "adj_close": [float("nan"), 0.1 + 0.2], "extra": [1, 2]})
    path = tmp_path / "out.csv"
    write_price_csv(frame, path)
    assert path.read_bytes() == (HEADER + "2025-01-22,10.0,12.0,9.0,11.5,,100\n"
                                 "2025-01-23,11.0,13.0,10.0,12.25,0.30000000000000004,0\n").encode()


@pytest.mark.parametrize("volume, text", [([100.0, float("nan")], ["100.0", ""]),
                                          ([100.0, 2.5], ["100.0", "2.5"])])
def test_write_keeps_a_float_volume_when_not_whole(tmp_path, volume, text):
    frame = pd.DataFrame({"date": ["2025-01-22", "2025-01-23"], "open": [1.0, 1.0],
                          "high": [1.0, 1.0], "low": [1.0, 1.0], "close": [1.0, 1.0],
                          "adj_close": [1.0, 1.0], "volume": volume})
    path = tmp_path / "out.csv"
    write_price_csv(frame, path)
    lines = path.read_text().splitlines()
    assert [line.rsplit(",", 1)[1] if not line.endswith(",") else "" for line in lines[1:]] \
        == text


# --- anomalies and stale bars ----------------------------------------------------------------

def frame_of(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["open", "high", "low", "close", "volume"])


def test_close_on_the_range_edges_is_not_outside():
    frame = frame_of([(1, 5, 2, 5, 1), (1, 5, 2, 2, 1), (1, 5, 2, 5.5, 1), (1, 5, 2, 1.5, 1),
                      (3, 3, 3, 3, 0)])
    assert anomalies(frame) == {"close_outside_range": 2, "stale_bars": 0}
    stale = frame_of([(4, 4, 4, 4, 7), (4, 4, 4, 4, 0), (4, 4, 4, 4, 0)])
    assert anomalies(stale) == {"close_outside_range": 0, "stale_bars": 2}


def test_stale_needs_every_condition():
    frame = frame_of([
        (4, 4, 4, 4, 5),   # first row: no previous close
        (4, 4, 4, 4, 0),   # stale
        (3, 4, 4, 4, 0),   # open differs
        (4, 5, 4, 4, 0),   # high differs (close 4 repeats)
        (4, 4, 3, 4, 0),   # low differs
        (4, 4, 4, 4, 1),   # traded volume
        (4.5, 4.5, 4.5, 4.5, 0),  # a new close
        (4.5, 4.5, 4.5, 4.5, 0),  # stale again
    ])
    assert stale_mask(frame).tolist() == [False, True, False, False, False, False, False, True]


def test_stale_low_must_equal_the_close():
    frame = frame_of([(4, 4, 4, 3, 5), (4, 4, 4, 3, 0)])
    assert stale_mask(frame).tolist() == [False, False]


# --- calendars -------------------------------------------------------------------------------

def test_calendar_for_covers_the_asked_years():
    early = calendar_for("XNYS", pd.Timestamp("2018-03-01"))
    assert early.first_session == pd.Timestamp("2018-01-02")
    assert early.last_session == pd.Timestamp("2025-12-31")
    late = calendar_for("XNYS", pd.Timestamp("2020-03-01"), pd.Timestamp("2026-02-03"))
    assert late.first_session == pd.Timestamp("2019-01-02")
    assert late.last_session == pd.Timestamp("2026-12-31")
    one = calendar_for("XNYS", pd.Timestamp("2026-05-01"))
    assert one.first_session == pd.Timestamp("2019-01-02")
    assert one.last_session == pd.Timestamp("2026-12-31")
    default = exchange_calendar("XNYS")
    assert (default.first_session, default.last_session) == (pd.Timestamp("2019-01-02"),
                                                             pd.Timestamp("2025-12-31"))
    assert exchange_calendar("XNYS", start="2020-01-01", end="2020-12-31").last_session == \
        pd.Timestamp("2020-12-31")


# --- check_series ----------------------------------------------------------------------------

def series(tmp_path, closes, dates=None, name="T.csv"):
    dates = dates or ["2025-01-21", "2025-01-22", "2025-01-23", "2025-01-24",
                      "2025-01-27"][:len(closes)]
    rows = "".join(f"{d},{c},{c},{c},{c},{c},10\n" for d, c in zip(dates, closes))
    path = csv_file(tmp_path, HEADER + rows, name)
    return path, read(path)


def test_off_session_message_names_line_and_day(tmp_path):
    path = csv_file(tmp_path, HEADER + ROWS[0] + "\n" + "2025-01-25,1,1,1,1,1,1\n")
    exactly(f"{path}: line 4: 2025-01-25 is not a XNYS session (Saturday; a holiday or filled "
            "row?)", check_series, read(path), path, ticker="T", calendar="XNYS")


def test_off_session_line_without_line_numbers(tmp_path):
    path = csv_file(tmp_path, HEADER + ROWS[0] + "2025-01-25,1,1,1,1,1,1\n")
    frame = read(path)
    frame.attrs = {}
    exactly(f"{path}: line 3: 2025-01-25 is not a XNYS session (Saturday; a holiday or filled "
            "row?)", check_series, frame, path, ticker="T", calendar="XNYS")
    frame.attrs["lines"] = [7]  # not one per row: fall back to the position
    exactly(f"{path}: line 3: 2025-01-25 is not a XNYS session (Saturday; a holiday or filled "
            "row?)", check_series, frame, path, ticker="T", calendar="XNYS")


def test_dates_outside_the_calendar_span(tmp_path):
    """The calendar starts on 1 January of the first year (a holiday) and ends on 31 December
    of the last one (a Sunday in 2028): a bar on either day lies outside its sessions."""
    path, frame = series(tmp_path, [10, 10], dates=["2019-01-01", "2019-01-02"])
    exactly(f"{path}: dates 2019-01-01..2019-01-02 outside the XNYS calendar's span",
            check_series, frame, path, ticker="T", calendar="XNYS")
    text = "".join(f"2028-12-{d},1,1,1,1,1,1\n" for d in (28, 29, 31))
    path = csv_file(tmp_path, HEADER + text)
    frame = read(path, today=dt.date(2030, 1, 1))
    exactly(f"{path}: dates 2028-12-28..2028-12-31 outside the XNYS calendar's span",
            check_series, frame, path, ticker="T", calendar="XNYS")


@pytest.mark.parametrize("dates", [("2018-12-31", "2019-01-02", "2019-01-03"),
                                   ("2025-12-30", "2025-12-31", "2026-01-02"),
                                   ("2018-12-31", "2025-12-31", "2026-01-02")])
def test_the_calendar_covers_both_ends_of_the_series(tmp_path, dates):
    text = "".join(f"{d},1,1,1,1,1,1\n" for d in dates)
    path = csv_file(tmp_path, HEADER + text)
    frame = read(path, today=dt.date(2027, 1, 1))
    missing = check_series(frame, path, ticker="T", calendar="XNYS")["missing_sessions"]
    first, last = pd.Timestamp(dates[0]), pd.Timestamp(dates[-1])
    cal = xc.get_calendar("XNYS", start="2018-01-01", end="2026-12-31")
    assert missing == len(cal.sessions_in_range(first, last)) - 3


def test_missing_sessions_are_counted(tmp_path):
    path, frame = series(tmp_path, [10, 10, 10], dates=["2025-01-17", "2025-01-22", "2025-01-27"])
    # XNYS sessions 17..27 Jan 2025: 17, 21, 22, 23, 24, 27 (20th: MLK day) -> 3 missing
    assert check_series(frame, path, ticker="T", calendar="XNYS") == \
        {"missing_sessions": 3, "documented_jumps": 0}
    assert check_series(frame, path, ticker="T", calendar="") == \
        {"missing_sessions": 0, "documented_jumps": 0}


def jumps(ticker, day, pct):
    return pd.DataFrame({"ticker": [ticker], "date": [pd.Timestamp(day)], "return_pct": [pct]})


def test_a_move_of_exactly_the_limit_is_not_split_like(tmp_path):
    path, frame = series(tmp_path, [100, 60])  # 60/100 - 1 == -0.4 exactly in floats
    assert 60 / 100 - 1 == -validate.JUMP_LIMIT
    assert check_series(frame, path, ticker="T", calendar="XNYS")["documented_jumps"] == 0
    path, frame = series(tmp_path, [100, 59.9], name="U.csv")
    exactly(f"{path}: line 3: close moves -40.1% on 2025-01-22 (beyond ±40% in one session: "
            "split-like); document it in data/known_jumps.csv with a source if it is real",
            check_series, frame, path, ticker="T", calendar="XNYS")


def test_documented_jump_tolerance_is_inclusive(tmp_path):
    path, frame = series(tmp_path, [100, 100, 50])  # -50.0% exactly, on line 4
    assert (50 / 100 - 1) * 100 == -50.0
    for pct, ok in [(-50.5, True), (-49.5, True), (-50.0, True), (-50.51, False),
                    (-49.49, False), (50.0, False)]:
        known = jumps("T", "2025-01-23", pct)
        if ok:
            assert check_series(frame, path, ticker="T", calendar="XNYS",
                                known_jumps=known) == {"missing_sessions": 0,
                                                       "documented_jumps": 1}
        else:
            with pytest.raises(DataError, match=r"line 4: close moves -50\.0% on 2025-01-23"):
                check_series(frame, path, ticker="T", calendar="XNYS", known_jumps=known)


def test_documented_jump_must_be_of_the_ticker_and_day(tmp_path):
    path, frame = series(tmp_path, [100, 100, 50, 50, 100])
    both = pd.concat([jumps("T", "2025-01-23", -50.0), jumps("T", "2025-01-27", 100.0)])
    assert check_series(frame, path, ticker="T", calendar="XNYS",
                        known_jumps=both)["documented_jumps"] == 2
    for known in (jumps("OTHER", "2025-01-23", -50.0), jumps("T", "2025-01-24", -50.0)):
        with pytest.raises(DataError, match=r"line 4: close moves -50\.0% on 2025-01-23"):
            check_series(frame, path, ticker="T", calendar="XNYS", known_jumps=known)
    # a documented first jump, then the undocumented second one is reported
    with pytest.raises(DataError, match=r"line 6: close moves \+100\.0% on 2025-01-27"):
        check_series(frame, path, ticker="T", calendar="XNYS",
                     known_jumps=jumps("T", "2025-01-23", -50.0))


def test_volatility_index_jumps_are_not_checked(tmp_path):
    path, frame = series(tmp_path, [10, 30, 10])
    assert check_series(frame, path, ticker="^VIX", calendar="XNYS") == \
        {"missing_sessions": 0, "documented_jumps": 0}
    with pytest.raises(DataError, match=r"line 3: close moves \+200\.0% on 2025-01-22"):
        check_series(frame, path, ticker="^SOX", calendar="XNYS")


def test_series_on_the_calendar_edges_pass(tmp_path):
    for first, last in [("2019-01-02", "2019-01-03"), ("2025-12-30", "2025-12-31")]:
        path = csv_file(tmp_path, HEADER + f"{first},1,1,1,1,1,1\n{last},1,1,1,1,1,1\n")
        frame = read(path, today=dt.date(2026, 1, 1))
        assert check_series(frame, path, ticker="T", calendar="XNYS") == \
            {"missing_sessions": 0, "documented_jumps": 0}


def test_write_keeps_the_date_only(tmp_path):
    stamps = [pd.Timestamp("2025-01-22 10:30"), pd.Timestamp("2025-01-23")]
    frame = pd.DataFrame({"date": stamps,
                          "open": [1.0, 1.0], "high": [1.0, 1.0], "low": [1.0, 1.0],
                          "close": [1.0, 1.0], "adj_close": [1.0, 1.0], "volume": [1.0, 2.0]})
    path = tmp_path / "out.csv"
    write_price_csv(frame, path)
    assert path.read_text() == HEADER + "2025-01-22,1.0,1.0,1.0,1.0,1.0,1\n" \
        "2025-01-23,1.0,1.0,1.0,1.0,1.0,2\n"


def test_write_uses_lf_on_every_platform(tmp_path, monkeypatch):
    import os
    monkeypatch.setattr(os, "linesep", "\r\n")  # as on Windows
    frame = read(csv_file(tmp_path, HEADER + ROWS[0]))
    write_price_csv(frame, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_bytes() == \
        (HEADER + "2025-01-22,10.0,12.0,9.0,11.0,11.0,100\n").encode()


def test_non_utf8_line_counts_a_leading_blank_line(tmp_path):
    path = tmp_path / "T.csv"
    raw = b"\n" + HEADER.encode() + b"2025-01-22,1\xff,1,1,1,1,1\n"
    path.write_bytes(raw)
    at = raw.index(b"\xff")
    exactly(f"{path}: line 3: not UTF-8 text (byte {at})", read, path)
