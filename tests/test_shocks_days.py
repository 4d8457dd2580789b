"""Comparison days by a rule: the rule and the recovery count on hand-made series, and the book
event's ranks pinned by an oracle computed here with plain pandas from the raw files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepshock.methods import extremes
from deepshock.story.shocks import days as shocks_days
from tests.conftest import SNAPSHOT, raw_close

DAY = pd.Timestamp("2025-01-27")


# --- the rule and the recovery, by hand ------------------------------------------------------

def test_tail_size():
    assert extremes.tail_size(1400, 0.025) == 35
    assert extremes.tail_size(100, 0.05) == 5
    assert extremes.tail_size(39, 0.025) == 0
    with pytest.raises(ValueError):
        extremes.tail_size(100, 1.5)


def test_the_rule_on_a_hand_made_series():
    """40 sessions, 10% tail -> the 4 largest falls of each column; a day bad for either counts."""
    dates = pd.bdate_range("2024-01-01", periods=40)
    a = pd.Series(0.01, index=dates)
    b = pd.Series(0.005, index=dates)
    a.iloc[[3, 10, 20, 30, 35]] = [-0.05, -0.04, -0.03, -0.02, -0.01]   # a's falls, largest first
    b.iloc[[10, 12, 25, 33, 36]] = [-0.02, -0.06, -0.03, -0.01, -0.005]
    b.iloc[5] = np.nan                                                    # one missing value
    out = extremes.tail_days(pd.DataFrame({"a": a, "b": b}), 0.10)
    assert out.attrs["k"] == {"a": 4, "b": 3}                             # b has 39 values
    assert list(out.index[out["tail a"]]) == list(dates[[3, 10, 20, 30]])
    assert list(out.index[out["tail b"]]) == list(dates[[10, 12, 25]])
    assert list(out.index[out["selected"]]) == list(dates[[3, 10, 12, 20, 25, 30]])
    assert out.at[dates[12], "rank b"] == 1 and out.at[dates[3], "rank a"] == 1
    assert pd.isna(out.at[dates[5], "rank b"]) and not out.at[dates[5], "tail b"]


def test_recovery_count_and_censoring_by_hand():
    base = 100.0
    # closes from day 0 on: back at 100 on the third session
    assert extremes.regain([90, 95, 100, 99], base) == extremes.Recovery(3, False)
    # the next shock comes on the third session: two sessions observed, not regained
    assert extremes.regain([90, 95, 100, 99], base, observed=2) == extremes.Recovery(2, True)
    # the data end first
    assert extremes.regain([90, 95, 97], base) == extremes.Recovery(3, True)
    # day 0 did not close below: nothing to regain
    assert extremes.regain([101, 90], base) == extremes.Recovery(0, False)
    with pytest.raises(ValueError):
        extremes.regain([], base)


def test_censored_ordering_by_hand():
    R = extremes.Recovery
    others = [R(5, False), R(14, False), R(20, False), R(3, True), R(30, True)]
    assert extremes.order_censored(R(14, False), others) == {
        "faster": 1, "tied": 1, "slower": 2, "unordered": 1}   # 3+ cannot be placed; 30+ is slower
    assert extremes.order_censored(R(10, True), others) == {
        "faster": 1, "tied": 0, "slower": 0, "unordered": 4}   # only 5 is certainly faster than 10+


# --- the real ranks against a plain-pandas oracle -------------------------------------------

@pytest.fixture(scope="module")
def oracle(snapshot):
    rets = pd.DataFrame({t: raw_close(f).pct_change() for t, f in
                         [("^SOX", "INDEX_SOX.csv"), ("^GSPC", "INDEX_GSPC.csv"), ("NVDA", "NVDA.csv")]}
                        ).iloc[1:]
    k = int(0.025 * len(rets))
    chosen = rets.index[rets["^SOX"].rank(method="min").le(k) | rets["^GSPC"].rank(method="min").le(k)]
    closes = pd.read_csv(SNAPSHOT / "panel" / "closes.csv", index_col=0, parse_dates=True)
    members = pd.read_csv(SNAPSHOT / "panel" / "members.csv")
    sp = closes[members.loc[members["kind"] == "sp500", "ticker"]].pct_change().iloc[1:]
    rsp = closes["RSP"].pct_change().iloc[1:]
    return {"rets": rets, "chosen": chosen, "k": k, "sp": sp, "rsp": rsp}


@pytest.fixture(scope="module")
def days(snapshot):
    return shocks_days.days()


def test_the_days_are_the_rule_applied_to_the_raw_files(oracle, days):
    assert list(days["date"]) == list(oracle["chosen"])
    assert shocks_days.rule().attrs["k"] == {"^SOX": oracle["k"], "^GSPC": oracle["k"]}
    assert DAY in set(days["date"])


def test_size_ranks(oracle, days):
    rk = shocks_days.ranks(days)
    rets, chosen = oracle["rets"], oracle["chosen"]
    for t in ("^SOX", "^GSPC", "NVDA"):
        assert rk[f"size {t}"]["rank_all"] == int((rets[t] < rets.at[DAY, t]).sum()) + 1
        assert rk[f"size {t}"]["out_of_all"] == len(rets)
        assert rk[f"size {t}"]["rank"] == int((rets.loc[chosen, t] < rets.at[DAY, t]).sum()) + 1
    assert (rk["size ^SOX"]["rank_all"], rk["size ^GSPC"]["rank_all"]) == (5, 119)


def test_concentration_and_breadth_ranks(oracle, days):
    rk = shocks_days.ranks(days)
    gap = (oracle["rets"]["^SOX"] - oracle["rsp"]).dropna()
    inside = [d for d in oracle["chosen"] if d in gap.index]
    assert rk["concentration"]["out_of"] == len(inside)
    assert rk["concentration"]["rank"] == int((gap.loc[inside] < gap[DAY]).sum()) + 1 == 1
    assert rk["concentration"]["rank_all"] == int((gap < gap[DAY]).sum()) + 1
    sp = oracle["sp"]
    share = (sp < 0).sum(axis=1) / sp.notna().sum(axis=1)
    assert rk["breadth"]["value"] == pytest.approx(share[DAY])
    assert rk["breadth"]["rank"] == int((share.loc[inside] < share[DAY]).sum()) + 1
    assert rk["breadth"]["fell"] == int((sp.loc[DAY] < 0).sum())


def test_recovery_of_the_book_event_by_a_plain_loop(oracle, days):
    """From the close before 27 January, count sessions until a close at or above it; stop at
    the next comparison day."""
    rk = shocks_days.ranks(days)
    for t, file in (("^SOX", "INDEX_SOX.csv"), ("^GSPC", "INDEX_GSPC.csv")):
        close = raw_close(file)
        dates = list(close.index)
        pos = dates.index(DAY)
        nxt = min(d for d in oracle["chosen"] if d > DAY)
        base, n, censored = close.iloc[pos - 1], 0, True
        for d in dates[pos:]:
            if d >= nxt:
                break
            n += 1
            if close[d] >= base:
                censored = False
                break
        rec = rk[f"recovery {t}"]
        assert (rec["sessions"], rec["censored"]) == (n, censored)
        if censored:
            assert rec["censor_date"] == nxt
    assert rk["recovery ^SOX"]["censored"] and rk["recovery ^SOX"]["censor"] == shocks_days.NEXT


def test_the_named_events_label_their_new_york_day0(days):
    labelled = days.loc[days["label"] != "", ["date", "label"]].set_index("label")["date"]
    assert labelled["DeepSeek shock"] == DAY
    assert labelled["Nvidia falls after results"] == pd.Timestamp("2025-02-27")
    assert days.loc[days["primary"], "date"].tolist() == [DAY]
