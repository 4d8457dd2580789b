"""The market-value chapter in one call (`story.marketvalue.page`): its small prose helpers on
hand-written cases, and the chapter's glue on the data: Nvidia's closes, the yen, the press
record, the Arm stake, the panel's breadth and the members' scope against an oracle from the raw
files (snapshot closes, the panel, data/*.csv) in plain pandas, every other line as the
valuation's pieces state it, and the branches of its wording (above/below, within/outside,
times/share) on made-up values. Fast: no book, no kernel."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from deepshock.story.marketvalue import page
from deepshock.story.marketvalue import valuation as mv
from tests.oracle import raw

T = pd.Timestamp
MINUS = "\u2212"
MON, TUE = T("2025-01-27"), T("2025-01-28")


def test_bn_and_moved():
    assert page._bn(592.6579e9) == "$592.7bn" and page._bn(1_033.04e9) == "$1,033.0bn"
    assert page._bn(592.6579e9, 2) == "$592.66bn" and page._bn(593e9, 0) == "$593bn"
    assert page._bn(12_350_000_001) == "$12.4bn"      # billions of 1e9, at a rounding edge
    assert page.moved(0.0003, 2) == "rose 0.03%" and page.moved(-0.015) == "fell 1.5%"
    assert page.moved(0.0003) == "rose 0.0%"
    assert page.moved(-0.01234, 2) == "fell 1.23%" and page.moved(0.0) == "fell 0.0%"


def test_both_moves_after_one_verb():
    assert page._both(-0.0026, -0.0054) == "fell 0.3% and 0.5%"
    assert page._both(0.002, 0.004) == "rose 0.2% and 0.4%"
    assert page._both(0.002, -0.001) == "rose 0.2% and fell 0.1%"
    assert page._both(-0.001, 0.002) == "fell 0.1% and rose 0.2%"
    assert page._both(0.0, -0.001) == "fell 0.0% and 0.1%"        # zero counts as not a rise
    assert page._both(0.002, 0.0) == "rose 0.2% and fell 0.0%"


def test_source_of_a_share_count():
    count = pd.Series({"source": "NVIDIA 10-Q cover page (filed 20 Nov 2024): 24,490 million; "
                                 "other: x", "as_of": T("2024-11-15")})
    assert page._source(count) == "NVIDIA 10-Q cover page, as of 15 November 2024"
    count = pd.Series({"source": "  Apple 10-K; restated ", "as_of": "2024-10-18"})
    assert page._source(count) == "Apple 10-K, as of 18 October 2024"
    count = pd.Series({"source": "SEC filing: 10-Q; cover", "as_of": "2024-10-18"})
    assert page._source(count) == "SEC filing, as of 18 October 2024"


def test_why_a_line_is_not_in_the_total():
    assert page._why("no session on 2025-01-27") == "its market was closed"
    assert page._why("adjusted for a split of unknown date") == \
        "its price level is unknown after a split"
    assert page._why("") == "its company counts by its home line"
    assert page._why("other reason") == "other reason"


# --- the chapter on the data -------------------------------------------------------------------

def _chapter():
    return page.chapter.__wrapped__()


def test_chapter_against_the_raw_files(snapshot):
    g = _chapter().text
    nvda = raw.close("NVDA")
    prev, close = nvda.loc[T("2025-01-24")], nvda.loc[MON]
    shares = 24.49e9                                   # data/sharecounts.csv, 15 Nov 2024
    loss = shares * (prev - close)
    assert (g["mv_prev"], g["mv_close"]) == (f"${prev:,.2f}", f"${close:,.2f}") == \
        ("$142.62", "$118.42")
    assert g["mv_drop"] == f"${prev - close:,.2f}" and g["mv_shares"] == "24,490,000,000"
    assert g["mv_loss"] == f"${loss / 1e9:,.2f}bn" == "$592.66bn"
    assert g["mv_loss_exact"] == f"${loss / 1e6:,.0f} million"
    claim = raw.facts("claims").set_index("id").loc["nvda-loss"]
    reported = float(claim["claimed"]) * 1e9
    assert g["mv_reported"] == "$593bn"
    assert g["mv_diff"] == f"${abs(loss - reported) / 1e9:,.2f}bn" and g["mv_diff_dir"] == "below"
    assert g["mv_rel_diff"] == f"{abs(loss - reported) / reported * 100:.3f}%"
    assert g["mv_implied"] == f"{reported / (prev - close) / 1e9:,.3f} billion"
    assert g["mv_implied_gap"] == f"{abs(reported / (prev - close) - shares) / 1e6:,.0f} million"
    assert g["mv_verdict"] == "within the rounding of the press figure"
    assert g["mv_prev_date"] == "Friday 24 January 2025"
    assert g["mv_shares_source"] == "NVIDIA 10-Q cover page, as of 15 November 2024"

    yen = raw.close("JPY=X")
    assert g["mv_fx_mon"] == f"{yen.loc[MON]:,.2f}" and g["mv_fx_tue"] == f"{yen.loc[TUE]:,.2f}"
    r_mon, r_tue = yen.loc[MON] / yen.loc[T("2025-01-24")] - 1, yen.loc[TUE] / yen.loc[MON] - 1
    assert g["mv_fx_ret_mon"] == f"{r_mon * 100:+.2f}%".replace("-", MINUS)
    assert g["mv_fx_ret_tue"] == f"{r_tue * 100:+.2f}%".replace("-", MINUS)
    assert g["mv_fx_moves"] == f"fell {abs(r_mon) * 100:.1f}% and {abs(r_tue) * 100:.1f}%"

    records = raw.facts("records")
    top = records.loc[records["loss_usd_bn"].astype(float).idxmax()]
    assert g["mv_record_ref"] == (f"{top['company']}'s ${float(top['loss_usd_bn']):g}bn on "
                                  f"{raw.day(top['date'])}") == "Nvidia's $279bn on 3 September 2024"
    assert g["mv_record_multiple"] == f"{loss / 1e9 / float(top['loss_usd_bn']):.1f}"
    stake = raw.facts("holdings").set_index(["holder", "held"]).loc[("9984.T", "ARM")]
    assert g["mv_arm_stake"] == f"{float(stake['stake']):.0%}" == "90%"
    assert g["mv_arm_stake_source"] == stake["source"].split(":")[0]

    # the panel's S&P 500 members on the day (raw panel closes)
    members = raw.panel_members()
    sp = [t for t in members.index if members.at[t, "kind"] == "sp500"]
    day = raw.panel_rets().loc[MON, sp].dropna()
    assert g["mv_mkt_n"] == str(len(day)) == "490"
    assert (g["mv_mkt_fell"], g["mv_mkt_rose"]) == (str(int((day < 0).sum())), str(int((day > 0).sum())))
    assert g["mv_mkt_ew"] == f"{day.mean() * 100:+.2f}%".replace("-", MINUS)
    gspc = raw.ret("^GSPC", MON)
    assert g["mv_mkt_cw"] == f"{gspc * 100:+.1f}%".replace("-", MINUS)
    assert g["mv_mkt_cw_abs"] == f"{abs(gspc) * 100:.1f}%"
    assert g["mv_mkt_spy"] == f"{raw.panel_rets().at[MON, 'SPY'] * 100:+.1f}%".replace("-", MINUS)


def test_chapter_as_the_valuation_states_it(snapshot):
    """Every other line: the pieces of `valuation` and `scope`, formatted as the house style."""
    chapter = _chapter()
    g = chapter.text
    table = mv.losses()
    mon, tue = mv.totals(table, MON), mv.totals(table, TUE)
    assert (g["mv_total_all"], g["mv_total_exact"]) == (page._bn(mon.all_usd), page._bn(mon.exact_usd))
    assert (g["mv_n_all"], g["mv_n_exact"], g["mv_n_approx"]) == (
        str(mon.n_all), str(mon.n_exact), str(mon.n_all - mon.n_exact)) == ("23", "11", "12")
    assert (g["mv_tue_all"], g["mv_tue_exact"]) == (page._bn(-tue.all_usd), page._bn(-tue.exact_usd))
    assert (g["mv_total_net"], g["mv_overlap"], g["mv_tue_net"]) == (
        page._bn(mon.net_usd), page._bn(mon.overlap_usd), page._bn(-tue.net_usd))
    shown = table.loc[table["included"]]
    monday = shown.loc[shown["date"] == MON].sort_values("loss_usd", ascending=False)
    nv, second = monday.iloc[0], monday.iloc[1]
    assert (g["mv_nvda_name"], g["mv_second"]) == ("Nvidia", "Broadcom")
    assert g["mv_nvda_share"] == f"{nv['loss_usd'] / mon.net_usd:.0%}" == "58%"
    assert g["mv_second_loss"] == mv.label(second["loss_usd"], second["approximate"])
    assert g["mv_second_ratio"] == f"{second['loss_usd'] / nv['loss_usd']:.0%}"
    assert g["mv_gainers"] == "Amazon, Meta Platforms and Apple"
    japan = shown.loc[shown["currency"] == "JPY"]
    for key, day in (("mv_jp_mon", MON), ("mv_jp_tue", TUE)):
        assert g[key] == f"¥{japan.loc[japan['date'] == day, 'loss_local'].sum() / 1e9:,.1f}bn"
    assert g["mv_jp_n"] == "7"
    assert g["mv_left_out"] == "Fujikura (adjusted for a split of unknown date, so no as-traded level)"
    assert g["mv_not_in_total"] == ("TSMC (its market was closed) and Fujikura (its price level "
                                    "is unknown after a split)")
    assert g["mv_arm_loss"] == page._bn(monday.set_index("ticker").at["ARM", "loss_usd"])
    assert g["mv_weighted"] == "ASML Holding (ADR), Alphabet (class A) and Oracle"
    assert g["mv_table"] == mv.summary_table(table) and g["mv_splits"] == mv.splits_table()

    home = mv.home_loss()
    assert (g["mv_tsmc_session"], g["mv_tsmc_prev"]) == ("Monday 3 February 2025", "22 January 2025")
    assert g["mv_tsmc_closed"] == str(home.closed_days) == "7"
    assert (g["mv_tsmc_prev_close"], g["mv_tsmc_close"]) == (f"NT${home.prev_close:,.0f}",
                                                             f"NT${home.close:,.0f}")
    assert (g["mv_tsmc_ret"], g["mv_tsmc_fall"]) == (f"{MINUS}5.7%", "5.7%")
    assert g["mv_tsmc_shares"] == f"{home.shares / 1e9:,.2f} billion"
    assert g["mv_tsmc_twd"] == f"NT${home.loss_local / 1e9:,.0f}bn"
    assert g["mv_tsmc_usd"] == page._bn(home.loss_usd)
    assert (g["mv_tsmc_rate"], g["mv_tsmc_rate_date"]) == (f"{home.rate:,.2f}", "4 February 2025")
    assert g["mv_tsmc_rate_gap"] == str(abs(home.rate_gap_days)) == "1"
    assert g["mv_tsmc_rate_source"] == home.rate_source.split(",")[0] == "CNA via Focus Taiwan"
    assert g["mv_tsmc_news"] == ", ".join(f"“{n}”" for n in home.news)
    assert g["mv_tsmc_news"].startswith("“Trump: chip tariffs coming”, “Apple")
    assert (g["mv_adr_ret"], g["mv_adr_fall"]) == (f"{MINUS}13.3%", "13.3%")
    assert g["mv_adr_loss"] == page._bn(home.adr_loss_usd)
    assert g["mv_adr_window_ret"] == f"{MINUS}10.5%"
    assert g["mv_adr_window_loss"] == page._bn(home.adr_window_loss_usd)
    assert g["mv_adr_premium"] == f"{home.adr_premium:.0%}"
    assert g["mv_adr_ratio"] == f"{home.adr_loss_usd / home.loss_usd:.1f}" == "3.0"

    market = mv.market_move(MON)
    assert g["mv_mkt_value"] == f"${market.value_prev_usd / 1e12:,.1f} trillion" == "$53.9 trillion"
    assert g["mv_mkt_value_date"] == "31 December 2024" and g["mv_mkt_value_source"] == "The Tradable"
    assert g["mv_mkt_loss"] == page._bn(market.loss_usd, 0)
    us = shown.loc[(shown["date"] == MON) & shown["in_total"] & (shown["market"] == "US"),
                   "loss_usd"].sum()
    assert g["mv_us_total"] == page._bn(us)
    assert g["mv_us_share"] == (f"{us / market.loss_usd:.1f} times that figure: outside these "
                                "companies, the market as a whole gained value")

    assert (g["mv_sc_us_n"], g["mv_sc_members_n"], g["mv_sc_outside_n"], g["mv_sc_other_n"]) == \
        ("16", "13", "3", "7")
    assert g["mv_sc_outside"] == "Arm Holdings (ADR), ASML Holding (ADR) and Marvell Technology"
    assert (g["mv_sc_loss"], g["mv_sc_value"]) == ("$961.1bn", "$18.9 trillion")
    assert (g["mv_sc_vw"], g["mv_sc_ew"]) == (f"{MINUS}5.1%", f"{MINUS}9.9%")
    assert (g["mv_sc_share_value"], g["mv_sc_share_loss"]) == ("35%", "1.2 times")
    assert g["mv_universe_n"] == str(table["ticker"].nunique() - 1) == "25"   # TSM: its home line
    assert len(g) == 96

    (key, (figure, data)), = chapter.figures.items()
    assert key == "fig-marketvalue-losses"
    assert data["name"].iloc[0] == "Nvidia" and len(data.loc[data["layer"] == "record"]) == 3
    assert figure.to_dict()["title"]["text"].startswith("Nvidia lost $592.7bn on 27 January")


def test_chapter_wording_branches(snapshot, monkeypatch):
    """The other side of each wording: a loss above the press figure and outside its rounding,
    members' total under the market's loss, a members' loss below the index's."""
    real_rec, real_market, real_scope = page.reconcile, page.market_move, page.scope

    def reconcile(table, reported):
        got = real_rec(table, reported)
        return dataclasses.replace(got, diff=0.6e9)
    monkeypatch.setattr(page, "reconcile", reconcile)
    monkeypatch.setattr(page, "market_move", lambda day: dataclasses.replace(
        real_market(day), loss_usd=2_000e9))
    monkeypatch.setattr(page, "scope", lambda table, market: dataclasses.replace(
        real_scope(table, market), index_share_loss=0.4567))
    g = _chapter().text
    assert g["mv_diff_dir"] == "above" and g["mv_diff"] == "$0.60bn"
    assert g["mv_verdict"] == "outside the rounding of the press figure"
    assert g["mv_us_share"] == "about 51% of that figure"
    assert g["mv_mkt_loss"] == "$2,000bn"
    assert g["mv_sc_share_loss"] == "46% of"
    monkeypatch.setattr(page, "reconcile", lambda t, reported: dataclasses.replace(
        real_rec(t, reported), diff=-0.5e9))
    monkeypatch.setattr(page, "scope", lambda table, market: dataclasses.replace(
        real_scope(table, market), index_share_loss=1.0))
    g = _chapter().text
    assert g["mv_verdict"] == "within the rounding of the press figure"   # exactly half of 1bn
    assert g["mv_diff_dir"] == "below" and g["mv_sc_share_loss"] == "100% of"
