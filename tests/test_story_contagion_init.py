"""Delayed contagion's chapter text (`story.contagion`): the closures, the answer tables'
market-days, the calendar, the first sessions' moves, New York during the holiday gaps, the
reopenings against the New York funds and the one model's answer. On the data, every value
against oracles recomputed here from the raw snapshot files, `exchange_calendars` directly and
the committed facts (with `tests/oracle/asia.py` and `tests/oracle/transmission.py`); each
branch on small made-up inputs written out here. Fast: no book, no kernel."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from deepshock.methods import transmission as tm
from deepshock.story import contagion as cg
from tests.oracle import asia as oracle_asia
from tests.oracle import raw
from tests.oracle import transmission as oracle_tm  # noqa: F401  (registers cg_short)
from tests.oracle.registry import ORACLE
from tests import fakeecho

T = pd.Timestamp
MON, TUE = T("2025-01-27"), T("2025-01-28")
PAGE = "chapters/contagion"
WITHIN, BEYOND, DEPENDS = tm.VERDICTS[1], tm.VERDICTS[0], tm.VERDICTS[2]


def oracle(key: str) -> str:
    return ORACLE[(PAGE, key)]()


def move(r: float) -> str:
    """The house's move as a predicate, written again: 'fell 2.1%', 'rose 0.4%'."""
    if abs(r) < 0.0005:
        return "was unchanged to one decimal"
    return f"fell {-r * 100:.1f}%" if r < 0 else f"rose {r * 100:.1f}%"


def short(d) -> str:
    return f"{T(d).day} {T(d):%B}"


# --- the closures and the answer tables' market-days ------------------------------------------

def shut_from_the_data() -> dict[str, list[pd.Timestamp]]:
    """Each market's Lunar New Year closure: the weekdays no series of the market has a bar."""
    return {"XKRX": list(oracle_asia.closed_weekdays("XKRX")),
            "XTAI": list(oracle_asia.closed_weekdays("XTAI")),
            "XHKG": list(oracle_asia.closed_weekdays("XHKG")),
            "XSHG": list(oracle_asia.closed_weekdays("XSHG"))}


def test_closures_are_the_weekdays_without_bars(snapshot):
    got = cg.closures()
    assert {m: list(d) for m, d in got.items()} == shut_from_the_data()
    assert [len(got[m]) for m in ("XKRX", "XTAI", "XHKG", "XSHG")] == [4, 7, 3, 6]


def sessions_from(ticker: str, start: pd.Timestamp) -> pd.DatetimeIndex:
    index = raw.close(ticker).index
    return index[index >= start]


def test_blocks_on_the_data(snapshot):
    """Hong Kong's first session back is its third after the news (27 and 28 January, then
    3 February), Shanghai's its second (27 January, then 5 February)."""
    hk_back, sh_back = T("2025-02-03"), T("2025-02-05")
    hk_day = list(sessions_from("^HSI", MON)).index(hk_back)
    sh_day = list(sessions_from("000001.SS", MON)).index(sh_back)
    assert (hk_day, sh_day) == (2, 1)
    assert cg.blocks(hk_back, sh_back) == {
        "korea": [("^KS11", 0), ("000660.KS", 0), ("005930.KS", 0)],
        "taiwan": [("^TWII", 0), ("2330.TW", 0)],
        "china": [("^HSI", 0), ("^HSI", 1), ("^HSI", hk_day), ("000001.SS", 0),
                  ("000001.SS", sh_day)],
        "europe": [("^STOXX", 0), ("^STOXX", 1), ("^STOXX50E", 0), ("^GDAXI", 0), ("SU.PA", 0)]}


def test_blocks_ask_each_market_for_its_own_reopening(monkeypatch):
    seen = []
    monkeypatch.setattr(cg.echo, "day_of", lambda t, d: seen.append((t, d)) or {
        "^HSI": 7, "000001.SS": 9}[t])
    got = cg.blocks(T("2025-02-03"), T("2025-02-05"))
    assert seen == [("^HSI", T("2025-02-03")), ("000001.SS", T("2025-02-05"))]
    assert got["china"] == [("^HSI", 0), ("^HSI", 1), ("^HSI", 7), ("000001.SS", 0),
                            ("000001.SS", 9)]


# --- the calendar -----------------------------------------------------------------------------

def first_from_the_data() -> dict[str, pd.Series]:
    """Each first-back line's first session on or after the shock day, the close before it
    and the move between (raw closes)."""
    out = {}
    for ticker in cg.FIRST_BACK:
        prev, first, r = oracle_asia.reopened(ticker)
        out[ticker] = pd.Series({"date": first, "prev_date": prev, "ret": r})
    return out


def test_calendar_text_on_the_data(snapshot):
    shut, first = shut_from_the_data(), first_from_the_data()
    got = cg.calendar_text(shut, first)
    half = oracle_asia.utc("XHKG", "close", T("2025-01-28"))   # the eve of the holiday
    hk_back = sessions_from("^HSI", shut["XHKG"][-1])[0]
    sh_back = sessions_from("000001.SS", shut["XSHG"][-1])[0]
    want = {"kr_first": oracle("kr_first"), "kr_prev": oracle("kr_prev"),
            "tw_prev": oracle("tw_prev"), "tw_first": oracle("tw_first"),
            "tw_prev_short": short(first["2330.TW"]["prev_date"]),
            "hk_half_close": f"{half:%H:%M} UTC",
            "hk_half_local": f"{half + pd.Timedelta(hours=8):%H:%M}",   # HKT, UTC+8
            "hk_back": raw.day(hk_back, weekday=True), "sh_back": raw.day(sh_back, weekday=True)}
    for key, market in (("kr", "XKRX"), ("tw", "XTAI"), ("hk", "XHKG"), ("sh", "XSHG")):
        want |= {f"{key}_closed_from": short(shut[market][0]),
                 f"{key}_closed_to": short(shut[market][-1])}
    want |= {"kr_closed_n": oracle("kr_closed_n"), "tw_closed_n": oracle("tw_closed_n")}
    assert got == want
    assert (got["hk_half_close"], got["hk_half_local"]) == ("04:00 UTC", "12:00")
    assert (got["hk_back"], got["sh_back"]) == ("Monday 3 February 2025",
                                                "Wednesday 5 February 2025")
    for key in ("kr_closed_from", "kr_closed_to", "tw_closed_from", "tw_closed_to"):
        assert got[key] == oracle(key), key
    assert (got["kr_closed_from"], got["kr_closed_to"]) == ("27 January", "30 January")


def test_calendar_text_reads_the_first_and_last_closed_days(snapshot):
    """Made-up closures (three weekdays each, not in a row): Hong Kong's half day is the
    session before its first closed day, its reopening the first session on or after its last
    closed day (the same for Shanghai)."""
    shut = {"XKRX": [T("2025-01-27"), T("2025-01-29"), T("2025-01-30")],
            "XTAI": [T("2025-01-23"), T("2025-01-28"), T("2025-02-04"), T("2025-02-05")],
            "XHKG": [T("2025-01-29"), T("2025-02-04"), T("2025-02-07")],
            "XSHG": [T("2025-01-28"), T("2025-02-06"), T("2025-02-10")]}
    got = cg.calendar_text(shut, first_from_the_data())
    assert got["hk_half_close"] == "04:00 UTC"             # 28 Jan, not 3 Feb (08:00 UTC)
    assert got["hk_back"] == "Friday 7 February 2025"      # not 4 February
    assert got["sh_back"] == "Monday 10 February 2025"     # not 6 February
    assert (got["hk_closed_from"], got["hk_closed_to"]) == ("29 January", "7 February")
    assert (got["kr_closed_from"], got["kr_closed_to"], got["kr_closed_n"]) == (
        "27 January", "30 January", "three")
    assert (got["tw_closed_from"], got["tw_closed_to"], got["tw_closed_n"]) == (
        "23 January", "5 February", "four")
    assert "hk_closed_n" not in got and "sh_closed_n" not in got


# --- the first sessions, Europe, China and Hong Kong --------------------------------------------

def fund_move(ticker: str, date=MON) -> float:
    return float(raw.panel_rets().at[T(date), ticker])


def test_moves_text_on_the_data(snapshot):
    first = first_from_the_data()
    got = cg.moves_text(first, T("2025-02-03"))
    su = raw.bars("SU.PA")
    at = su.index.get_loc(TUE)
    usual = su["volume"].iloc[at - 60:at].median()
    want = {key: oracle(key) for key in ("hynix", "samsung", "kospi", "tsmc", "taiex",
                                         "tsm_adr_mon", "asml", "schneider")}
    want |= {
        "hk_mon": move(raw.ret("^HSI", MON)), "hk_tue": move(raw.ret("^HSI", TUE)),
        "hk_back_ret": move(raw.ret("^HSI", "2025-02-03")),
        "sh_mon": move(raw.ret("000001.SS", MON)), "tencent": move(raw.ret("0700.HK", MON)),
        "alibaba_hk": move(raw.ret("9988.HK", MON)), "baidu_hk": move(raw.ret("9888.HK", MON)),
        "baba": move(raw.ret("BABA", MON)),
        "china_funds": "; ".join(f"{t} {move(fund_move(t))}" for t in ("FXI", "MCHI", "KWEB")),
        "su_vol": f"{su.at[TUE, 'volume'] / usual:.1f}",
        "su_low": ("at its low of the day" if su.at[TUE, "close"] == su.at[TUE, "low"]
                   else "above its low"),
        "su_index": move(raw.ret("^STOXX", TUE)), "su_tue": move(raw.ret("SU.PA", TUE)),
        "stoxx": move(raw.ret("^STOXX", MON)), "stoxx50": move(raw.ret("^STOXX50E", MON)),
        "dax": move(raw.ret("^GDAXI", MON))}
    assert got == want
    assert (got["hynix"], got["su_low"], got["su_tue"]) == (
        "9.9%", "at its low of the day", "fell 7.5%")


def test_moves_text_states_the_first_sessions_it_is_given(monkeypatch, snapshot):
    """Made-up first sessions and a made-up Schneider bar that closed above its low."""
    first = {t: pd.Series({"ret": r}) for t, r in (("000660.KS", -0.011), ("005930.KS", -0.022),
                                                   ("^KS11", -0.033), ("2330.TW", -0.044),
                                                   ("^TWII", -0.055))}
    seen = []
    monkeypatch.setattr(cg.europe, "bar_check", lambda ticker: seen.append(ticker) or
                        SimpleNamespace(volume_ratio=2.04, closed_at_low=False, index_ret=-0.012,
                                        ret=0.03))
    got = cg.moves_text(first, T("2025-01-27"))
    assert seen == ["SU.PA"]
    assert (got["hynix"], got["samsung"], got["kospi"], got["tsmc"], got["taiex"]) == (
        "1.1%", "2.2%", "3.3%", "4.4%", "5.5%")
    assert (got["su_vol"], got["su_low"], got["su_index"], got["su_tue"]) == (
        "2.0", "above its low", "fell 1.2%", "rose 3.0%")
    assert got["hk_back_ret"] == got["hk_mon"] == move(raw.ret("^HSI", MON))


# --- New York while Seoul and Taipei were shut ------------------------------------------------

def ny_window(local: str, last: str, back: str) -> tuple[pd.Timestamp, pd.Timestamp, int]:
    """The New York sessions that closed after the local close of `last` and before the local
    open of `back`: (the session before the first of them, the last of them, how many)."""
    cal = raw.calendar("XNYS")
    days = cal.sessions_in_range("2025-01-01", "2025-02-28")
    closes = pd.Series([cal.session_close(d).tz_convert("UTC").tz_localize(None) for d in days],
                       index=days)
    start = closes.index[closes < oracle_asia.utc(local, "close", last)][-1]
    end = closes.index[closes < oracle_asia.utc(local, "open", back)][-1]
    return start, end, int(((closes.index > start) & (closes.index <= end)).sum())


def between(ticker: str, start, end) -> float:
    c = raw.close(ticker)
    return c[T(end)] / c[T(start)] - 1


def test_gaps_text_on_the_data(snapshot):
    got = cg.gaps_text()
    kr = ny_window("XKRX", "2025-01-24", "2025-01-31")
    tw = ny_window("XTAI", "2025-01-22", "2025-02-03")
    tsm, local = between("TSM", tw[0], tw[1]), between("2330.TW", "2025-01-22", "2025-02-03")
    news = raw.facts("confounders")

    def on(label: str) -> str:
        return raw.day(news.loc[news["label"] == label, "date"].iloc[0], weekday=True)
    assert got == {
        "mu_start": short(kr[0]), "mu_end": short(kr[1]), "mu_n": raw.count(kr[2]),
        "mu_ret": move(between("MU", kr[0], kr[1])),
        "nv_gap_ret": move(between("NVDA", kr[0], kr[1])),
        "tsm_start": short(tw[0]), "tsm_end": short(tw[1]), "tsm_n": raw.count(tw[2]),
        "tsm_ret": move(tsm),
        "tsm_gap": f"{abs(local - tsm) * 100:.1f} percentage points more",
        "tariff_day": on("US tariff orders signed"),
        "chip_tariff_day": on("Trump: chip tariffs coming")}
    assert (kr[0], kr[1], kr[2]) == (T("2025-01-23"), T("2025-01-30"), 5)
    assert (tw[0], tw[1], tw[2]) == (T("2025-01-21"), T("2025-01-31"), 8)
    assert local < tsm


@pytest.mark.parametrize("local,us,said", [
    (0.010, -0.002, "1.2 percentage points less"),      # Taipei fell less than the ADR
    (-0.030, -0.010, "2.0 percentage points more"),
    (0.0004, 0.0, "as much"), (-0.0004, 0.0, "as much"),
    (0.0005, 0.0, "0.1 percentage points less"),        # half a tenth: stated, not "as much"
])
def test_tsmc_gap_in_words(monkeypatch, snapshot, local, us, said):
    real = cg.asia.gap_comparison
    seen = []

    def fake(a, b):
        seen.append((a, b))
        got = real(a, b)
        return got | {"local_ret": local, "us_ret": us} if (a, b) == ("2330.TW", "TSM") else got
    monkeypatch.setattr(cg.asia, "gap_comparison", fake)
    got = cg.gaps_text()
    assert got["tsm_gap"] == said
    assert got["tsm_ret"] == move(us)
    assert seen == [("2330.TW", "TSM"), ("000660.KS", "MU"), ("000660.KS", "NVDA")]


# --- the reopenings against the New York funds ------------------------------------------------

def pairs_frame(left: dict[str, float]) -> pd.DataFrame:
    """Made-up reopenings: local and fund moves (%), New York sessions, what was left (pp)."""
    rows = {"^KS11": (-10.0, -0.72, 5), "^TWII": (-3.53, 10.0, 8), "^HSI": (-0.04, 0.43, 4),
            "000001.SS": (-0.64, 4.01, 7)}
    return pd.DataFrame([{"ticker": t, "local_pct": lp, "fund_pct": fp, "ny_sessions": n,
                          "left_pp": left[t]} for t, (lp, fp, n) in rows.items()])


@pytest.fixture
def bound(monkeypatch):
    """A stand-in for `reopening.bound`: 0.5 points, and the frame it was asked about."""
    seen = []
    monkeypatch.setattr(cg.reopening, "bound", lambda pairs: seen.append(pairs) or 0.5)
    return seen


ALL_WITHIN = {"^KS11": WITHIN, "^TWII": WITHIN, "^HSI": WITHIN}


def test_funds_text_when_the_funds_and_the_model_agree(bound):
    pairs = pairs_frame({"^KS11": -0.05, "^TWII": -0.41, "^HSI": -0.46, "000001.SS": -4.66})
    got = cg.funds_text(pairs, ALL_WITHIN)
    assert got == {
        "rp_max_gap": "0.5 percentage points", "rp_bound": "0.5",
        "rp_sh_gap": "4.7 percentage points",
        "rp_near": ("the three markets reopened close to where their New York funds had gone, "
                    "currency included"),
        "rp_reconcile": ("The funds and the model ask different questions, and for the KOSPI, "
                         "the Taiex and the Hang Seng they agree: each reopened within its usual "
                         "echo of New York and within 0.5 points of its fund."),
        "rp_kospi": "fell 10.0%", "rp_ewy": "fell 0.7%", "rp_taiex": "fell 3.5%",
        "rp_ewt": "rose 10.0%", "rp_hsi": "was unchanged to one decimal", "rp_ewh": "rose 0.4%",
        "rp_sh": "fell 0.6%", "rp_mchi": "rose 4.0%", "rp_ewy_n": "five", "rp_ewt_n": "eight"}
    assert len(bound) == 1 and bound[0] is pairs


def test_funds_text_when_some_differ(bound):
    """The Taiex beyond its echo, the Hang Seng 0.6 points from its fund (beyond the bound):
    both differ; the KOSPI, 0.5 points from its fund (at the bound), agrees."""
    pairs = pairs_frame({"^KS11": 0.5, "^TWII": -0.41, "^HSI": -0.6, "000001.SS": 1.04})
    got = cg.funds_text(pairs, {"^KS11": WITHIN, "^TWII": BEYOND, "^HSI": WITHIN})
    assert got["rp_reconcile"] == (
        "The funds and the model ask different questions, and for the KOSPI they agree: each "
        "reopened within its usual echo of New York and within 0.5 points of its fund; for the "
        "Taiex and the Hang Seng they do not, and the model's verdict stands as the answer.")
    assert got["rp_sh_gap"] == "1.0 percentage points"


def test_funds_text_when_none_agree(bound):
    pairs = pairs_frame({"^KS11": -0.05, "^TWII": -0.41, "^HSI": -0.46, "000001.SS": -4.66})
    got = cg.funds_text(pairs, {"^KS11": DEPENDS, "^TWII": BEYOND, "^HSI": "not measured"})
    assert got["rp_reconcile"] == (
        "The funds and the model ask different questions; for the KOSPI, the Taiex and the Hang "
        "Seng they do not, and the model's verdict stands as the answer.")


@pytest.mark.parametrize("hsi,near", [(-1.99, True), (-2.0, False), (2.5, False)])
def test_funds_text_near_means_under_two_points_for_all_three(bound, hsi, near):
    """Near: each of the three funds' markets (not Shanghai) under 2 points from its fund."""
    pairs = pairs_frame({"^KS11": -0.05, "^TWII": -0.41, "^HSI": hsi, "000001.SS": -4.66})
    got = cg.funds_text(pairs, ALL_WITHIN)
    assert got["rp_near"].startswith("the three markets reopened close to" if near else
                                     "the three markets reopened some way from where their New "
                                     "York funds had gone")
    assert got["rp_near"].endswith("currency included" if near else "had gone")


def test_funds_text_on_the_data(snapshot):
    from deepshock.story.contagion import reopening
    got = cg.funds_text(reopening.pairs(), ALL_WITHIN)
    gaps = {t: oracle_asia.reopening_gap(t) for t in ("^KS11", "^TWII", "^HSI", "000001.SS")}
    for ticker, local, fund in (("^KS11", "rp_kospi", "rp_ewy"), ("^TWII", "rp_taiex", "rp_ewt"),
                                ("^HSI", "rp_hsi", "rp_ewh"), ("000001.SS", "rp_sh", "rp_mchi")):
        assert (got[local], got[fund]) == tuple(map(move, gaps[ticker])), ticker
    left = {t: abs(a - b) * 100 for t, (a, b) in gaps.items()}
    bound = np.ceil(round(max(v for v in left.values() if v < 2.0) * 10, 6)) / 10
    assert got["rp_bound"] == f"{bound:.1f}" == "0.5"
    assert got["rp_sh_gap"] == f"{left['000001.SS']:.1f} percentage points"
    assert (got["rp_ewy_n"], got["rp_ewt_n"]) == ("five", "eight")
    assert got["rp_near"].startswith("the three markets reopened close to")


# --- the one model's answer -------------------------------------------------------------------

BLOCK = {"korea": [("^KS11", 0), ("000660.KS", 0), ("005930.KS", 0)],
         "taiwan": [("^TWII", 0), ("2330.TW", 0)],
         "china": [("^HSI", 0), ("^HSI", 2), ("000001.SS", 0)],
         "europe": [("^STOXX", 0), ("^STOXX", 1), ("SU.PA", 0)]}
VERDICT = {("^KS11", 0): WITHIN, ("000660.KS", 0): BEYOND, ("005930.KS", 0): WITHIN,
           ("^TWII", 0): "not measured", ("2330.TW", 0): DEPENDS, ("^HSI", 0): WITHIN,
           ("^HSI", 2): BEYOND, ("000001.SS", 0): WITHIN, ("^STOXX", 0): DEPENDS,
           ("^STOXX", 1): BEYOND, ("SU.PA", 0): "not measured"}
CLAUSE = {WITHIN: "stayed within the usual echo under every measure of the lead",
          BEYOND: "went beyond the usual echo under every measure of the lead",
          DEPENDS: ("went beyond the usual echo or stayed within it depending on how New York's "
                    "move is measured"),
          "not measured": "could not be measured"}


class FakeEcho(fakeecho.FakeEcho):
    """`story.echo` for Delayed contagion: its leads, windows, slope ranges and tables."""

    def __init__(self):
        super().__init__(VERDICT)

    def table(self, pairs, names):
        self.calls.append(("table", list(pairs), dict(names)))
        return pd.DataFrame({"Security": [f"table of {pairs[0][0]}"]})

    def lead(self, ticker, day):
        self.calls.append(("lead", ticker, day))
        return {("^KS11", 0): pd.Series({"tag": "Seoul", "lead_^SOX": -0.076,
                                         "lead_^GSPC": -0.008}),
                ("^TWII", 0): pd.Series({"tag": "Taipei", "lead_^SOX": 0.067,
                                         "lead_^GSPC": -0.0011})}[(ticker, day)]

    def window_words(self, row):
        return f"window of {row['tag']}"

    def slope_range(self, ticker, lead):
        self.calls.append(("slope_range", ticker, lead))
        return {("000660.KS", "^SOX"): pd.Series({"window": 0.8034, "lo": 0.221,
                                                   "lo_year": "2022", "hi": 0.957,
                                                   "hi_year": "2024"}),
                ("^KS11", "^SOX"): pd.Series({"window": 0.1234, "lo": 0.0, "lo_year": "2020",
                                              "hi": 0.3, "hi_year": "2021"})}[(ticker, lead)]


@pytest.fixture
def fake(monkeypatch):
    return FakeEcho().install(monkeypatch, cg, ("table", "lead", "window_words", "slope_range"))


NAMES = {"^KS11": "the KOSPI", "000660.KS": "SK hynix", "005930.KS": "Samsung Electronics",
         "^TWII": "the Taiex", "2330.TW": "TSMC", "^HSI": "the Hang Seng",
         "000001.SS": "the Shanghai Composite", "^STOXX": "the STOXX Europe 600",
         "^STOXX50E": "the Euro STOXX 50", "^GDAXI": "the DAX", "SU.PA": "Schneider Electric"}
SHORT = {"^KS11": "KOSPI", "000660.KS": "SK hynix", "005930.KS": "Samsung Electronics",
         "^TWII": "Taiex", "2330.TW": "TSMC", "^HSI": "Hang Seng",
         "000001.SS": "Shanghai Composite", "^STOXX": "STOXX Europe 600",
         "^STOXX50E": "Euro STOXX 50", "^GDAXI": "DAX", "SU.PA": "Schneider Electric"}


def test_answer_text_with_a_stand_in_model(fake):
    got = cg.answer_text(BLOCK)
    every = [p for pairs in BLOCK.values() for p in pairs]
    glue = {}
    for t, d in every:
        glue[cg.echo.key(t, d, "verdict")] = VERDICT[(t, d)]
        glue[cg.echo.key(t, d, "total")] = f"total {t} {d}"
    assert got == glue | {
        "tm_table_korea": "md table of ^KS11 {'text': 2}",
        "tm_table_taiwan": "md table of ^TWII {'text': 2}",
        "tm_table_china": "md table of ^HSI {'text': 2}",
        "tm_table_europe": "md table of ^STOXX {'text': 2}",
        "cg_rounding": "rounding note", "cg_short": "summary",
        "kr_ny": "window of Seoul", "tw_ny": "window of Taipei",
        "kr_sox": "fell 7.6%", "kr_spx": "fell 0.8%", "tw_sox": "rose 6.7%", "tw_spx": "fell 0.1%",
        "cg_bounds": "bounds", "kr_hynix_b": "0.80", "kr_kospi_b": "0.12",
        "kr_hynix_v": CLAUSE[BEYOND], "kr_kospi_v": CLAUSE[WITHIN],
        "tw_tsmc_v": CLAUSE[DEPENDS], "tw_taiex_v": CLAUSE["not measured"],
        "eu_mon": CLAUSE[DEPENDS], "eu_tue": CLAUSE[BEYOND],
        "cg_slopes": "md slopes table {}",
        "cg_stab": ("SK hynix's slope on the SOX was 0.80 over the estimation window but ranged "
                    "from 0.22 in 2022 to 0.96 in 2024 by calendar year")}
    assert [c[1:] for c in fake.calls if c[0] == "texts"] == every
    assert [c[1] for c in fake.calls if c[0] == "table"] == list(BLOCK.values())
    assert all(c[2] == SHORT for c in fake.calls if c[0] == "table")
    assert ("rounding_note", every) in fake.calls
    assert ("summary", BLOCK["korea"] + BLOCK["taiwan"], NAMES,
            {0: "their first session back"}) in fake.calls
    assert ("slopes", ["^KS11", "000660.KS", "005930.KS", "^TWII", "2330.TW", "^HSI",
                       "000001.SS", "^STOXX"], SHORT) in fake.calls


def test_answer_text_on_the_data(snapshot):
    hk_back, sh_back = T("2025-02-03"), T("2025-02-05")
    got = cg.answer_text(cg.blocks(hk_back, sh_back))
    assert got["cg_short"] == oracle("cg_short")
    kr = ny_window("XKRX", "2025-01-24", "2025-01-31")
    tw = ny_window("XTAI", "2025-01-22", "2025-02-03")
    assert got["kr_sox"] == move(between("^SOX", kr[0], kr[1]))
    assert got["kr_spx"] == move(between("^GSPC", kr[0], kr[1]))
    assert got["tw_sox"] == move(between("^SOX", tw[0], tw[1]))
    assert got["tw_spx"] == move(between("^GSPC", tw[0], tw[1]))
    assert got["kr_ny"] == "the five New York sessions from Friday 24 to Thursday 30 January"
    assert got["tw_ny"] == "the eight New York sessions from Wednesday 22 to Friday 31 January"
    assert got["kr_hynix_b"] == got["cg_stab"].split(" was ")[1].split(" ")[0]
    for block in ("korea", "taiwan", "china", "europe"):
        assert got[f"tm_table_{block}"].startswith("| Security, session")
    assert "| TSMC, Mon 3 Feb" in got["tm_table_taiwan"]
