"""The named shocks' measurements (`story.shocks.measures`): every measure and every column of
the per-event row on a small made-up world (events, prices, panel, market-value losses, the
transmission model's rows and the event study's group tests stand in for the real ones) whose
answers are written out by hand here, and the moves, breadth, day 0s and paths of the real
events against an oracle recomputed with plain pandas from the raw snapshot files. Fast: no
book, no kernel, no model fitted (the real measure table is the stored one)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepshock.methods import transmission as tm
from deepshock.story.shocks import measures as ms
from tests.conftest import ROOT, SNAPSHOT, raw_close

T = pd.Timestamp
D = pd.bdate_range("2024-02-01", periods=70)   # the made-up sessions, day i = D[i]
BEYOND, WITHIN, DEPENDS = tm.VERDICTS


# --- a made-up world -------------------------------------------------------------------------

EVENTS = pd.DataFrame({
    "date": [T("2024-02-29"), T("2024-03-14"), T("2024-04-03")],
    "origin_market": ["New York", "Tokyo", "New York"],
    "label": ["alpha", "beta", "gamma"], "certainty": ["reported", "likely", "reported"],
    "role": ["comparison", "primary", "comparison"],
    "news_utc": pd.to_datetime(["2024-02-29 15:00", "2024-03-14 02:00", "2024-04-03 15:00"],
                               utc=True)})
NY0 = {"alpha": D[20], "beta": D[30], "gamma": D[45]}
TK0 = {"alpha": D[21], "beta": D[31], "gamma": D[46]}


def _series() -> dict[str, pd.Series]:
    """Nvidia, SOX, S&P 500 (all 70 days), RSP from day 5, the VIX from day 10."""
    out = {}
    for ticker, base, moves, start in [
            ("NVDA", 0.01, {10: -0.20, 20: -0.05, 30: -0.10, 45: -0.02}, 0),
            ("^SOX", 0.005, {20: -0.04, 30: -0.08, 45: 0.01, 50: -0.09}, 0),
            ("^GSPC", 0.002, {20: -0.01, 30: -0.03, 45: 0.001}, 0),
            ("RSP", 0.001, {20: -0.02, 30: -0.01, 45: 0.003}, 5),
            ("^VIX", -0.01, {12: 0.50, 20: 0.10, 30: 0.30, 45: 0.05}, 10)]:
        s = pd.Series(base, index=D[start:])
        s[D[list(moves)]] = list(moves.values())
        out[ticker] = s
    return out


def _panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    """S&P 500 members A-E and G (G never trades on the event days), an ETF F never counted;
    D has no sector."""
    members = pd.DataFrame({"ticker": list("ABCDEFG"),
                            "kind": ["sp500"] * 5 + ["etf", "sp500"],
                            "sector": ["Tech", "Tech", "Energy", "", "Utilities", "Tech", "Energy"]})
    wide = pd.DataFrame(0.001, index=D, columns=list("ABCDEFG"))
    wide.loc[D[20]] = [-0.01, 0.0, 0.02, 0.0, 0.01, -0.5, np.nan]
    wide.loc[D[30]] = [-0.04, -0.02, 0.01, -0.05, 0.0, -0.5, np.nan]
    wide.loc[D[45]] = [0.01, 0.03, -0.02, 0.0, 0.005, -0.5, np.nan]
    return members, wide


def _losses(days) -> pd.DataFrame:
    (day,) = days
    rows = {D[30]: [("X", True, "US", 50.0), ("Y", True, "US", 80.0), ("Z", True, "JP", 500.0),
                    ("W", False, "US", 900.0), ("V", True, "US", -10.0), ("S", True, "US", 0.0),
                    ("U", True, "US", 30.0), ("R", True, "US", 0.5)],
            D[20]: [("Q", True, "US", 10.0), ("P", True, "HK", 99.0)],
            D[45]: [("O", True, "US", -1.0)]}[day]
    return pd.DataFrame([{"ticker": t, "name": f"{t} Corp", "market": m, "included": inc,
                          "loss_usd": loss, "ret": -loss / 1000, "approximate": t == "X",
                          "extra": 1} for t, inc, m, loss in rows])


TOTAL = {"^N225": 0.01, "^KS11": 0.02, "^TWII": 0.03, "^STOXX": 0.04}


def _security(ticker, news, days):
    """Rows per day and bound; Tokyo has a second bound whose interval covers 0; Seoul has no
    estimate on day 0 of the last event ('none'), Europe none on either day."""
    assert tuple(days) == (0, 1)
    k = int(EVENTS.index[EVENTS["news_utc"] == news][0])
    rows = []
    for day in days:
        total = -(TOTAL[ticker] + k / 10 + day / 100)
        excess = total / 2
        if ticker == "^N225":
            rows.append({"day": day, "bound": "oc", "date": D[0], "weekdays": 9, "total": 9.0,
                         "excess": 9.0, "excess_lo": -1.0, "excess_hi": 1.0})
        rows.append({"day": day, "bound": "cc", "date": D[20 + 10 * k + day], "weekdays": 1 + day,
                     "total": total, "excess": excess, "excess_lo": excess - 0.001,
                     "excess_hi": excess + 0.001})
        if k == 2 and (ticker == "^STOXX" or (ticker == "^KS11" and day == 0)):
            rows.append({**rows[-1], "bound": "none"})
    return pd.DataFrame(rows)


UNIVERSE = pd.DataFrame({"ticker": ["U1", "U2", "U3", "U4", "J1", "J2", "J3", "J4", "O1"],
                         "group": ["US semiconductors"] * 4 + ["Japan semiconductors"] * 4
                         + ["Other"]})
BAD = {("U3", D[20]), ("U4", D[20]), ("U4", D[30]), ("U4", D[45]), ("J4", D[21]), ("J4", D[31]),
       ("J3", D[46]), ("J4", D[46])}       # no full estimation window
WINDOW_CAAR = {"[0]": -0.10, "[0,+1]": -0.20, "[-1,+1]": -0.30}


def _security_es(ticker, event):
    assert ticker != "O1"
    if (ticker, event) in BAD:
        raise ValueError("too short")
    return (ticker, event)


def _group_tests(members, group):
    day0 = members[0][1]
    return [{"group": group, "window": w, "caar": c, "kp": float(len(members)),
             "kp_p": day0.day / 100, "port_t": -2.5, "port_p": 0.01, "n": len(members)}
            for w, c in WINDOW_CAAR.items()]


@pytest.fixture
def world(monkeypatch):
    series = _series()
    members, wide = _panel()
    day0 = {"XNYS": NY0, "XTKS": TK0}
    monkeypatch.setattr(ms.event, "events", lambda: EVENTS)
    monkeypatch.setattr(ms.event, "day0", lambda market, label=None: day0[market][label])
    monkeypatch.setattr(ms, "event_day0", lambda market, label=None: day0[market][label])
    monkeypatch.setattr(ms, "_series", lambda t: series[t])
    monkeypatch.setattr(ms.load, "panel_members", lambda: members)
    monkeypatch.setattr(ms.load, "panel_returns", lambda: wide)
    monkeypatch.setattr(ms.marketvalue, "losses", _losses)
    monkeypatch.setattr(ms.tr, "security", _security)
    monkeypatch.setattr(ms.facts, "universe", lambda: UNIVERSE)
    monkeypatch.setattr(ms.es, "security", _security_es)
    monkeypatch.setattr(ms.es, "group_tests", _group_tests)
    return series


def test_events_carry_both_day0s(world):
    table = ms.events()
    assert list(table["label"]) == ["alpha", "beta", "gamma"]
    assert list(table["day0"]) == [D[20], D[30], D[45]]
    assert list(table["day0_tokyo"]) == [D[21], D[31], D[46]]


def test_moves_every_column(world):
    got = ms.moves(D[30])
    assert list(got.columns) == ["ticker", "name", "ret", "rank", "out_of", "first", "last"]
    assert list(got["ticker"]) == ["NVDA", "^SOX", "^GSPC", "RSP", "^VIX"]
    assert list(got["name"]) == ["Nvidia", "SOX", "S&P 500", "S&P 500 equal weight", "VIX"]
    assert list(got["ret"]) == [-0.10, -0.08, -0.03, -0.01, 0.30]
    assert list(got["rank"]) == [2, 2, 1, 2, 2]      # the VIX by rises: only day 12's is larger
    assert list(got["out_of"]) == [70, 70, 70, 65, 60]
    assert list(got["first"]) == [D[0]] * 3 + [D[5], D[10]]
    assert list(got["last"]) == [D[69]] * 5
    assert list(ms.moves(D[45])["rank"]) == [4, 70, 3, 65, 4]


def test_breadth_every_key(world):
    got = ms.breadth(D[30])
    sectors = got.pop("sectors")
    assert got == pytest.approx({"fell": 3, "rose": 1, "n": 5, "share_fell": 0.6, "mean": -0.02,
                                 "worst_sector": "Tech", "worst_sector_ret": -0.03,
                                 "best_sector": "Energy", "best_sector_ret": 0.01})
    assert list(sectors.index) == ["Tech", "Utilities", "Energy"]    # D (no sector) left out
    assert sectors.to_numpy() == pytest.approx([-0.03, 0.0, 0.01])
    other = ms.breadth(D[45])
    assert (other["worst_sector"], other["best_sector"]) == ("Energy", "Tech")
    assert other["worst_sector_ret"] == pytest.approx(-0.02)
    assert other["best_sector_ret"] == pytest.approx(0.02)


def test_losers_filter_and_order(world):
    got = ms.losers(D[30])
    assert list(got.columns) == ["ticker", "name", "ret", "loss_usd", "approximate"]
    assert list(got["ticker"]) == ["Y", "X", "U"]
    assert list(got["loss_usd"]) == [80.0, 50.0, 30.0]
    assert list(got["approximate"]) == [False, True, False]
    assert list(ms.losers(D[30], n=10)["ticker"]) == ["Y", "X", "U", "R"]   # no gain, no zero
    assert ms.losers(D[30], n=10)["loss_usd"].iloc[-1] == 0.5                # a small loss counts
    assert list(ms.losers(D[20])["ticker"]) == ["Q"]
    assert ms.losers(D[45]).empty


def test_transmission_rows(world):
    got = ms.transmission(EVENTS.iloc[1])
    assert list(got.columns) == ["market", "ticker", "day", "session", "weekdays", "total",
                                 "excess", "verdict"]
    assert list(got["market"]) == ["Tokyo", "Tokyo", "Seoul", "Seoul", "Taipei", "Taipei",
                                   "Europe", "Europe"]
    assert list(got["ticker"]) == ["^N225"] * 2 + ["^KS11"] * 2 + ["^TWII"] * 2 + ["^STOXX"] * 2
    assert list(got["day"]) == [0, 1] * 4
    assert list(got["session"]) == [D[30], D[31]] * 4
    assert list(got["weekdays"]) == [1, 2] * 4
    assert got["total"].tolist() == pytest.approx([-0.11, -0.12, -0.12, -0.13, -0.13, -0.14,
                                                   -0.14, -0.15])
    assert got["excess"].tolist() == pytest.approx((got["total"] / 2).tolist())
    assert list(got["verdict"]) == [DEPENDS] * 2 + [BEYOND] * 6
    last = ms.transmission(EVENTS.iloc[2])
    assert list(last["market"]) == ["Tokyo", "Tokyo", "Seoul", "Taipei", "Taipei"]
    assert list(last["day"]) == [0, 1, 1, 0, 1]


def test_groups_rows(world):
    got = ms.groups(EVENTS.iloc[1])
    assert list(got["group"]) == ["US semiconductors", "Japan semiconductors"]
    assert list(got["window"]) == ["[0]", "[0,+1]"]
    assert list(got["caar"]) == [-0.10, -0.20]
    assert list(got["n"]) == [3, 3] and list(got["left_out"]) == [1, 1]
    assert list(got["kp_p"]) == [D[30].day / 100, D[31].day / 100]   # each at its own day 0
    last = ms.groups(EVENTS.iloc[2])                # Japan: two members only -> no row
    assert list(last["group"]) == ["US semiconductors"]
    first = ms.groups(EVENTS.iloc[0])               # the US group left out, Japan still measured
    assert list(first["group"]) == ["Japan semiconductors"] and list(first["left_out"]) == [1]


def test_path_window_and_base(world):
    got = ms.path(D[30])
    assert list(got.columns) == ["series", "tau", "cum_pct"]
    assert list(got["series"].unique()) == ["Nvidia", "SOX", "S&P 500", "S&P 500 equal weight"]
    assert list(got["tau"]) == list(range(-5, 21)) * 4
    assert list(got.index) == list(range(4 * 26))
    nv = got.loc[got["series"] == "Nvidia"].set_index("tau")["cum_pct"]
    assert nv[-1] == pytest.approx(0.0, abs=1e-12)
    assert nv[-5] == pytest.approx((1 / 1.01 ** 4 - 1) * 100)
    assert nv[0] == pytest.approx(-10.0)
    assert nv[15] == pytest.approx((0.9 * 1.01 ** 14 * 0.98 - 1) * 100)   # day 45's -2%
    assert nv[20] == pytest.approx((0.9 * 1.01 ** 19 * 0.98 - 1) * 100)
    sox = got.loc[got["series"] == "SOX"].set_index("tau")["cum_pct"]
    assert sox[20] == pytest.approx((0.92 * 1.005 ** 18 * 1.01 * 0.91 - 1) * 100)


def test_paths_label_every_event(world):
    got = ms.paths()
    assert list(got["event"].unique()) == ["alpha (29 Feb 2024)", "beta (14 Mar 2024)",
                                           "gamma (4 Apr 2024)"]
    assert list(got.index) == list(range(3 * 4 * 26))
    first = got.loc[got["event"] == "beta (14 Mar 2024)"]
    assert first["cum_pct"].tolist() == pytest.approx(ms.path(D[30])["cum_pct"].tolist())


def test_measure_row_every_column(world):
    table = ms._measure()
    assert list(table["label"]) == ["alpha", "beta", "gamma"]
    row = table.iloc[1]
    assert (row["date"], row["day0"], row["origin"], row["certainty"], row["primary"]) == (
        T("2024-03-14"), D[30], "Tokyo", "likely", True)
    assert list(table["primary"]) == [False, True, False]
    for ticker, ret, rank, n in [("NVDA", -0.10, 2, 70), ("^SOX", -0.08, 2, 70),
                                 ("^GSPC", -0.03, 1, 70), ("RSP", -0.01, 2, 65),
                                 ("^VIX", 0.30, 2, 60)]:
        assert (row[f"ret {ticker}"], row[f"rank {ticker}"], row[f"out_of {ticker}"]) == (
            ret, rank, n), ticker
    assert (row["fell"], row["n"], row["share_fell"]) == (3, 5, 0.6)
    assert (row["worst_sector"], row["best_sector"]) == ("Tech", "Energy")
    assert row["worst_sector_ret"] == pytest.approx(-0.03)
    assert row["best_sector_ret"] == pytest.approx(0.01)
    assert "rose" not in table.columns and "mean" not in table.columns
    assert row["concentration"] == pytest.approx(-0.08 - -0.01)
    assert row["Tokyo d1 session"] == D[31] and row["Seoul d0 weekdays"] == 1
    assert row["Taipei d1 total"] == pytest.approx(-0.14)
    assert row["Europe d0 excess"] == pytest.approx(-0.07)
    assert row["Tokyo d0 verdict"] == DEPENDS and row["Seoul d1 verdict"] == BEYOND
    assert row["US semiconductors caar"] == -0.10 and row["Japan semiconductors caar"] == -0.20
    assert (row["US semiconductors window"], row["Japan semiconductors window"]) == ("[0]", "[0,+1]")
    assert row["US semiconductors kp"] == 3.0 and row["Japan semiconductors n"] == 3
    assert row["US semiconductors kp_p"] == D[30].day / 100
    assert row["Japan semiconductors kp_p"] == D[31].day / 100
    assert (row["US semiconductors port_t"], row["US semiconductors port_p"]) == (-2.5, 0.01)
    assert (row["top_loser"], row["top_loss"]) == ("Y Corp", 80.0)
    assert list(row["losers"]["ticker"]) == ["Y", "X", "U"]
    last = table.iloc[2]
    assert all(pd.isna(last[f"Europe d{d} {c}"]) for d in (0, 1)
               for c in ("session", "weekdays", "total", "excess", "verdict"))
    assert last["Tokyo d0 total"] == pytest.approx(-0.21)
    assert all(pd.isna(last[f"Japan semiconductors {c}"])
               for c in ("caar", "kp", "kp_p", "port_t", "port_p", "n", "window"))
    # NaN, never None, in the columns of text (the verdict, the window)
    assert isinstance(last["Europe d0 verdict"], float) and isinstance(last["Europe d1 verdict"], float)
    assert isinstance(last["Japan semiconductors window"], float)
    assert last["US semiconductors n"] == 3
    assert last["top_loser"] == "" and pd.isna(last["top_loss"]) and last["losers"].empty
    assert table.iloc[0]["top_loser"] == "Q Corp"
    assert pd.isna(table.iloc[0]["US semiconductors caar"])
    assert table.iloc[0]["Japan semiconductors caar"] == -0.20
    assert pd.isna(last["Seoul d0 total"]) and last["Seoul d1 total"] == pytest.approx(-0.23)


def test_measure_without_any_market_or_group(world, monkeypatch):
    """No market and no group measured (empty frames with their columns): NaN, never None."""
    monkeypatch.setattr(ms, "transmission", lambda event: pd.DataFrame(
        columns=["market", "ticker", "day", "session", "weekdays", "total", "excess", "verdict"]))
    monkeypatch.setattr(ms, "groups", lambda event: pd.DataFrame(
        columns=["group", "window", "caar", "kp", "kp_p", "port_t", "port_p", "n", "left_out"]))
    table = ms._measure()
    for col in ("Tokyo d0 total", "Europe d1 verdict", "US semiconductors caar",
                "Japan semiconductors window"):
        assert table[col].dtype == float and table[col].isna().all(), col


def test_measure_never_measured_columns_are_float_nan(world, monkeypatch):
    """Europe never measured and the Japanese group never tested, for any event: the columns
    hold NaN (float), as where they are measured for some events."""
    def security(ticker, news, days):
        table = _security(ticker, news, days)
        return pd.concat([table, table.assign(bound="none")]) if ticker == "^STOXX" else table
    monkeypatch.setattr(ms.tr, "security", security)
    monkeypatch.setattr(ms.es, "security", lambda t, event: (t, event) if t.startswith("U")
                        else _security_es("J4", D[21]))
    table = ms._measure()
    for col in ("Europe d0 total", "Europe d1 weekdays", "Japan semiconductors caar",
                "Japan semiconductors n"):
        assert table[col].dtype == float and table[col].isna().all(), col
    assert table["US semiconductors n"].tolist() == [4, 4, 4]


def test_measure_is_kept_in_the_store_under_its_name(monkeypatch):
    monkeypatch.setattr(ms.artefacts, "keep", lambda name, compute, *parts, **kw: (name, compute))
    ms.measure.cache_clear()
    try:
        assert ms.measure() == ("shocks-measure", ms._measure)
    finally:
        ms.measure.cache_clear()


# --- the real events against the raw files ---------------------------------------------------

FILES = {"NVDA": "NVDA.csv", "^SOX": "INDEX_SOX.csv", "^GSPC": "INDEX_GSPC.csv",
         "^VIX": "INDEX_VIX.csv"}
# New York's and Tokyo's day 0 of each named shock: the first session closing after the news
# (news times of data/shocks.csv; Tokyo closes at 06:00 UTC, New York at 21:00 UTC)
DAY0 = {"Yen carry-trade unwind": ("2024-08-05", "2024-08-05"),
        "Nvidia's $279bn day": ("2024-09-03", "2024-09-04"),
        "Fed 'hawkish cut'": ("2024-12-18", "2024-12-19"),
        "DeepSeek shock": ("2025-01-27", "2025-01-27"),
        "Nvidia falls after results": ("2025-02-27", "2025-02-27"),
        "'Liberation Day' tariffs": ("2025-04-03", "2025-04-03"),
        "China matches US tariffs": ("2025-04-04", "2025-04-07"),
        "Asian tariff rout": ("2025-04-07", "2025-04-07")}


@pytest.fixture(scope="module")
def raw(snapshot):
    rets = {t: raw_close(f).pct_change().iloc[1:] for t, f in FILES.items()}
    closes = pd.read_csv(SNAPSHOT / "panel" / "closes.csv", index_col=0, parse_dates=True)
    rets["RSP"] = closes["RSP"].dropna().pct_change().iloc[1:]
    members = pd.read_csv(SNAPSHOT / "panel" / "members.csv", keep_default_na=False)
    return {"rets": rets, "closes": closes, "members": members}


def test_the_real_day0s(snapshot):
    table = ms.events().set_index("label")
    assert sorted(table.index) == sorted(DAY0)
    for label, (ny, tokyo) in DAY0.items():
        assert (table.at[label, "day0"], table.at[label, "day0_tokyo"]) == (T(ny), T(tokyo)), label


def test_the_real_moves_every_event(raw):
    for ny, _ in DAY0.values():
        got = ms.moves(T(ny)).set_index("ticker")
        for ticker, rets in raw["rets"].items():
            ret = rets[T(ny)]
            worse = rets > ret if ticker == "^VIX" else rets < ret
            assert got.at[ticker, "ret"] == pytest.approx(ret, rel=1e-9), (ny, ticker)
            assert got.at[ticker, "rank"] == int(worse.sum()) + 1, (ny, ticker)
            assert got.at[ticker, "out_of"] == len(rets)
            assert (got.at[ticker, "first"], got.at[ticker, "last"]) == (rets.index[0], rets.index[-1])


def test_the_real_breadth_every_event(raw):
    members = raw["members"]
    sp = members.loc[members["kind"] == "sp500"].set_index("ticker")
    closes = raw["closes"][sp.index]
    for ny, _ in DAY0.values():
        pos = closes.index.get_loc(T(ny))
        day = (closes.iloc[pos] / closes.iloc[pos - 1] - 1).dropna()
        got = ms.breadth(T(ny))
        assert (got["fell"], got["rose"], got["n"]) == (int((day < 0).sum()), int((day > 0).sum()),
                                                        len(day)), ny
        assert got["share_fell"] == pytest.approx((day < 0).mean())
        assert got["mean"] == pytest.approx(day.mean())
        sector = sp.loc[day.index, "sector"]
        means = day[sector != ""].groupby(sector[sector != ""]).mean()
        assert (got["worst_sector"], got["best_sector"]) == (means.idxmin(), means.idxmax()), ny
        assert got["worst_sector_ret"] == pytest.approx(means.min())
        assert got["best_sector_ret"] == pytest.approx(means.max())


def test_the_real_deepseek_path(snapshot):
    got = ms.path(T("2025-01-27"))
    for ticker, name in [("NVDA", "Nvidia"), ("^SOX", "SOX"), ("^GSPC", "S&P 500")]:
        close = raw_close(FILES[ticker])
        pos = close.index.get_loc(T("2025-01-27"))
        want = (close.iloc[pos - 5:pos + 21] / close.iloc[pos - 1] - 1) * 100
        assert got.loc[got["series"] == name, "cum_pct"].to_numpy() == pytest.approx(
            want.to_numpy(), abs=1e-9)
    assert got.loc[(got["series"] == "Nvidia") & (got["tau"] == 0), "cum_pct"].item() == (
        pytest.approx(-16.97, abs=0.01))
