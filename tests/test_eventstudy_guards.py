"""Guards for the event study's bookkeeping (issue 15's survivors): windows, estimation spans,
matched days, the group mean and degrees of freedom, each against a deliberately simple second
implementation (numpy least squares, plain loops, scipy's t distribution)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from deepshock.methods import eventstudy as m

TAU = np.arange(-260, 40)


def synthetic(seed: int, beta: float = 1.3, alpha: float = 0.0004) -> pd.DataFrame:
    """An event-time frame of made-up returns: ret = alpha + beta mret + noise, plus spikes at
    tau -6 and -10 (just outside the [-5,-1] window and inside the gap before t = 0)."""
    rng = np.random.default_rng(seed)
    mret = rng.normal(0, 0.01, len(TAU))
    ret = alpha + beta * mret + rng.normal(0, 0.015, len(TAU))
    ret[TAU == -6] += 0.20
    ret[TAU == -10] += 0.30
    return pd.DataFrame({"tau": TAU, "date": pd.bdate_range("2020-01-01", periods=len(TAU)),
                         "ret": ret, "mret": mret, "matched": True})


def lstsq_fit(frame: pd.DataFrame, lo: int, hi: int) -> tuple[float, float, float, int]:
    """(alpha, beta, s2, T) by numpy least squares on taus lo..hi where matched."""
    est = frame.loc[frame["tau"].between(lo, hi) & frame["matched"]]
    x = np.column_stack([np.ones(len(est)), est["mret"]])
    coef, ssr, *_ = np.linalg.lstsq(x, est["ret"].to_numpy(), rcond=None)
    return coef[0], coef[1], float(ssr[0]) / (len(est) - 2), len(est)


@pytest.mark.parametrize("estimation", [m.ESTIMATION, m.SHORT_ESTIMATION])
def test_the_fit_uses_exactly_the_estimation_window(estimation):
    frame = synthetic(1)
    res = m.analyse(frame, "x", estimation)
    alpha, beta, s2, n = lstsq_fit(frame, *estimation)
    assert res.fit.n == n == estimation[1] - estimation[0] + 1
    assert (res.fit.alpha, res.fit.beta, res.fit.s2) == pytest.approx((alpha, beta, s2), rel=1e-10)


def test_the_estimation_windows_end_ten_sessions_before_the_event():
    """The chapter states -250..-11 and -120..-11: the spike at tau = -10 must stay outside."""
    assert m.ESTIMATION == (-250, -11) and m.SHORT_ESTIMATION == (-120, -11)
    assert m.analyse(synthetic(2), "x").fit.s2 < 0.0003  # a 30% spike inside would exceed it


def test_each_window_sums_exactly_its_sessions():
    frame = synthetic(3)
    res = m.analyse(frame, "x")
    alpha, beta, *_ = lstsq_fit(frame, *m.ESTIMATION)
    ar = frame["ret"] - alpha - beta * frame["mret"]
    assert m.WINDOWS["[-5,-1]"] == (-5, -1)
    for name, (a, b) in m.WINDOWS.items():
        by_loop = sum(ar[i] for i in range(len(frame)) if a <= frame["tau"][i] <= b)
        assert res.windows.at[name, "car"] == pytest.approx(by_loop, abs=1e-12), name
    # the spike at tau = -6 (+20%) is outside [-5,-1]
    assert abs(res.windows.at["[-5,-1]", "car"]) < 0.15


def test_the_portfolio_uses_only_days_every_member_matched():
    one, two = synthetic(4), synthetic(5)
    two.loc[two["tau"].isin([-200, -150, -100]), "matched"] = False
    port = m.portfolio([m.analyse(one, "a"), m.analyse(two, "b")], "p")
    assert port.fit.n == 240 - 3
    mean = one[["tau", "date"]].assign(ret=(one["ret"] + two["ret"]) / 2,
                                       mret=(one["mret"] + two["mret"]) / 2,
                                       matched=one["matched"] & two["matched"])
    alpha, beta, s2, n = lstsq_fit(mean, *m.ESTIMATION)
    assert (port.fit.beta, port.fit.s2, port.fit.n) == pytest.approx((beta, s2, n), rel=1e-10)


def test_group_caar_is_the_mean_and_p_values_use_n_minus_one_df():
    members = [m.analyse(synthetic(s, beta=b), str(s)) for s, b in [(6, 0.5), (7, 1.0), (8, 3.0)]]
    rows = {r["window"]: r for r in m.group_tests(members, "g")}
    for w, row in rows.items():
        cars = [x.windows.at[w, "car"] for x in members]
        assert row["caar"] == pytest.approx(sum(cars) / 3, abs=1e-15)
        assert abs(np.mean(cars) - np.median(cars)) > 1e-4  # so a median would be caught
        ts = np.array([x.windows.at[w, "t"] for x in members])
        t_bmp = ts.mean() / (ts.std(ddof=1) / np.sqrt(3))
        assert row["bmp"] == pytest.approx(t_bmp)
        assert row["bmp_p"] == pytest.approx(2 * stats.t.sf(abs(t_bmp), 2))  # t(n - 1), n = 3
        assert row["kp_p"] == pytest.approx(2 * stats.t.sf(abs(row["kp"]), 2))


def test_the_car_chart_path_is_the_group_mean_of_member_cumulative_ars(snapshot):
    from deepshock.story import eventstudy as es

    study = es.run()
    checked = 0
    for group, rows in study.plan.loc[study.plan["included"]].groupby("group"):
        members = [study.results[t] for t in rows["ticker"]]
        if len(members) < 2:
            continue
        path = study.paths.loc[study.paths["group"] == group].set_index("tau")["car"]
        for tau in (-5, 0, 1, m.PATH[1]):
            total = 0.0
            for res in members:
                ar = res.path.set_index("tau")["ar"]
                total += sum(ar[k] for k in range(m.PATH[0], tau + 1))
            assert path[tau] == pytest.approx(total / len(members), abs=1e-12), (group, tau)
            checked += 1
    assert checked >= 8
