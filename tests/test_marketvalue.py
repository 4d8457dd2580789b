"""Market value lost: checked against plain-pandas arithmetic on the raw snapshot files."""

import pandas as pd
import pytest

from deepshock.story import marketvalue as mv
from deepshock.story.marketvalue import chart as mvc
from tests.conftest import ROOT, built_glue, raw_close
from tests.test_browser import site  # noqa: F401  (the session's one build of the book)

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
        parts = table.loc[(table["date"] == day) & table["in_total"]]
        totals = mv.totals(table, day)
        assert totals.all_usd == pytest.approx(parts["loss_usd"].sum())
        assert totals.exact_usd == pytest.approx(parts.loc[~parts["approximate"], "loss_usd"].sum())
        assert totals.n_all == len(parts) and totals.n_exact == int((~parts["approximate"]).sum())
        assert totals.exact_usd != pytest.approx(totals.all_usd)


def test_tsmc_adr_is_shown_but_never_added(table):
    adr = row(table, "TSM")
    close = raw_close("TSM.csv")
    assert adr["included"] and not adr["in_total"]
    assert adr["loss_usd"] == pytest.approx(5186076048 * (close["2025-01-24"] - close["2025-01-27"]))
    assert (table.loc[table["ticker"] != "TSM", "in_total"]
            == table.loc[table["ticker"] != "TSM", "included"]).all()


def test_arm_overlap_is_subtracted_once_from_raw_closes(table):
    arm = raw_close("ARM.csv")
    arm_loss = 1040330497 * (arm["2025-01-24"] - arm["2025-01-27"])
    stake = pd.read_csv(ROOT / "data" / "holdings.csv").set_index(["holder", "held"]).at[
        ("9984.T", "ARM"), "stake"]
    assert stake == 0.9
    totals = mv.totals(table, MON)
    assert totals.overlap_usd == pytest.approx(0.9 * arm_loss)
    assert totals.net_usd == pytest.approx(totals.all_usd - 0.9 * arm_loss)
    # SoftBank's level is dividend-adjusted (approximate): the exact total holds no overlap
    assert totals.exact_overlap_usd == 0 and totals.exact_net_usd == totals.exact_usd


def test_overlap_rule_on_a_made_up_day():
    stakes = pd.DataFrame({"holder": ["H"], "held": ["S"], "stake": [0.9]})
    both = pd.DataFrame({"ticker": ["H", "S", "X"], "loss_usd": [50.0, 20.0, 7.0]})
    assert mv.overlap(both, stakes) == pytest.approx(18.0)
    assert mv.overlap(both.iloc[1:], stakes) == 0.0   # holder not in the total
    assert mv.overlap(both.iloc[[0, 2]], stakes) == 0.0  # held company not in the total
    gain = both.assign(loss_usd=[50.0, -20.0, 7.0])
    assert mv.overlap(gain, stakes) == pytest.approx(-18.0)  # a gain's overlap is a gain too
    day = pd.Timestamp("2025-01-27")
    table = both.assign(date=day, in_total=True, included=True, approximate=[True, False, False])
    t = mv.totals(table, day, stakes)
    assert (t.all_usd, t.overlap_usd, t.net_usd) == pytest.approx((77.0, 18.0, 59.0))
    assert (t.exact_usd, t.exact_overlap_usd) == pytest.approx((27.0, 0.0))


def test_tsmc_home_line_from_raw_closes_and_the_sourced_rate(snapshot):
    home = mv.home_loss()
    taipei = raw_close("2330.TW.csv")
    after = taipei.loc[taipei.index > "2025-01-27"].index[0]
    before = taipei.loc[taipei.index < "2025-01-27"].index[-1]
    assert (home.session, home.prev_date) == (after, before) == (
        pd.Timestamp("2025-02-03"), pd.Timestamp("2025-01-22"))
    fx = pd.read_csv(ROOT / "data" / "fx_rates.csv").iloc[0]
    rate = fx["local_amount"] / fx["usd_amount"]
    assert rate == pytest.approx(33.0097, abs=1e-4)
    twd = 25930380242 * (taipei[before] - taipei[after])
    assert home.loss_local == pytest.approx(twd)
    assert home.loss_usd == pytest.approx(twd / rate)
    assert home.rate_gap_days == 1 and home.closed_days == 7
    adr = raw_close("TSM.csv")
    assert home.adr_loss_usd == pytest.approx(5186076048 * (adr["2025-01-24"] - adr["2025-01-27"]))
    assert home.adr_window_loss_usd == pytest.approx(
        5186076048 * (adr["2025-01-22"] - adr["2025-02-03"]))
    assert home.adr_premium == pytest.approx(adr["2025-02-03"] * rate / (5 * taipei[after]) - 1,
                                             rel=1e-6)
    assert "US tariff orders signed" in home.news


def test_market_move_from_the_raw_panel(snapshot):
    closes = pd.read_csv(snapshot / "panel" / "closes.csv", index_col=0, parse_dates=True)
    members = pd.read_csv(snapshot / "panel" / "members.csv", dtype=str)
    members.columns = [c.strip().lower() for c in members.columns]
    sp = members.loc[members["kind"].str.strip() == "sp500", "ticker"].str.strip()
    ret = (closes.loc["2025-01-27", sp] / closes.loc["2025-01-24", sp] - 1).dropna()
    move = mv.market_move(MON)
    assert move.n == len(ret) and move.fell == int((ret < 0).sum())
    assert move.rose == int((ret > 0).sum())
    assert move.equal_weighted == pytest.approx(ret.mean())
    gspc = raw_close("INDEX_GSPC.csv")
    assert move.cap_weighted == pytest.approx(gspc["2025-01-27"] / gspc["2025-01-24"] - 1)
    expected = 52e12 * gspc["2025-01-24"] / gspc["2024-12-31"]
    assert move.value_prev_usd == pytest.approx(expected)
    assert move.loss_usd == pytest.approx(-expected * (gspc["2025-01-27"] / gspc["2025-01-24"] - 1))


def test_weighted_average_counts_are_labelled(table):
    assert mv.count_kind("Alphabet 10-Q (weighted-average basic)", "") == "weighted-average"
    assert mv.count_kind("10-Q cover", "weighted basic for the quarter") == "weighted-average"
    assert mv.count_kind("NVIDIA 10-Q cover page", "") == "outstanding"
    assert row(table, "GOOGL")["count"] == "weighted-average"
    assert row(table, "NVDA")["count"] == "outstanding"
    assert "from a source of another date (weighted-average count)" in mv.summary_table(table)


def test_c_grade_row_is_flagged_approximate(table):
    avgo = row(table, "AVGO")
    assert avgo["grade"] == "C" and avgo["basis"] == "as traded" and avgo["approximate"]
    assert mv.label(avgo["loss_usd"], avgo["approximate"]).startswith("≈$")
    assert not row(table, "NVDA")["approximate"]
    data = mvc.chart_data(table, pd.DataFrame(
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


@pytest.mark.parametrize("effective, download, factor", [
    ("2025-01-27", "2025-12-01", 1.0),   # effective on the session itself: already in its units
    ("2025-01-28", "2025-12-01", 2.0),   # the day after: applies
    ("2025-12-01", "2025-12-01", 2.0),   # on the download day: the file has it
    ("2025-12-02", "2025-12-01", 1.0),   # after the download: the file predates it
])
def test_split_date_boundaries(effective, download, factor):
    made_up = pd.DataFrame({"ticker": ["A"], "ratio": [2.0],
                            "effective": [pd.Timestamp(effective)],
                            "download": [pd.Timestamp(download)]})
    assert mv.split_multiplier("A", made_up, MON) == factor


def test_split_multiplier_is_taken_per_session(snapshot, monkeypatch):
    """A made-up split between the two shock sessions moves Monday's level only."""
    made_up = pd.DataFrame({"ticker": ["NVDA"], "ratio": [2.0],
                            "effective": [pd.Timestamp("2025-01-28")],
                            "download": [pd.Timestamp("2026-05-31")]})
    monkeypatch.setattr(mv.valuation, "splits", lambda: made_up)
    table = mv.losses()
    close = raw_close("NVDA.csv")
    assert row(table, "NVDA", MON)["prev_level"] == pytest.approx(2 * close["2025-01-24"])
    assert row(table, "NVDA", TUE)["prev_level"] == pytest.approx(close["2025-01-27"])


def test_chapter_executes_with_glued_numbers(snapshot, site):  # noqa: F811
    """The chapter as the session's one strict build executed it (its glue)."""
    glued = built_glue(site, "chapters/marketvalue")
    close = raw_close("NVDA.csv")
    loss = 24.49e9 * (close["2025-01-24"] - close["2025-01-27"])
    assert glued["mv_loss"]["text/markdown"] == f"${loss / 1e9:,.2f}bn"
    assert glued["mv_reported"]["text/markdown"] == "$593bn"
    assert "≈" in glued["mv_table"]["text/markdown"]
    assert "fig-marketvalue-losses" in glued
    taipei, adr = raw_close("2330.TW.csv"), raw_close("TSM.csv")
    fx = pd.read_csv(ROOT / "data" / "fx_rates.csv").iloc[0]
    home = 25930380242 * (taipei["2025-01-22"] - taipei["2025-02-03"])
    rate = fx["local_amount"] / fx["usd_amount"]
    assert glued["mv_tsmc_usd"]["text/markdown"] == f"${home / rate / 1e9:,.1f}bn"
    assert glued["mv_adr_loss"]["text/markdown"] == \
        f"${5186076048 * (adr['2025-01-24'] - adr['2025-01-27']) / 1e9:,.1f}bn"
    arm = raw_close("ARM.csv")
    overlap = 0.9 * 1040330497 * (arm["2025-01-24"] - arm["2025-01-27"])
    assert glued["mv_overlap"]["text/markdown"] == f"${overlap / 1e9:,.1f}bn"
