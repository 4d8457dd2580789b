"""Benchmarks without the stock and market breadth (methods.benchmarks), by hand."""

import numpy as np
import pandas as pd
import pytest

from deepshock.methods import benchmarks as bm

WIDE = pd.DataFrame({"A": [0.01, np.nan, 0.05], "B": [0.02, -0.02, np.nan],
                     "C": [0.03, 0.00, np.nan], "D": [0.04, 0.02, np.nan]},
                    index=pd.to_datetime(["2025-01-24", "2025-01-27", "2025-01-28"]))


def test_leave_one_out_mean_by_hand():
    out = bm.leave_one_out(WIDE, min_members=2)
    assert out.iloc[0].tolist() == pytest.approx([0.09 / 3, 0.08 / 3, 0.07 / 3, 0.06 / 3])
    # 27 Jan: A has no return but gets the others' mean; the others have two peers each
    assert out.iloc[1].tolist() == pytest.approx([0.0, 0.01, 0.0, -0.01])
    assert out.iloc[2].isna().all()          # only A traded: nobody has two peers
    strict = bm.leave_one_out(WIDE, min_members=3)
    assert strict.iloc[1, 0] == pytest.approx(0.0) and strict.iloc[1, 1:].isna().all()


def test_leave_one_out_with_weights_by_hand():
    w = pd.DataFrame(1.0, index=WIDE.index, columns=WIDE.columns) * [1, 2, 3, 4]
    out = bm.leave_one_out(WIDE, min_members=2, weights=w)
    assert out.iat[0, 0] == pytest.approx((2 * 0.02 + 3 * 0.03 + 4 * 0.04) / 9)
    assert out.iat[0, 3] == pytest.approx((0.01 + 2 * 0.02 + 3 * 0.03) / 6)
    with pytest.raises(ValueError, match="negative weights"):
        bm.leave_one_out(WIDE, weights=-w)


def test_vectorised_leave_one_out_equals_dropping_each_column():
    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.normal(0, 0.02, (50, 40)), columns=[f"S{i}" for i in range(40)])
    wide = wide.mask(rng.random(wide.shape) < 0.1)
    caps = pd.DataFrame(rng.uniform(1, 100, wide.shape), columns=wide.columns)
    for weights in (None, caps):
        out = bm.leave_one_out(wide, min_members=35, weights=weights)
        for member in ("S0", "S17", "S39"):
            one = bm.excluding(wide, member, min_members=35, weights=weights)
            pd.testing.assert_series_equal(out[member], one, check_names=False, rtol=1e-12)
    assert out.isna().any().any() and out.notna().any().any()   # the minimum rule bites
    with pytest.raises(ValueError, match="'XYZ' is not a column"):
        bm.excluding(wide, "XYZ")


def test_breadth_by_hand():
    ret = pd.Series({"A": 0.01, "B": -0.02, "C": 0.0, "E": 0.03})
    sectors = pd.Series({"A": "Tech", "B": "Tech", "C": "Energy", "D": "Energy", "E": "Tech"})
    caps = pd.Series({"A": 10.0, "B": 30.0, "C": 5.0, "D": 5.0, "E": 60.0})
    out = bm.breadth(ret, sectors, caps)
    assert list(out.index) == ["Energy", "Tech", "All"]
    tech, energy, every = out.loc["Tech"], out.loc["Energy"], out.loc["All"]
    assert tech[["members", "rose", "fell", "unchanged", "no_return"]].tolist() == [3, 2, 1, 0, 0]
    assert tech["ew_ret"] == pytest.approx(0.02 / 3) and tech["cw_ret"] == pytest.approx(0.013)
    assert energy[["members", "rose", "fell", "unchanged", "no_return"]].tolist() == [2, 0, 0, 1, 1]
    assert every[["members", "rose", "fell", "unchanged", "no_return"]].tolist() == [5, 2, 1, 1, 1]
    assert every["ew_ret"] == pytest.approx(0.005)
    assert every["cw_ret"] == pytest.approx(1.3 / 105)
    assert "cw_ret" not in bm.breadth(ret, sectors).columns
    assert bm.breadth(ret, sectors, tol=0.015).loc["All", "unchanged"] == 2   # A counts as flat
    with pytest.raises(ValueError, match="no sector for F"):
        bm.breadth(pd.concat([ret, pd.Series({"F": 0.1})]), sectors)


def test_equal_weighted_panel_without_nvidia_tracks_rsp_and_breadth_adds_up(snapshot):
    """On the real panel (plain pandas read): the ex-Nvidia equal-weighted market is RSP's
    twin, and the 27 January 2025 breadth counts add up to the members."""
    panel = snapshot / "panel"
    if not (panel / "closes.csv").is_file():
        pytest.skip("no panel in the snapshot")
    closes = pd.read_csv(panel / "closes.csv", parse_dates=["date"]).set_index("date")
    members = pd.read_csv(panel / "members.csv").set_index("ticker")
    sp = members.index[members["kind"] == "sp500"]
    rets = closes.pct_change(fill_method=None)
    loo = bm.leave_one_out(rets[sp], min_members=400)
    both = pd.concat({"ex_nvda": loo["NVDA"], "rsp": rets["RSP"]}, axis=1).dropna()
    assert len(both) > 500
    assert both["ex_nvda"].corr(both["rsp"]) > 0.99
    assert (both["ex_nvda"] - both["rsp"]).abs().median() < 0.001
    day = pd.Timestamp("2025-01-27")
    assert loo.at[day, "NVDA"] > rets.at[day, "SPY"] + 0.01   # equal weight hardly fell
    out = bm.breadth(rets.loc[day, sp], members.loc[sp, "sector"].fillna("(none)"))
    counts = out[["rose", "fell", "unchanged", "no_return"]].sum(axis=1)
    assert (counts == out["members"]).all() and out.at["All", "members"] == len(sp)
    assert out.loc[out.index != "All", "members"].sum() == len(sp)
