"""What the market-value total covers (`story.marketvalue.scope`): the day's lines in the total
split by market and S&P 500 membership, the members' loss, value, value- and equal-weighted
moves and their shares of the index's value and loss, on a small made-up table written out here;
and the published scope of Monday 27 January against an oracle from the raw files (the panel's
members, the snapshot's closes) in plain pandas. Fast: no book, no kernel."""

from __future__ import annotations

import pandas as pd
import pytest

from deepshock.story.marketvalue import scope as sc
from deepshock.story.marketvalue import valuation as mv
from tests.oracle import raw

T = pd.Timestamp
MON, TUE = T("2025-01-27"), T("2025-01-28")
COLUMNS = ["ticker", "name", "market", "date", "in_total", "shares", "prev_level", "loss_usd", "ret"]
TABLE = pd.DataFrame([
    ("BBB", "Bee", "US", MON, True, 4.0, 50.0, 20.0, -0.10),        # member
    ("ETF", "Fund", "US", MON, True, 1.0, 1.0, 7.0, -0.20),         # in the panel, not sp500
    ("AAA", "Ay", "US", MON, True, 10.0, 100.0, 50.0, -0.05),       # member
    ("JJJ", "Jay", "Japan", MON, True, 3.0, 9.0, 5.0, -0.30),      # Tokyo
    ("ZZZ", "Zed", "US", MON, True, 2.0, 3.0, 1.0, -0.40),          # not in the panel at all
    ("CCC", "Sea", "US", MON, False, 5.0, 100.0, 90.0, -0.90),      # member, not in the total
    ("AAA", "Ay", "US", TUE, True, 10.0, 95.0, 30.0, 0.50),         # member, another day
    ("KKK", "Kay", "Japan", TUE, True, 1.0, 1.0, 1.0, 0.1),         # Tokyo, another day
    ("SSS", "Ess", "Taiwan", MON, True, 1.0, 1.0, 2.0, 0.2),        # another market, in total
], columns=COLUMNS)
PANEL = pd.DataFrame({"ticker": ["AAA", "BBB", "CCC", "ETF", "JJJ"],
                      "kind": ["sp500", "sp500", "sp500", "etf", "sp500"]})


def _market(day=MON, value=6000.0, loss=140.0) -> mv.MarketMove:
    return mv.MarketMove(day=day, n=3, fell=2, rose=1, equal_weighted=-0.01, cap_weighted=-0.02,
                         spy=-0.02, value_date=T("2024-12-31"), value_source="made up",
                         value_prev_usd=value, loss_usd=loss)


def test_scope_of_a_made_up_day(monkeypatch):
    """Members AAA and BBB: value 10 x 100 + 4 x 50 = 1,200, loss 50 + 20 = 70, value-weighted
    -70 / 1,200, equal-weighted (-0.05 - 0.10) / 2; of the index's 6,000 and 140, 0.2 and 0.5.
    A Tokyo line that is a member elsewhere is no US line; CCC is out of the total."""
    monkeypatch.setattr(sc.load, "panel_members", lambda: PANEL)
    got = sc.scope(TABLE, _market())
    assert got == sc.Scope(us=("Bee", "Fund", "Ay", "Zed"), members=("Bee", "Ay"),
                           outside=("Fund", "Zed"), other=("Jay", "Ess"),
                           loss_usd=70.0, value_usd=1200.0, vw_ret=-70 / 1200,
                           ew_ret=pytest.approx(-0.075), index_share_value=0.2,
                           index_share_loss=0.5)
    assert all(type(v) is float for v in (got.loss_usd, got.value_usd, got.vw_ret, got.ew_ret,
                                          got.index_share_value, got.index_share_loss))
    assert all(type(v) is tuple for v in (got.us, got.members, got.outside, got.other))


def test_scope_of_another_day_reads_that_days_rows(monkeypatch):
    monkeypatch.setattr(sc.load, "panel_members", lambda: PANEL)
    got = sc.scope(TABLE, _market(TUE, value=1900.0, loss=-60.0))
    assert (got.us, got.members, got.outside, got.other) == (("Ay",), ("Ay",), (), ("Kay",))
    assert (got.loss_usd, got.value_usd, got.ew_ret) == (30.0, 950.0, 0.5)
    assert got.vw_ret == -30 / 950 and got.index_share_value == 0.5
    assert got.index_share_loss == -0.5


def test_a_gain_is_a_negative_loss_and_a_positive_move(monkeypatch):
    monkeypatch.setattr(sc.load, "panel_members", lambda: PANEL)
    table = TABLE.assign(loss_usd=-TABLE["loss_usd"], ret=-TABLE["ret"])
    got = sc.scope(table, _market())
    assert got.loss_usd == -70.0 and got.vw_ret == 70 / 1200 and got.index_share_loss == -0.5
    assert got.ew_ret == pytest.approx(0.075)


# --- the published scope, against the raw files -----------------------------------------------

def test_mondays_scope_against_the_raw_files(snapshot):
    """Monday 27 January: the total's US lines, split by the panel's S&P 500 list; the members'
    value and loss from their share counts and the snapshot's closes of Friday and Monday; their
    value- and equal-weighted moves; and the Tokyo lines."""
    table, market = mv.losses(), mv.market_move(MON)
    got = sc.scope(table, market)

    members = raw.panel_members()
    sp = set(members.index[members["kind"] == "sp500"])
    universe = raw.universe()
    day = table.loc[(table["date"] == MON) & table["in_total"]]
    us = [t for t in day["ticker"] if universe.at[t, "market"] == "US"]   # data/universe.csv
    inside = [t for t in us if t in sp]
    name = dict(zip(table["ticker"], table["name"]))
    assert got.us == tuple(name[t] for t in us) and len(got.us) == 16
    assert got.members == tuple(name[t] for t in inside) and len(got.members) == 13
    assert set(got.outside) == {"Arm Holdings (ADR)", "ASML Holding (ADR)", "Marvell Technology"}
    assert got.outside == tuple(name[t] for t in us if t not in sp)
    assert got.other == tuple(name[t] for t in day["ticker"] if t not in us)
    assert len(got.other) == 7 and "TSMC (ADR)" not in got.us   # TSMC counts by its home line

    shares = day.set_index("ticker")["shares"]
    prev = pd.Series({t: raw.close(t).loc[T("2025-01-24")] for t in inside})
    now = pd.Series({t: raw.close(t).loc[MON] for t in inside})
    value = float((shares[inside] * prev).sum())
    loss = float((shares[inside] * (prev - now)).sum())
    assert got.value_usd == pytest.approx(value, rel=1e-12)
    assert got.loss_usd == pytest.approx(loss, rel=1e-9)
    assert got.vw_ret == pytest.approx(-loss / value, rel=1e-9)
    assert got.ew_ret == pytest.approx(float((now / prev - 1).mean()), rel=1e-12)
    assert got.index_share_value == pytest.approx(value / market.value_prev_usd, rel=1e-12)
    assert got.index_share_loss == pytest.approx(loss / market.loss_usd, rel=1e-9)
    # as the chapter prints them: -5.09% value-weighted, -9.92% equal-weighted, 35% of the
    # index's value and 1.2 times its approximate loss
    assert (round(got.vw_ret * 100, 2), round(got.ew_ret * 100, 2)) == (-5.09, -9.92)
    assert (round(got.index_share_value, 2), round(got.index_share_loss, 1)) == (0.35, 1.2)
