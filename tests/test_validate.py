"""The price-file reader and the series checks: each bad input of the catalogue in
chapters/data.md is rejected with file, line and problem, or accepted on purpose."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from deepshock.data.validate import (COLUMNS, DataError, anomalies, check_series, read_price_csv,
                                stale_mask)
from tests.conftest import SNAPSHOT

GOOD = """date,open,high,low,close,adj_close,volume
2025-01-23,145.05,147.23,143.72,147.22,,155915500
2025-01-24,148.37,148.97,141.88,142.62,,234657600
2025-01-27,124.8,128.4,116.7,118.42,,818830900
"""


def write(tmp_path, text: str, name: str = "NVDA.csv", newline: str = "\n", bom: bool = False):
    path = tmp_path / name
    data = text.replace("\n", newline).encode()
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def expected_good() -> pd.DataFrame:
    return pd.DataFrame({
        "date": pd.to_datetime(["2025-01-23", "2025-01-24", "2025-01-27"]),
        "open": [145.05, 148.37, 124.8], "high": [147.23, 148.97, 128.4],
        "low": [143.72, 141.88, 116.7], "close": [147.22, 142.62, 118.42],
        "adj_close": [float("nan")] * 3, "volume": [155915500.0, 234657600.0, 818830900.0]})


def same(frame: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(frame, expected_good(), check_dtype=False)


# --- deliberately accepted -------------------------------------------------------------------

def test_plain_file_reads_exactly(tmp_path):
    frame = read_price_csv(write(tmp_path, GOOD))
    same(frame)
    assert list(frame.columns) == COLUMNS
    assert frame.attrs["lines"] == [2, 3, 4]


def test_bom_is_accepted(tmp_path):
    same(read_price_csv(write(tmp_path, GOOD, bom=True)))


def test_crlf_is_accepted(tmp_path):
    same(read_price_csv(write(tmp_path, GOOD, newline="\r\n")))


def test_header_in_another_order_is_accepted(tmp_path):
    table = pd.read_csv(write(tmp_path, GOOD), dtype=str, keep_default_na=False)
    reordered = table[["close", "date", "volume", "low", "adj_close", "high", "open"]]
    path = tmp_path / "reordered.csv"
    reordered.to_csv(path, index=False)
    same(read_price_csv(path))


def test_close_outside_range_is_accepted_and_counted(tmp_path):
    frame = read_price_csv(write(tmp_path, GOOD.replace("142.62,,", "149.5,,")))
    assert anomalies(frame) == {"close_outside_range": 1, "stale_bars": 0}


def test_stale_bar_is_accepted_and_flagged(tmp_path):
    text = GOOD + "2025-01-28,118.42,118.42,118.42,118.42,,0\n"
    frame = read_price_csv(write(tmp_path, text))
    assert stale_mask(frame).tolist() == [False, False, False, True]


def test_close_only_bar_with_a_new_close_is_not_stale(tmp_path):
    """Yahoo's Hong Kong half days: O = H = L = C and volume 0, but a close of their own."""
    text = GOOD + "2025-01-28,120.5,120.5,120.5,120.5,,0\n"
    frame = read_price_csv(write(tmp_path, text))
    assert stale_mask(frame).tolist() == [False, False, False, False]


def test_real_anomaly_counts_match_the_raw_files(snapshot):
    fx = pd.read_csv(SNAPSHOT / "prices" / "JPY_X.csv")
    outside = ((fx["close"] > fx["high"]) | (fx["close"] < fx["low"])).sum()
    assert anomalies(read_price_csv(SNAPSHOT / "prices" / "JPY_X.csv"))["close_outside_range"] \
        == outside == 84
    kr = pd.read_csv(SNAPSHOT / "prices" / "000660.KS.csv")
    flat = (kr[["open", "high", "low"]].eq(kr["close"], axis=0).all(axis=1)) & (kr["volume"] == 0)
    assert anomalies(read_price_csv(SNAPSHOT / "prices" / "000660.KS.csv"))["stale_bars"] \
        == flat.sum() == 15


# --- rejected: file, line and problem --------------------------------------------------------

BAD = {
    "thousands_separator": (GOOD.replace("142.62", '"1,142.62"'), 3,
                            "non-numeric close '1,142.62' (thousands separator?)"),
    "unquoted_thousands_separator": (GOOD.replace("142.62", "1,142.62"), 3, "8 fields, header has 7"),
    "date_in_another_format": (GOOD.replace("2025-01-24", "01/24/2025"), 3,
                               "date '01/24/2025' is not YYYY-MM-DD"),
    "iso_week_date": (GOOD.replace("2025-01-24", "2025-W04-5"), 3, "is not YYYY-MM-DD"),
    "future_date": (GOOD + "2099-01-02,1,1,1,1,,1\n", 5, "date 2099-01-02 is in the future"),
    "missing_column": (GOOD.replace(",adj_close", ""), 1, "missing columns ['adj_close']"),
    "extra_column": (GOOD.replace("volume\n", "volume,note\n", 1), 1, "unexpected ['note']"),
    "non_numeric_close": (GOOD.replace("142.62", "n/a"), 3, "non-numeric close 'n/a'"),
    "empty_close": (GOOD.replace("142.62", ""), 3, "empty close"),
    "overflowing_number": (GOOD.replace("142.62", "1e999"), 3, "non-finite close '1e999'"),
    "duplicate_date": (GOOD.replace("2025-01-27", "2025-01-24"), 4, "duplicate date 2025-01-24"),
    "unsorted_dates": (GOOD.replace("2025-01-27", "2025-01-20"), 4, "dates not sorted"),
    "non_positive_price": (GOOD.replace("124.8,", "-124.8,"), 4, "non-positive open -124.8"),
    "negative_volume": (GOOD.replace("818830900", "-5"), 4, "negative volume -5.0"),
    "high_below_low": (GOOD.replace("128.4,116.7", "116.7,128.4"), 4, "high 116.7 below low 128.4"),
    "header_only": (GOOD.splitlines()[0] + "\n", None, "no price rows (header only)"),
    "empty_file": ("", None, "empty file (no header)"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_price_file_is_rejected_with_file_line_and_problem(tmp_path, case):
    text, line, problem = BAD[case]
    path = write(tmp_path, text)
    with pytest.raises(DataError) as info:
        read_price_csv(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert problem in message
    if line is not None:
        assert f": line {line}: " in message


def test_non_utf8_bytes_are_rejected(tmp_path):
    path = tmp_path / "NVDA.csv"
    path.write_bytes(GOOD.encode().replace(b"142.62", b"142\xff62"))
    with pytest.raises(DataError, match="not UTF-8 text"):
        read_price_csv(path)


def test_missing_file_is_rejected(tmp_path):
    with pytest.raises(DataError, match="NVDA.csv: missing price file"):
        read_price_csv(tmp_path / "NVDA.csv")


def test_future_is_relative_to_today(tmp_path):
    path = write(tmp_path, GOOD)
    with pytest.raises(DataError, match="2025-01-27 is in the future"):
        read_price_csv(path, today=dt.date(2025, 1, 26))


# --- series checks: sessions and split-like jumps --------------------------------------------

def test_bar_on_a_holiday_is_rejected(tmp_path):
    # 2025-01-20 was Martin Luther King Jr. Day: an interpolated or filled row would sit there
    text = GOOD.replace("2025-01-23", "2025-01-20")
    path = write(tmp_path, text)
    with pytest.raises(DataError) as info:
        check_series(read_price_csv(path), path, ticker="NVDA", calendar="XNYS")
    assert f"{path}: line 2: 2025-01-20 is not a XNYS session (Monday" in str(info.value)


def test_missing_session_is_a_counted_gap(tmp_path):
    path = write(tmp_path, GOOD.replace("2025-01-24,148.37,148.97,141.88,142.62,,234657600\n", ""))
    stats = check_series(read_price_csv(path), path, ticker="NVDA", calendar="XNYS")
    assert stats == {"missing_sessions": 1, "documented_jumps": 0}


def test_fx_has_no_calendar_check(tmp_path):
    path = write(tmp_path, GOOD.replace("2025-01-23", "2025-01-19"), name="JPY_X.csv")  # a Sunday
    assert check_series(read_price_csv(path), path, ticker="JPY=X", calendar="")["missing_sessions"] == 0


def test_split_like_jump_is_rejected(tmp_path):
    path = write(tmp_path, GOOD.replace("118.42", "59.21"))  # a 2:1 split left unadjusted
    with pytest.raises(DataError) as info:
        check_series(read_price_csv(path), path, ticker="NVDA", calendar="XNYS")
    message = str(info.value)
    assert f"{path}: line 4: close moves -58.5% on 2025-01-27" in message
    assert "split-like" in message and "known_jumps.csv" in message


def test_documented_jump_is_accepted_only_at_its_size(snapshot):
    path = SNAPSHOT / "prices" / "ARM.csv"
    raw = pd.read_csv(path)
    move = raw["close"].pct_change()
    assert move.abs().max() > 0.40  # independent: the ARM file really holds a >40% day
    frame = read_price_csv(path)
    known = pd.DataFrame({"ticker": ["ARM"], "date": [pd.Timestamp("2024-02-08")],
                          "return_pct": [47.9]})
    assert check_series(frame, path, ticker="ARM", calendar="XNYS",
                        known_jumps=known)["documented_jumps"] == 1
    with pytest.raises(DataError, match="line .*: close moves \\+47.9% on 2024-02-08"):
        check_series(frame, path, ticker="ARM", calendar="XNYS")
    wrong_size = known.assign(return_pct=[30.0])
    with pytest.raises(DataError, match="split-like"):
        check_series(frame, path, ticker="ARM", calendar="XNYS", known_jumps=wrong_size)


def test_volatility_index_is_exempt_from_the_jump_check(snapshot, tmp_path):
    path = SNAPSHOT / "prices" / "INDEX_VIX.csv"
    raw = pd.read_csv(path)
    big = (raw["close"].pct_change().abs() > 0.40).sum()
    assert big >= 10  # computed from the raw file: ten VIX days move by more than 40%
    assert check_series(read_price_csv(path), path, ticker="^VIX", calendar="XNYS") == \
        {"missing_sessions": 0, "documented_jumps": 0}
    # the same file under an equity index's name is not exempt
    copy = tmp_path / "INDEX_SOX.csv"
    shutil.copyfile(path, copy)
    with pytest.raises(DataError, match="split-like"):
        check_series(read_price_csv(copy), copy, ticker="^SOX", calendar="XNYS")
