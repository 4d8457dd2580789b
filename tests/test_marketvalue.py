"""Market value lost: checked against plain-pandas arithmetic on the raw snapshot files."""

import pandas as pd
import pytest

from deepshock.book import chapter
from deepshock.story import marketvalue as mv
from tests.conftest import ROOT, raw_close

MON, TUE = mv.SHOCK_DAYS


@pytest.fixture(scope="module")
def table(snapshot):
    return mv.losses()


def row(table, ticker, day=MON):
    return table.loc[(table["ticker"] == ticker) & (table["date"] == day)].iloc[0]


def test_nvidia_loss_is_shares_times_price_drop(table):
    close = raw_close("NVDA.csv")
    expected = 24.49e9 * (close["2025-01-24"] - close["2025-01-27"])
    assert expected == pytest.approx(592.66e9, rel=1e-4)
    assert row(table, "NVDA")["loss_usd"] == pytest.approx(expected, rel=1e-12)
    rec = mv.reconcile(table, reported=593e9)
    assert abs(rec.rel_diff) < 0.005
    assert rec.diff == pytest.approx(expected - 593e9, rel=1e-9)
    assert rec.implied_shares * (close["2025-01-24"] - close["2025-01-27"]) == pytest.approx(593e9)


def test_nvidia_rebound_is_a_negative_loss(table):
    close = raw_close("NVDA.csv")
    assert row(table, "NVDA", TUE)["loss_usd"] == pytest.approx(
        24.49e9 * (close["2025-01-27"] - close["2025-01-28"]))


def test_yen_loss_converted_at_same_day_rate(table):
    tel = raw_close("8035.T.csv")
    fx = raw_close("JPY_X.csv")
    shares = pd.read_csv(ROOT / "data" / "shares.csv").set_index("ticker").at["8035.T", "shares"]
    yen = shares * (tel["2025-01-27"] - tel["2025-01-28"])
    r = row(table, "8035.T", TUE)
    assert r["loss_local"] == pytest.approx(yen)
    assert r["loss_usd"] == pytest.approx(yen / fx["2025-01-28"])
    assert r["approximate"]  # dividend-adjusted level: a lower bound, never shown as exact


def test_totals_are_sums_of_the_parts(table):
    for day in (MON, TUE):
        parts = table.loc[(table["date"] == day) & table["included"]]
        totals = mv.totals(table, day)
        assert totals.all_usd == pytest.approx(parts["loss_usd"].sum())
        assert totals.exact_usd == pytest.approx(parts.loc[~parts["approximate"], "loss_usd"].sum())
        assert totals.n_all == len(parts) and totals.n_exact == int((~parts["approximate"]).sum())
        assert totals.exact_usd != pytest.approx(totals.all_usd)


def test_c_grade_row_is_flagged_approximate(table):
    avgo = row(table, "AVGO")
    assert avgo["grade"] == "C" and avgo["basis"] == "as traded" and avgo["approximate"]
    assert mv.label(avgo["loss_usd"], avgo["approximate"]).startswith("≈$")
    assert not row(table, "NVDA")["approximate"]
    data = mv.chart_data(table, pd.DataFrame(
        {"company": ["X"], "date": [pd.Timestamp("2020-01-02")], "loss_usd_bn": [100.0],
         "source": ["made up"]}))
    assert data.set_index("name").at["Broadcom", "figure"] == "approximate"


def test_split_after_the_shock_is_converted_as_documented(table):
    splits = pd.read_csv(ROOT / "data" / "splits.csv").set_index("ticker")
    screen = raw_close("7735.T.csv")
    ratio = splits.at["7735.T", "ratio"]
    assert row(table, "7735.T")["prev_level"] == pytest.approx(screen["2025-01-24"] * ratio)
    # SoftBank's split came after its file was downloaded: its level stays as in the file.
    softbank = raw_close("9984.T.csv")
    assert splits.at["9984.T", "effective"] > splits.at["9984.T", "download"]
    assert row(table, "9984.T")["prev_level"] == pytest.approx(softbank["2025-01-24"])


def test_undated_split_is_left_out(table):
    fujikura = table.loc[table["ticker"] == "5803.T"]
    assert not fujikura["included"].any()
    assert fujikura["loss_usd"].isna().all()
    assert "split" in fujikura["reason"].iloc[0]


def test_split_rule_on_a_made_up_table():
    made_up = pd.DataFrame({
        "ticker": ["A", "B", "C"], "ratio": [2.0, 4.0, 3.0],
        "effective": pd.to_datetime(["2025-06-01", "2025-06-01", None]),
        "download": pd.to_datetime(["2025-12-01", "2025-03-01", "2025-12-01"])})
    assert mv.split_multiplier("A", made_up, MON) == 2.0
    assert mv.split_multiplier("B", made_up, MON) == 1.0
    assert mv.split_multiplier("C", made_up, MON) is None
    assert mv.split_multiplier("D", made_up, MON) == 1.0


def test_chapter_executes_with_glued_numbers(snapshot):
    glued = chapter.execute("marketvalue")
    close = raw_close("NVDA.csv")
    loss = 24.49e9 * (close["2025-01-24"] - close["2025-01-27"])
    assert glued["mv_loss"]["text/markdown"] == f"${loss / 1e9:,.2f}bn"
    assert glued["mv_reported"]["text/markdown"] == "$593bn"
    assert "≈" in glued["mv_table"]["text/markdown"]
    assert "fig-marketvalue-losses" in glued
