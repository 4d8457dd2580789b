"""The comparison days of "Compared with what" (`story.shocks.days`): the whole pipeline (daily
frame, rule, labels, recovery, the table, ranks, shares, threshold) on a small made-up market
whose every answer is written out by hand here, and the real table, every row and column,
against an oracle recomputed with plain pandas from the raw snapshot files. Fast: no book, no
kernel (the table is computed, not read from the artefact store)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepshock.methods import extremes
from deepshock.story.shocks import days as cdays
from tests.conftest import ROOT, SNAPSHOT, raw_close

T = pd.Timestamp
D = pd.bdate_range("2024-01-01", periods=130)   # the made-up market's sessions, day i = D[i]


# --- a made-up market ------------------------------------------------------------------------

def _made_up() -> dict[str, pd.Series]:
    """SOX (day 3 missing), S&P 500 and Nvidia (days 0-4 missing) returns; RSP from day 5 on,
    missing on day 70. The tail (floor(2.5% of 129) = 3 falls each): SOX days 10, 50, 90;
    S&P 500 days 50, 70, 95."""
    sox = pd.Series(0.001, index=D.delete(3))
    sox[D[10:18]] = [-0.08] + [0.0005] * 6 + [0.09]     # regained on day 17: 8 sessions
    sox[D[[30, 50, 90, 95]]] = [-0.03, -0.06, -0.05, -0.04]
    spx = pd.Series(0.0005, index=D)
    # day 94's rise: day 95 closes below day 94 (the base) but above day 93
    spx[D[[10, 11, 50, 70, 94, 95]]] = [-0.01, 0.02, -0.04, -0.03, 0.03, -0.025]
    nvda = pd.Series(0.002, index=D[5:])
    nvda[D[[10, 50, 90]]] = [-0.07, -0.10, -0.12]
    rsp = pd.Series(0.0, index=D[5:]).drop(D[70])
    rsp[D[[10, 50, 90, 95, 100]]] = [-0.01, -0.05, 0.01, -0.02, 0.03]
    return {"^SOX": sox, "^GSPC": spx, "NVDA": nvda, "RSP": rsp}


def _panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four S&P 500 members (A-D) and an ETF (E, never counted); all members missing on day 95,
    only A on day 100; zero returns (did not fall) on day 90."""
    members = pd.DataFrame({"ticker": ["A", "B", "C", "D", "E"],
                            "kind": ["sp500"] * 4 + ["etf"]})
    wide = pd.DataFrame(0.001, index=D[5:], columns=list("ABCDE"))
    wide.loc[D[10]] = [-0.01, -0.02, 0.01, -0.03, -0.05]   # 3 of 4 fell
    wide.loc[D[50]] = [-0.01, -0.02, -0.01, -0.03, -0.05]  # 4 of 4
    wide.loc[D[70]] = [-0.01, 0.02, 0.01, 0.03, -0.05]     # 1 of 4
    wide.loc[D[90]] = [0.0, -0.02, 0.0, 0.01, -0.05]       # 1 of 4 (zeros did not fall)
    wide.loc[D[95]] = [np.nan] * 4 + [-0.05]               # no member traded
    wide.loc[D[100]] = [-0.01] + [np.nan] * 3 + [-0.05]    # one member: 1 of 1
    return members, wide.assign(RSP=_made_up()["RSP"])


LABELS = pd.DataFrame({"label": ["first", "second", "elsewhere", "primary"]})
DAY0 = {"first": D[50], "second": D[50], "elsewhere": D[20], "primary": D[90], None: D[90]}


@pytest.fixture
def market(monkeypatch):
    series = _made_up()
    members, wide = _panel()
    monkeypatch.setattr(cdays, "_returns", lambda t: series[t])
    monkeypatch.setattr(cdays.load, "panel_members", lambda: members)
    monkeypatch.setattr(cdays.load, "panel_returns", lambda: wide)
    monkeypatch.setattr(cdays.event, "events", lambda: LABELS)
    monkeypatch.setattr(cdays.event, "day0", lambda market, label=None: DAY0[label])
    cdays.daily.cache_clear()
    yield series
    cdays.daily.cache_clear()


CHOSEN = list(D[[10, 50, 70, 90, 95]])


def test_daily_on_the_made_up_market(market):
    frame = cdays.daily()
    assert frame.index.name == "date"
    assert list(frame.index) == list(D.delete(3))        # a session without the SOX is dropped
    assert list(frame.columns) == ["^SOX", "^GSPC", "NVDA", "rank ^SOX", "rank ^GSPC",
                                   "rank NVDA", "RSP", "concentration", "fell", "members",
                                   "share_fell"]
    assert frame["NVDA"].notna().sum() == 125              # its missing days are kept (NaN)
    row = frame.loc[D[10]]
    assert (row["rank ^SOX"], row["rank ^GSPC"], row["rank NVDA"]) == (1, 4, 3)
    assert frame.loc[D[50], ["rank ^SOX", "rank ^GSPC", "rank NVDA"]].tolist() == [2, 1, 2]
    assert frame.loc[D[90], "rank NVDA"] == 1 and pd.isna(frame.loc[D[4], "rank NVDA"])
    assert frame.loc[D[20], "rank ^SOX"] == 12            # 5 falls, 6 small rises, then ties
    assert frame.loc[D[10], "concentration"] == pytest.approx(-0.08 - -0.01)
    assert frame.loc[D[50], "concentration"] == pytest.approx(-0.06 - -0.05)
    assert frame.loc[D[95], "concentration"] == pytest.approx(-0.04 - -0.02)
    assert frame.loc[D[6], "RSP"] == 0.0
    assert frame[["RSP", "concentration"]].loc[D[:5].delete(3)].isna().all().all()
    assert pd.isna(frame.loc[D[70], "concentration"])     # no RSP that day
    want = {10: (3, 4, 0.75), 50: (4, 4, 1.0), 70: (1, 4, 0.25), 90: (1, 4, 0.25),
            100: (1, 1, 1.0), 6: (0, 4, 0.0)}
    for i, (fell, n, share) in want.items():
        assert frame.loc[D[i], ["fell", "members", "share_fell"]].tolist() == [fell, n, share], i
    assert frame.loc[D[95], ["fell", "members"]].tolist() == [0, 0]
    assert pd.isna(frame.loc[D[95], "share_fell"])         # no member traded: no share
    assert frame.loc[D[:5].delete(3), ["fell", "members", "share_fell"]].isna().all().all()


def test_rule_and_threshold_on_the_made_up_market(market):
    sel = cdays.rule()
    assert sel.attrs["k"] == {"^SOX": 3, "^GSPC": 3}
    assert list(sel.index[sel["selected"]]) == CHOSEN
    assert list(sel.index[sel["tail ^SOX"]]) == list(D[[10, 50, 90]])
    assert list(sel.index[sel["tail ^GSPC"]]) == list(D[[50, 70, 95]])
    assert cdays.threshold("^SOX") == -0.05 and cdays.threshold("^GSPC") == -0.025


def test_labels_join_events_sharing_a_day(market):
    got = cdays.labels()
    assert got.to_dict() == {D[20]: "elsewhere", D[50]: "first; second", D[90]: "primary"}


def test_recovery_three_ways(market):
    sox = cdays._recovery("^SOX", pd.DatetimeIndex(CHOSEN))
    assert list(sox.columns) == ["recovery ^SOX", "censored ^SOX", "censor ^SOX",
                                 "censor_date ^SOX"]
    assert sox.index.name == "date" and list(sox.index) == CHOSEN
    assert sox["recovery ^SOX"].tolist() == [8, 20, 0, 5, 35]
    assert sox["censored ^SOX"].tolist() == [False, True, False, True, True]
    assert sox["censor ^SOX"].tolist() == ["", cdays.NEXT, "", cdays.NEXT, cdays.END]
    assert sox["censor_date ^SOX"].tolist()[1::2] == [D[70], D[95]]
    assert sox["censor_date ^SOX"].iloc[-1] == D[129]
    assert sox["censor_date ^SOX"].iloc[[0, 2]].isna().all()
    spx = cdays._recovery("^GSPC", pd.DatetimeIndex(CHOSEN))
    assert spx["recovery ^GSPC"].tolist() == [2, 20, 20, 0, 35]
    assert spx["censored ^GSPC"].tolist() == [False, True, True, False, True]
    assert spx["censor ^GSPC"].tolist() == ["", cdays.NEXT, cdays.NEXT, "", cdays.END]
    assert spx["censor_date ^GSPC"].tolist()[1:3] == [D[70], D[90]]
    assert spx["censor_date ^GSPC"].iloc[4] == D[129]


def test_the_table_on_the_made_up_market(market):
    table = cdays._days()
    assert list(table.columns) == [
        "date", "^SOX", "^GSPC", "NVDA", "rank ^SOX", "rank ^GSPC", "rank NVDA", "RSP",
        "concentration", "fell", "members", "share_fell", "tail ^SOX", "tail ^GSPC",
        "recovery ^SOX", "censored ^SOX", "censor ^SOX", "censor_date ^SOX",
        "recovery ^GSPC", "censored ^GSPC", "censor ^GSPC", "censor_date ^GSPC",
        "label", "primary", "severity"]
    assert list(table["date"]) == CHOSEN
    assert table["tail ^SOX"].tolist() == [True, True, False, True, False]
    assert table["tail ^GSPC"].tolist() == [False, True, True, False, True]
    assert table["label"].tolist() == ["", "first; second", "", "primary", ""]
    assert table["primary"].tolist() == [False, False, False, True, False]
    assert table["severity"].tolist() == [1, 1, 2, 3, 3]
    assert table["recovery ^SOX"].tolist() == [8, 20, 0, 5, 35]
    assert table["recovery ^GSPC"].tolist() == [2, 20, 20, 0, 35]
    assert table["^SOX"].tolist() == [-0.08, -0.06, 0.001, -0.05, -0.04]
    assert list(cdays.in_panel(table)["date"]) == list(D[[10, 50, 90]])


def test_ranks_on_the_made_up_market(market):
    table = cdays._days()
    with pytest.raises(KeyError, match="2024-01-02 is not a comparison day under the rule"):
        cdays.ranks(table, D[1])
    rk = cdays.ranks(table)                                # the primary: day 90
    assert rk["day"] == D[90] and rk["n"] == 5
    assert rk["size ^SOX"] == {"value": -0.05, "rank": 3, "out_of": 5, "rank_all": 3,
                               "out_of_all": 129}
    assert rk["size ^GSPC"] == {"value": 0.0005, "rank": 5, "out_of": 5, "rank_all": 5,
                                "out_of_all": 129}
    assert rk["size NVDA"] == {"value": -0.12, "rank": 1, "out_of": 5, "rank_all": 1,
                               "out_of_all": 125}
    # concentration: in the panel -0.07 (day 10), -0.01 (50), -0.06 (90); on all 124 days with
    # an RSP (days 5-129 but 70) only day 10's is below day 90's
    assert rk["concentration"]["value"] == pytest.approx(-0.06)
    conc = {k: v for k, v in rk["concentration"].items() if k != "value"}
    assert conc == {"rank": 2, "out_of": 3, "rank_all": 2, "out_of_all": 124,
                    "first": D[5], "last": D[129]}
    assert rk["breadth"] == {"value": 0.25, "fell": 1, "members": 4, "rank": 1, "out_of": 3}
    assert rk["recovery ^SOX"] == {"sessions": 5, "censored": True, "censor": cdays.NEXT,
                                   "censor_date": D[95], "faster": 1, "tied": 0, "slower": 0,
                                   "unordered": 3, "out_of": 4}   # only day 70's 0 is faster than 5+
    assert rk["recovery ^GSPC"] == {"sessions": 0, "censored": False, "censor": "",
                                    "censor_date": rk["recovery ^GSPC"]["censor_date"],
                                    "faster": 0, "tied": 0, "slower": 4, "unordered": 0,
                                    "out_of": 4}
    assert pd.isna(rk["recovery ^GSPC"]["censor_date"])
    other = cdays.ranks(table, D[50])
    assert other["day"] == D[50]
    assert other["size ^GSPC"]["rank"] == 1 and other["size ^SOX"]["rank"] == 2
    assert other["breadth"]["rank"] == 3 and other["concentration"]["rank"] == 3
    assert other["recovery ^SOX"]["sessions"] == 20
    # day 10 regained in 8: day 70's 0 is faster, day 90's "5 or more" cannot be placed
    first = cdays.ranks(table, D[10])["recovery ^SOX"]
    assert first == {"sessions": 8, "censored": False, "censor": "", "censor_date": first["censor_date"],
                     "faster": 1, "tied": 0, "slower": 2, "unordered": 1, "out_of": 4}


def test_days_is_kept_in_the_store_under_its_name(monkeypatch):
    monkeypatch.setattr(cdays.artefacts, "keep", lambda name, compute, *parts, **kw: (name, compute))
    assert cdays.days() == ("shocks-days", cdays._days)


def test_shares_on_the_made_up_market(market):
    table = cdays._days()
    got = cdays.shares(table)
    years = got.pop("years")
    assert got == {"n": 5, "first": D[0], "last": D[129], "sessions": 129,
                   "k": {"^SOX": 3, "^GSPC": 3}, "both": 1, "in_panel": 3, "labelled": 2,
                   "outside": [(D[20], "elsewhere")]}
    assert years.to_dict() == {2024: 5}
    two = table.copy()
    two.loc[4, "date"] = T("2025-03-03")
    two.loc[0, "date"] = T("2023-03-03")
    assert list(cdays.shares(two)["years"].items()) == [(2023, 1), (2024, 3), (2025, 1)]


def test_in_panel_needs_both_measures():
    table = pd.DataFrame({"concentration": [0.1, np.nan, 0.2, np.nan],
                          "share_fell": [0.5, 0.4, np.nan, np.nan]})
    assert cdays.in_panel(table).index.tolist() == [0]


# --- the real table against the raw files ----------------------------------------------------

@pytest.fixture(scope="module")
def raw(snapshot):
    closes = {t: raw_close(f) for t, f in
              [("^SOX", "INDEX_SOX.csv"), ("^GSPC", "INDEX_GSPC.csv"), ("NVDA", "NVDA.csv")]}
    rets = pd.DataFrame({t: c.pct_change() for t, c in closes.items()}).iloc[1:]
    k = int(0.025 * len(rets))
    panel = pd.read_csv(SNAPSHOT / "panel" / "closes.csv", index_col=0, parse_dates=True)
    members = pd.read_csv(SNAPSHOT / "panel" / "members.csv")
    sp = panel[members.loc[members["kind"] == "sp500", "ticker"]].pct_change().iloc[1:]
    rsp = panel["RSP"].dropna().pct_change().iloc[1:]
    shocks = pd.read_csv(ROOT / "data" / "shocks.csv")
    return {"closes": closes, "rets": rets, "k": k, "sp": sp, "rsp": rsp, "shocks": shocks}


@pytest.fixture(scope="module")
def real(snapshot):
    cdays.daily.cache_clear()
    return cdays._days()


def test_returns_read_the_price_files_and_the_panel(raw):
    sox = cdays._returns("^SOX")
    assert sox.index.equals(raw["rets"].index)
    assert np.allclose(sox.to_numpy(), raw["rets"]["^SOX"].to_numpy(), rtol=1e-12)
    rsp = cdays._returns("RSP")
    assert rsp.notna().all() and rsp.index.equals(raw["rsp"].index)
    assert np.allclose(rsp.to_numpy(), raw["rsp"].to_numpy(), rtol=1e-12)


def test_the_real_table_every_row(raw, real):
    rets, k = raw["rets"], raw["k"]
    ranks = rets.rank(method="min")
    chosen = rets.index[ranks["^SOX"].le(k) | ranks["^GSPC"].le(k)]
    assert list(real["date"]) == list(chosen)
    t = real.set_index("date")
    for c in ("^SOX", "^GSPC", "NVDA"):
        assert np.allclose(t[c], rets.loc[chosen, c], rtol=1e-12, equal_nan=True)
        assert (t[f"rank {c}"] == ranks.loc[chosen, c]).all()
    assert (t["tail ^SOX"] == ranks.loc[chosen, "^SOX"].le(k)).all()
    assert (t["tail ^GSPC"] == ranks.loc[chosen, "^GSPC"].le(k)).all()
    assert (t["severity"] == ranks.loc[chosen, ["^SOX", "^GSPC"]].min(axis=1)).all()
    gap = (rets["^SOX"] - raw["rsp"]).reindex(chosen)
    assert np.allclose(t["concentration"], gap, rtol=1e-9, equal_nan=True)
    sp = raw["sp"].reindex(chosen)
    n = sp.notna().sum(axis=1)
    fell = (sp < 0).sum(axis=1)
    inside = chosen.isin(raw["sp"].index)
    assert (t["fell"][inside] == fell[inside]).all() and t["fell"][~inside].isna().all()
    assert (t["members"][inside] == n[inside]).all()
    assert np.allclose(t["share_fell"], (fell / n).where(inside), equal_nan=True)
    assert 0 < inside.sum() < len(chosen)


def test_the_real_labels_and_primary(raw, real):
    t = real.set_index("date")
    named = t.loc[t["label"] != "", "label"]
    assert (t["label"].isin([""]) | t["label"].isin(raw["shocks"]["label"])).all()
    # the New York events whose news came in the day: their day 0 is their date
    for label, date in [("DeepSeek shock", "2025-01-27"), ("Nvidia falls after results", "2025-02-27"),
                        ("China matches US tariffs", "2025-04-04")]:
        assert named[T(date)] == label
    assert list(t.index[t["primary"]]) == [T("2025-01-27")]


def test_the_real_recoveries_by_a_plain_loop(raw, real):
    """Every comparison day: sessions from the close before it to the first close at or above
    it, stopped at the next comparison day or the end of the data."""
    chosen = list(real["date"])
    for ticker in ("^SOX", "^GSPC"):
        close = raw["closes"][ticker]
        dates = list(close.index)
        for i, day in enumerate(chosen):
            pos = dates.index(day)
            stop = dates.index(chosen[i + 1]) if i + 1 < len(chosen) else len(dates)
            base, n, censored = close.iloc[pos - 1], 0, True
            for j in range(pos, stop):
                n += 1
                if close.iloc[j] >= base * (1 - 1e-12):
                    censored = False
                    break
            if close.iloc[pos] >= base * (1 - 1e-12):
                n = 0
            row = real.iloc[i]
            assert (row[f"recovery {ticker}"], row[f"censored {ticker}"]) == (n, censored), (ticker, day)
            if censored:
                last = i + 1 == len(chosen)
                assert row[f"censor {ticker}"] == (cdays.END if last else cdays.NEXT)
                assert row[f"censor_date {ticker}"] == (dates[-1] if last else chosen[i + 1])
            else:
                assert row[f"censor {ticker}"] == "" and pd.isna(row[f"censor_date {ticker}"])


def test_the_real_shares_and_thresholds(raw, real):
    got = cdays.shares(real)
    rets, k = raw["rets"], raw["k"]
    ranks = rets.rank(method="min")
    assert got["sessions"] == len(rets) and got["k"] == {"^SOX": k, "^GSPC": k}
    assert (got["first"], got["last"]) == (rets.index[0], rets.index[-1])
    assert got["both"] == int((ranks["^SOX"].le(k) & ranks["^GSPC"].le(k)).sum())
    assert got["n"] == len(real) and got["labelled"] == int((real["label"] != "").sum())
    # the one named event whose New York day 0 is no comparison day: Tokyo's Monday rout, when
    # the S&P 500 closed 0.2% down (raw file) and the SOX up
    assert got["outside"] == [(T("2025-04-07"), "Asian tariff rout")]
    assert -0.003 < rets.at[T("2025-04-07"), "^GSPC"] < 0 < rets.at[T("2025-04-07"), "^SOX"]
    assert got["in_panel"] == int(real["date"].isin(raw["sp"].index).sum())
    for t in ("^SOX", "^GSPC"):
        assert cdays.threshold(t) == pytest.approx(np.sort(rets[t].to_numpy())[k - 1], rel=1e-12)
