"""Guards against the small bugs that would change the book's numbers without failing a formula
test (issue 15's survivors in the data layer), each checked against an independent expectation:
a plain loop over the raw snapshot files or a hand-made case."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from deepshock.data import load
from deepshock.data.validate import DataError, check_series, read_price_csv
from tests.conftest import SNAPSHOT
from tests.test_validate import GOOD, write

SEVERAL = ["NVDA", "AMD", "6857.T", "2330.TW"]  # two calendars, one long closure


def plain_returns(file: str) -> list[tuple[str, float]]:
    """(date, return) from a raw CSV with a plain loop over consecutive rows."""
    frame = pd.read_csv(SNAPSHOT / "prices" / file, dtype=str)
    out = []
    for prev, row in zip(frame.itertuples(), frame.iloc[1:].itertuples()):
        out.append((row.date, float(row.close) / float(prev.close) - 1))
    return out


def test_each_tickers_first_return_is_its_own(snapshot):
    """Shifting the previous close across the whole frame gives every ticker after the first a
    first 'return' from the previous ticker's last close (about -99% or +1000%)."""
    table = load.returns(SEVERAL)
    for ticker in SEVERAL:
        mine = table.loc[table["ticker"] == ticker].sort_values("date")
        file = next(p.name for p in (SNAPSHOT / "prices").glob("*.csv")
                    if p.stem.replace("INDEX_", "^") == ticker)
        expected = plain_returns(file)
        assert mine["date"].iloc[0].strftime("%Y-%m-%d") == expected[0][0]
        assert mine["ret"].iloc[0] == pytest.approx(expected[0][1], rel=1e-12)
        assert len(mine) <= len(expected)  # stale bars of traded securities may drop rows
    assert table["ret"].abs().max() < 0.5


def test_returns_of_several_tickers_equal_each_loaded_alone(snapshot):
    together = load.returns(SEVERAL).set_index(["ticker", "date"])["ret"]
    for ticker in SEVERAL:
        alone = load.returns(ticker).set_index(["ticker", "date"])["ret"]
        pd.testing.assert_series_equal(together.loc[[ticker]], alone)


def test_a_bar_dated_today_is_not_in_the_future(tmp_path):
    path = write(tmp_path, GOOD)
    frame = read_price_csv(path, today=dt.date(2025, 1, 27))  # the last bar is dated "today"
    assert frame["date"].iloc[-1] == pd.Timestamp("2025-01-27")
    with pytest.raises(DataError, match="2025-01-27 is in the future"):
        read_price_csv(path, today=dt.date(2025, 1, 26))


def test_a_documented_jump_must_match_in_sign(tmp_path):
    up = GOOD.replace("118.42", "213.93")  # 142.62 -> 213.93: +50.0%
    down = GOOD.replace("118.42", "71.31")  # 142.62 -> 71.31: -50.0%
    known = pd.DataFrame({"ticker": ["NVDA"], "date": [pd.Timestamp("2025-01-27")],
                          "return_pct": [50.0]})
    good = write(tmp_path, up, name="UP.csv")
    assert check_series(read_price_csv(good), good, ticker="NVDA", calendar="XNYS",
                        known_jumps=known)["documented_jumps"] == 1
    bad = write(tmp_path, down, name="DOWN.csv")
    with pytest.raises(DataError, match=r"close moves -50\.0% on 2025-01-27"):
        check_series(read_price_csv(bad), bad, ticker="NVDA", calendar="XNYS",
                     known_jumps=known)


def test_a_jump_at_the_edge_of_its_documented_size(tmp_path):
    """Within JUMP_MATCH_PP of the documented size is accepted, beyond it is not."""
    path = write(tmp_path, GOOD.replace("118.42", "213.93"))  # +50.0%
    move = (213.93 / 142.62 - 1) * 100
    for documented, accepted in [(move + 0.49, True), (move - 0.49, True),
                                 (move + 0.51, False), (move - 0.51, False)]:
        known = pd.DataFrame({"ticker": ["NVDA"], "date": [pd.Timestamp("2025-01-27")],
                              "return_pct": [documented]})
        frame = read_price_csv(path)
        if accepted:
            check_series(frame, path, ticker="NVDA", calendar="XNYS", known_jumps=known)
        else:
            with pytest.raises(DataError, match="split-like"):
                check_series(frame, path, ticker="NVDA", calendar="XNYS", known_jumps=known)
    assert math.isclose(move, 50.0, abs_tol=0.01)
