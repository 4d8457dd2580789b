"""Total returns on a hand case with a dividend (a made-up series), and on the snapshot's real
ex-dividend days (recomputed from the raw files, not with the loader)."""

import pandas as pd
import pytest

from deepshock.data import load
from tests.conftest import raw_close

DATES = pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07"])


def test_dividend_hand_case():
    # made up: a 1.00 dividend goes ex on 6 Jan; the close drops by it, the holder keeps it
    close = pd.Series([100.0, 102.0, 101.5, 103.0], index=DATES)
    factor = 1 - 1.0 / 102.0          # the usual back-adjustment of earlier closes
    adjusted = pd.Series([100.0 * factor, 102.0 * factor, 101.5, 103.0], index=DATES)
    out = load.total_return_series(close, adjusted)
    assert out.loc["2025-01-06", "price_ret"] == pytest.approx(101.5 / 102.0 - 1)
    # Yahoo's convention: the ex-day return on the previous close less the dividend ...
    assert out.loc["2025-01-06", "ret"] == pytest.approx(101.5 / (102.0 - 1.0) - 1)
    # ... within a hair of the dividend-added return (close + dividend) / previous close
    assert out.loc["2025-01-06", "ret"] == pytest.approx((101.5 + 1.0) / 102.0 - 1, abs=1e-4)
    for day in ("2025-01-03", "2025-01-07"):   # no dividend: the two agree
        assert out.loc[day, "ret"] == pytest.approx(out.loc[day, "price_ret"])
    # a three-day window holding the ex-day: the price return is short by the dividend yield
    window = (1 + out["ret"]).prod() - 1
    assert window == pytest.approx(103.0 / 100.0 * 102.0 / (102.0 - 1.0) - 1)
    assert (1 + out["price_ret"]).prod() - 1 == pytest.approx(0.03)
    assert (out["basis"] == "total").all()


def test_no_adjusted_series_keeps_price_returns():
    close = pd.Series([10.0, 11.0, 12.1], index=DATES[:3])
    out = load.total_return_series(close, None)
    assert (out["basis"] == "price").all()
    assert out["ret"].tolist() == pytest.approx([0.1, 0.1])


def test_adjusted_series_with_a_gap_falls_back_to_price():
    close = pd.Series([10.0, 11.0, 12.1, 12.1], index=DATES)
    adjusted = pd.Series([9.9, 11.0], index=DATES[1:3])   # starts later
    out = load.total_return_series(close, adjusted)
    assert out["basis"].tolist() == ["price", "total", "price"]


def test_apple_ex_dividend_day_from_the_panel(snapshot):
    """Apple's ex-dividend day of 10 Feb 2025 (0.25 dollars): the total return exceeds the
    price return by about the dividend over the previous close; other days agree."""
    got = load.total_returns("AAPL").set_index("date")
    close = raw_close("AAPL.csv")
    panel = pd.read_csv(snapshot / "panel" / "closes.csv", usecols=["date", "AAPL"],
                        parse_dates=["date"]).set_index("date")["AAPL"]
    day, prev = pd.Timestamp("2025-02-10"), pd.Timestamp("2025-02-07")
    assert got.at[day, "price_ret"] == pytest.approx(close[day] / close[prev] - 1)
    assert got.at[day, "ret"] == pytest.approx(panel[day] / panel[prev] - 1)
    assert got.at[day, "ret"] - got.at[day, "price_ret"] == pytest.approx(
        0.25 / close[prev], abs=2e-5)
    quiet = got.loc["2024-06-01":"2025-01-31"]
    quiet = quiet.loc[quiet.index != pd.Timestamp("2024-08-12")]   # an ex-day
    quiet = quiet.loc[quiet.index != pd.Timestamp("2024-11-08")]   # an ex-day
    assert (quiet["ret"] - quiet["price_ret"]).abs().max() < 1e-6
