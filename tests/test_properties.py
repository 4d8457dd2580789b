"""Property-based tests of the price-file reader: valid frames round-trip exactly; corrupted
files are rejected with DataError and never with another exception."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepshock.data.validate import COLUMNS, DataError, read_price_csv, write_price_csv

SETTINGS = settings(max_examples=75, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
price = st.floats(min_value=1e-4, max_value=1e7, allow_nan=False, allow_infinity=False)


@st.composite
def frames(draw) -> pd.DataFrame:
    days = draw(st.lists(st.dates(dt.date(1990, 1, 1), dt.date(2025, 6, 30)), min_size=1,
                         max_size=30, unique=True))
    rows = []
    for day in sorted(days):
        values = [draw(price) for _ in range(4)]
        open_, close = values[0], values[1]
        adj = draw(st.one_of(st.just(float("nan")), price))
        rows.append({"date": pd.Timestamp(day), "open": open_, "high": max(values),
                     "low": min(values), "close": close, "adj_close": adj,
                     "volume": float(draw(st.integers(0, 10**12)))})
    return pd.DataFrame(rows, columns=COLUMNS)


def text_of(frame: pd.DataFrame) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "T.csv"
        write_price_csv(frame, path)
        return path.read_text()


def read_text(text: str | bytes):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "T.csv"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return read_price_csv(path)


@SETTINGS
@given(frames())
def test_valid_frames_round_trip_exactly(frame):
    back = read_text(text_of(frame))
    pd.testing.assert_frame_equal(back, frame, check_exact=True, check_dtype=False)


JUNK = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), min_size=1,
               max_size=8).filter(
    lambda s: not re.fullmatch(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*", s)
    and "," not in s and '"' not in s and s.strip() != "")


@st.composite
def corrupted(draw) -> str:
    """A valid file with one change that makes it invalid."""
    frame = draw(frames().filter(lambda f: len(f) >= 2))
    lines = text_of(frame).splitlines()
    header, body = lines[0], lines[1:]
    i = draw(st.integers(0, len(body) - 1))
    cells = body[i].split(",")
    kind = draw(st.sampled_from(["junk_close", "junk_date", "drop_field", "duplicate_row",
                                 "swap_rows", "negative", "drop_header", "high_below_low"]))
    if kind == "junk_close":
        cells[4] = draw(JUNK)
    elif kind == "junk_date":
        cells[0] = draw(JUNK.filter(lambda s: not re.fullmatch(r"\s*\d{4}-\d\d-\d\d\s*", s)))
    elif kind == "drop_field":
        del cells[draw(st.integers(0, 6))]
    elif kind == "negative":
        cells[draw(st.integers(1, 4))] = "-" + cells[1]
    elif kind == "high_below_low":
        cells[2], cells[3] = "1", "2"
    body[i] = ",".join(cells)
    if kind == "duplicate_row":
        body.insert(i, body[i])
    elif kind == "swap_rows":
        j = (i + 1) % len(body)
        body[i], body[j] = body[j], body[i]
    elif kind == "drop_header":
        gone = draw(st.sampled_from(COLUMNS))
        header = ",".join(c for c in header.split(",") if c != gone)
    return "\n".join([header] + body) + "\n"


@SETTINGS
@given(corrupted())
def test_corrupted_files_are_rejected_with_data_error(text):
    try:
        read_text(text)
    except DataError:
        return
    raise AssertionError(f"accepted a corrupted file:\n{text}")


@SETTINGS
@given(frames(), st.binary(min_size=1, max_size=6), st.integers(0, 10**6), st.integers(0, 4))
def test_random_byte_damage_is_data_error_or_valid(frame, junk, where, cut):
    """Arbitrary bytes spliced in (bad UTF-8, NULs, quotes): a DataError or a valid frame."""
    data = text_of(frame).encode()
    at = where % (len(data) + 1)
    damaged = data[:at] + junk + data[at + cut:]
    try:
        back = read_text(damaged)
    except DataError:
        return
    assert list(back.columns) == COLUMNS and back["date"].is_monotonic_increasing
