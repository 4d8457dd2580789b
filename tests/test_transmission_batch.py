"""The transmission model's batched path (`methods.transmission.evaluate_many`, which the
reopening placebo uses) against `estimate` + `evaluate` (one fit per day 0) on a made-up
fixture and on the real reopenings, and against statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from deepshock.data import clock
from deepshock.methods import transmission as tm
from deepshock.story import transmission as st

KEYS = ("total", "total_lo", "total_hi", "predicted", "predicted_lo", "predicted_hi",
        "predicted_se", "excess", "excess_lo", "excess_hi", "se", "t", "df", "p", "h", "n",
        "gaps_used")


def made_up(seed=0, T=400):
    """Returns with gaps (a 4-weekday and a 2-weekday return every 23 rows), a chip lead that
    moves on only a few rows in the early part, and a missing lead on row 3 (before every
    window)."""
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(0, 0.01, T), rng.normal(0, 0.02, T)])
    x[:150, 1] = 0.0
    x[[10, 40, 70, 100, 130], 1] = 0.01
    w = np.ones(T)
    w[::23] = 4
    w[11::23] = 2
    y = 0.0004 + 0.3 * x[:, 0] + 0.5 * x[:, 1] + rng.standard_t(5, T) * 0.01 * np.sqrt(w)
    x[3, 0] = np.nan
    return y, x, w


def one_by_one(y, x, w, zeros, estimation):
    rows = []
    for z in zeros:
        lo, hi = z + estimation[0], z + estimation[1]
        est = np.zeros(hi + 1, bool)
        est[lo:] = True
        model = tm.estimate(y[:hi + 1], pd.DataFrame(x[:hi + 1], columns=["a", "b"]),
                            w[:hi + 1], est)
        rows.append(tm.evaluate(model, y[z:z + 1], x[z:z + 1], w[z:z + 1]))
    return pd.DataFrame(rows)


def test_batched_fits_equal_one_fit_per_day_with_gaps_and_dropped_leads():
    y, x, w = made_up()
    zeros = np.arange(104, 400, 7)
    estimation = (-100, -5)
    got = tm.evaluate_many(y, x, w, zeros, estimation)
    want = one_by_one(y, x, w, zeros, estimation)
    assert {1, 2, 4} <= set(w[zeros]) and got["gaps_used"].min() >= 3
    # the chip lead moves on few rows of the early windows: dropped there, kept later
    assert (got["df"] == 96 - 2).any() and (got["df"] == 96 - 3).any()
    for key in KEYS:
        np.testing.assert_allclose(got[key].to_numpy(float), want[key].to_numpy(float),
                                   rtol=1e-10, atol=1e-12, err_msg=key)


def test_batched_fit_matches_statsmodels_on_a_hand_case():
    y, x, w = made_up(1)
    w[:] = 1
    zero, estimation = 300, (-250, -11)
    got = tm.evaluate_many(y, x, w, [zero], estimation).iloc[0]
    est = slice(zero - 250, zero - 10)
    ols = sm.OLS(y[est], sm.add_constant(x[est])).fit()
    pred = ols.get_prediction(np.r_[1.0, x[zero]][None, :]).summary_frame(alpha=0.05)
    assert got["df"] == ols.df_resid == 237
    assert got["predicted"] == pytest.approx(pred["mean"].iloc[0], rel=1e-10)
    assert got["predicted_lo"] == pytest.approx(pred["mean_ci_lower"].iloc[0], rel=1e-9)
    assert got["excess_lo"] == pytest.approx(y[zero] - pred["obs_ci_upper"].iloc[0], rel=1e-9)
    assert got["excess_hi"] == pytest.approx(y[zero] - pred["obs_ci_lower"].iloc[0], rel=1e-9)


def test_batched_path_refuses_what_the_one_by_one_path_refuses():
    y, x, w = made_up(2)
    for run in (tm.evaluate_many, one_by_one):          # row 3 (a missing lead) in the window
        with pytest.raises(ValueError, match="missing values"):
            run(y, x, w, [50], (-48, -5))
    w[:] = 1
    w[200] = 5                                          # day 0 spans 5 weekdays, no past gap
    for run in (tm.evaluate_many, one_by_one):
        with pytest.raises(ValueError, match="fewer than 3 past gaps|only 0 past gaps"):
            run(y, x, w, [200], (-100, -5))
    w[[20, 60]] = 2                                     # two past gaps are still too few
    with pytest.raises(ValueError, match="fewer than 3 past gaps"):
        tm.evaluate_many(y, x, w, [150, 200], (-100, -5))
    w[180] = 3              # three are enough for day 200; day 150 (one weekday) needs none
    got, want = (run(y, x, w, [150, 200], (-100, -5)) for run in (tm.evaluate_many, one_by_one))
    assert got["gaps_used"].tolist() == [2, 3] and got["h"].iloc[0] == 1
    for key in KEYS:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-10, atol=1e-12, err_msg=key)
    for zeros, estimation in (([50], (-100, -5)), ([395], (-100, 10)), ([400], (-100, -5)),
                              ([-1], (-1, -1))):
        with pytest.raises(ValueError, match="outside the rows"):
            tm.evaluate_many(y, x, w, zeros, estimation)
    assert tm.evaluate_many(y, x, w, np.array([], int), (-100, -5)).columns.tolist() == list(KEYS)


def one_fit_per_reopening() -> pd.DataFrame:
    """The placebo as `answers` computes the event: one `model` fit per reopening and bound."""
    rows = []
    for market in st.REOPENING:
        for ticker in st.markets()[market]:
            frame = clock.leads(ticker, st.LEADS)
            for _, r in st.reopenings(ticker).iterrows():
                head = {"market": market, "ticker": ticker}
                if r["pos"] + st.ESTIMATION[0] < 0:
                    rows.append({**head, "date": r["date"], "holiday": r["holiday"],
                                 "closed": r["closed"], "bound": "none"})
                    continue
                before = frame["prev_close_utc"].iloc[r["pos"]]
                for bound in ("cc", "oc"):
                    fitted, zero = st.model(ticker, before, bound)
                    row = frame.iloc[zero]
                    got = tm.evaluate(fitted, [row["ret"]],
                                      row[[f"{bound}_{k}" for k in st.LEADS]].to_numpy(float)[None],
                                      [row["weekdays"]])
                    rows.append({**head, "date": row["date"], "holiday": r["holiday"],
                                 "closed": r["closed"], "bound": bound, **got})
    return pd.DataFrame(rows)


def test_reopening_placebo_equals_one_fit_per_reopening(snapshot):
    kept, _ = st.placebo()                              # what the book reads (the store)
    fresh, want = st._placebo_tests(st.NEWS_UTC), one_fit_per_reopening()
    tested = want["bound"] != "none"
    assert len(want) > 40 and (want.loc[tested, "h"] > 1).all()    # every day 0 spans a gap
    assert (want["bound"] == "none").any()
    for got in (fresh, kept):
        pd.testing.assert_frame_equal(got.drop(columns=list(KEYS)),
                                      want.drop(columns=list(KEYS)))
        for key in KEYS:
            np.testing.assert_allclose(got[key].to_numpy(float), want[key].to_numpy(float),
                                       rtol=1e-10, atol=1e-12, equal_nan=True, err_msg=key)


def test_reopening_placebo_is_kept_in_the_store_by_its_inputs(snapshot, tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPSHOCK_ARTEFACTS", str(tmp_path))
    first, _ = st.placebo()
    files = list(tmp_path.glob("transmission-placebo-*.pkl"))
    assert len(files) == 1
    pd.to_pickle(first.assign(p=0.5), files[0])        # what is read is the kept file
    tests, rates = st.placebo()
    assert (tests["p"] == 0.5).all() and (rates["rejected"] == 0).all()
    earlier, _ = st.placebo(st.NEWS_UTC - pd.Timedelta(days=400))   # another input, another key
    assert len(list(tmp_path.glob("transmission-placebo-*.pkl"))) == 2
    assert len(earlier) < len(first)
