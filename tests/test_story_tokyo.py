"""Tokyo's chapter text (`story.tokyo`): the session clock, the Japanese names against the
Nikkei 225, the yen and the one model's answer, each on small made-up inputs written out here
(expected values by hand), and what the chapter publishes on the data against the oracles of
`tests/oracle/asia.py` and `tests/oracle/transmission.py` (raw snapshot files, exchange
calendars and the committed facts, read with plain pandas). Fast: no book, no kernel."""

from __future__ import annotations

import pandas as pd
import pytest

from deepshock.methods import transmission as tm
from deepshock.story import tokyo
from tests.oracle import asia as oracle_asia  # noqa: F401  (registers the Tokyo values)
from tests.oracle import raw
from tests.oracle import transmission as oracle_tm  # noqa: F401  (registers tk_summary)
from tests.oracle.registry import ORACLE
from tests import fakeecho
from tests.tokyonames import names_frame

T = pd.Timestamp
MON, TUE = T("2025-01-27"), T("2025-01-28")
PAGE = "chapters/tokyo"


def oracle(key: str) -> str:
    return ORACLE[(PAGE, key)]()


# --- the clock ------------------------------------------------------------------------------

def test_local_time_is_the_exchange_clock():
    assert tokyo._local("XTKS", T("2025-01-27 06:30", tz="UTC")) == "15:30"
    assert tokyo._local("XNYS", T("2025-01-27 14:30", tz="UTC")) == "09:30"
    assert tokyo._local("XETR", T("2025-07-01 07:05", tz="UTC")) == "09:05"   # summer time


def _utc(code: str, edge: str, day: pd.Timestamp) -> pd.Timestamp:
    return oracle_asia.utc(code, edge, day)


def _line(*tickers_names, on=MON, half=False) -> str:
    """A session's label as the raw files give it: 'Nikkei 225 (−0.9%)'."""
    parts = [f"{n} ({raw.ret(t, on) * 100:+.1f}%)".replace("-", "\u2212") for t, n in tickers_names]
    return "; ".join(parts + (["(half day)"] if half else []))


def test_sessions_text_on_the_data(snapshot):
    """Every clock time from exchange_calendars directly, every move from the raw closes,
    every date from data/events.csv and data/reactions.csv read with pandas."""
    got = tokyo.sessions_text(MON, TUE)
    react = raw.facts("reactions")
    taira = react.loc[(react["who"] == "Masaaki Taira") & (react["date"] == "2025-01-28"),
                      "time_local"].iloc[0].split(" ")[0].replace("-", "\u2013")
    gap = (_utc("XNYS", "open", MON) - _utc("XTKS", "close", MON)) / pd.Timedelta(hours=1)
    back = (_utc("XTKS", "open", TUE) - _utc("XNYS", "close", MON)) / pd.Timedelta(hours=1)
    want = {
        "tk_open": f"{_utc('XTKS', 'open', MON):%H:%M} UTC",
        "tk_close": f"{_utc('XTKS', 'close', MON):%H:%M} UTC",
        "tk_close_local": "15:30",    # JST is UTC+9 all year
        "eu_open": f"{_utc('XETR', 'open', MON):%H:%M} UTC",
        "ny_open": f"{_utc('XNYS', 'open', MON):%H:%M} UTC",
        "ny_open_local": "09:30",     # EST is UTC-5 in January
        "ny_close": f"{_utc('XNYS', 'close', MON):%H:%M} UTC",
        "tk_ny_gap": f"{gap:.0f}", "ny_tk_gap": f"{back:.0f}",
        "r1_date": raw.day(raw.event_date("R1 release"), weekday=True),
        "app_date": raw.day(raw.event_date("App Store No. 1"), weekday=True),
        "boj_date": raw.day(raw.event_date("BoJ hike"), weekday=True),
        "tk_line": _line(("^N225", "Nikkei 225")),
        "eu_line": _line(("^STOXX", "STOXX 600"), ("^GDAXI", "DAX")),
        "ny_line": _line(("^GSPC", "S&P 500"), ("^SOX", "SOX"), ("NVDA", "Nvidia")),
        "ny_line_tue": _line(("^GSPC", "S&P 500"), ("^SOX", "SOX"), ("NVDA", "Nvidia"), on=TUE),
        "tk_line_tue": _line(("^N225", "Nikkei 225"), on=TUE),
        "sh_line": _line(("000001.SS", "Shanghai Composite")),
        "hk_line": _line(("^HSI", "Hang Seng")),
        "taira_time": taira,
    }
    assert got == want
    # the values the chapter states, as written
    assert (got["tk_open"], got["tk_close"], got["eu_open"], got["ny_open"], got["ny_close"]) == (
        "00:00 UTC", "06:30 UTC", "08:00 UTC", "14:30 UTC", "21:00 UTC")
    assert (got["tk_ny_gap"], got["ny_tk_gap"]) == ("8", "3")
    assert got["tk_ny_gap"] == oracle("tk_ny_gap")
    assert (got["r1_date"], got["app_date"], got["boj_date"]) == (
        "Monday 20 January 2025", "Sunday 26 January 2025", "Friday 24 January 2025")
    assert got["taira_time"] == "09:40\u201309:45"


# --- the Japanese names ---------------------------------------------------------------------


# Monday: every stock fell, three of five below the Nikkei (-2.0%), one exactly at it;
# Tuesday: one stock rose.
FELL = names_frame([("6857.T", "Advantest", -8.0, -11.0), ("9984.T", "SoftBank", -6.0, -4.0),
                    ("5803.T", "Fujikura", -10.0, -12.0), ("8035.T", "Tokyo Electron", -2.0, -5.0),
                    ("6146.T", "Disco", -1.0, 3.0), ("^N225", "Nikkei 225", -2.0, -1.0)])


def test_names_text_on_a_made_up_frame():
    got = tokyo.names_text(FELL, MON, TUE)
    assert got == {
        "nk_mon": "2.0%", "nk_tue": "1.0%", "nk_two": "3.0%",      # 0.98 * 0.99 = 0.9702
        "n_names": "five", "n_fell_mon": "five", "n_fell_tue": "four",
        "avg_mon": "5.4%", "avg_tue": "5.8%",                     # -27/5, -29/5
        "worst2_name": "Fujikura", "worst2": "20.8%",             # 0.90 * 0.88 = 0.792
        "n_below_nk_mon": "three",                                # -2.0 is not below -2.0
        "all_mon": "all five", "all_tue": "four", "all_below": "three",
        "adv_mon": "8.0%", "adv_tue": "11.0%", "sb_mon": "6.0%", "sb_tue": "4.0%",
        "fj_mon": "10.0%", "fj_tue": "12.0%", "tel_mon": "2.0%", "tel_tue": "5.0%"}


def test_names_text_when_not_all_fell_monday_and_all_fell_tuesday():
    """Monday: one stock rose 0.5% (counted as not falling, and not below the Nikkei's -1.0%);
    Tuesday: every stock fell."""
    frame = names_frame([("6857.T", "Advantest", -7.9, -11.0), ("9984.T", "SoftBank", -3.0, -4.0),
                         ("5803.T", "Fujikura", -10.0, -9.0), ("8035.T", "Tokyo Electron", -2.5, -5.0),
                         ("6146.T", "Disco", 0.5, -2.0), ("^N225", "Nikkei 225", -1.0, -1.5)])
    got = tokyo.names_text(frame, MON, TUE)
    assert got["n_fell_mon"] == "four" and got["all_mon"] == "four of them"
    assert got["n_fell_tue"] == "five" and got["all_tue"] == "all of them"
    assert got["n_below_nk_mon"] == "four" and got["all_below"] == "four"
    assert got["nk_two"] == "2.5%"                     # 0.99 * 0.985 = 0.97515
    assert got["avg_mon"] == "4.6%"                    # -22.9 / 5
    assert got["sb_tue"] == "4.0%" and got["n_names"] == "five"
    everyone = frame.assign(ret_pct=frame["ret_pct"].where(frame["ticker"] != "6146.T", -5.0))
    got = tokyo.names_text(everyone, MON, TUE)
    assert got["all_below"] == "all" and got["n_below_nk_mon"] == "five"
    assert got["all_mon"] == "all five"


def test_names_text_an_unchanged_stock_did_not_fall():
    """Disco unchanged (0.0%) on both days: not a fall, on Monday or on Tuesday."""
    frame = names_frame([("6857.T", "Advantest", -8.0, -11.0), ("9984.T", "SoftBank", -6.0, -4.0),
                         ("5803.T", "Fujikura", -10.0, -12.0), ("8035.T", "Tokyo Electron", -3.0, -5.0),
                         ("6146.T", "Disco", 0.0, 0.0), ("^N225", "Nikkei 225", -2.0, -1.0)])
    got = tokyo.names_text(frame, MON, TUE)
    assert (got["n_fell_mon"], got["all_mon"]) == ("four", "four of them")
    assert (got["n_fell_tue"], got["all_tue"]) == ("four", "four")


def test_names_text_nikkei_two_days_in_percent():
    """-4.0% then -6.25%: 0.96 * 0.9375 = 0.9, a 10.0% fall over the two sessions."""
    frame = names_frame([("6857.T", "Advantest", -8.0, -11.0), ("9984.T", "SoftBank", -6.0, -4.0),
                         ("5803.T", "Fujikura", -10.0, -12.0), ("8035.T", "Tokyo Electron", -3.0, -5.0),
                         ("^N225", "Nikkei 225", -4.0, -6.25)])
    got = tokyo.names_text(frame, MON, TUE)
    assert (got["nk_mon"], got["nk_two"]) == ("4.0%", "10.0%")


def test_names_text_on_the_data(snapshot):
    from deepshock.story import asia
    got = tokyo.names_text(asia.tokyo_names((MON, TUE)), MON, TUE)
    for key in ("adv_mon", "adv_tue", "sb_mon", "sb_tue", "fj_mon", "fj_tue", "tel_mon",
                "tel_tue", "nk_mon", "nk_tue", "nk_two", "n_names", "n_fell_mon",
                "n_fell_tue", "avg_mon", "avg_tue", "worst2_name", "worst2"):
        assert got[key] == oracle(key), key
    stocks = oracle_asia.japan_stocks()
    below = sum(raw.ret(t, MON) < raw.ret("^N225", MON) for t in stocks)
    assert got["n_below_nk_mon"] == raw.count(below)
    assert got["all_below"] == ("all" if below == len(stocks) else raw.count(below))


# --- the yen --------------------------------------------------------------------------------

def test_yen_text_on_made_up_closes(monkeypatch):
    fx = pd.DataFrame({"yen_per_usd": [150.0, 151.25, 147.1]},
                      index=[T("2025-01-24"), MON, TUE])
    fx["change"] = fx["yen_per_usd"].pct_change()
    monkeypatch.setattr(tokyo.asia, "yen", lambda: fx)
    assert tokyo.yen_text() == {
        "fx_fri": "150.00", "fx_mon": "151.25", "fx_tue": "147.10",
        "fx_chg_mon": "+0.8%", "fx_chg_tue": "-2.7%",   # 151.25/150, 147.1/151.25
        "fx_yen_two": "2.0%"}                          # 150/147.1: the yen gained 2.0%


def test_yen_text_on_the_data(snapshot):
    got = tokyo.yen_text()
    for key in ("fx_fri", "fx_mon", "fx_tue"):
        assert got[key] == oracle(key)
    fx = raw.close("JPY=X")
    fri = T("2025-01-24")
    assert got["fx_chg_mon"] == raw.pct(fx[MON] / fx[fri] - 1)
    assert got["fx_chg_tue"] == raw.pct(fx[TUE] / fx[MON] - 1)
    assert got["fx_yen_two"] == raw.pct(fx[fri] / fx[TUE] - 1, signed=False)


# --- the one model's answer -------------------------------------------------------------------

VERDICT = {("^N225", 0): tm.VERDICTS[1], ("^N225", 1): tm.VERDICTS[1],
           ("6857.T", 0): tm.VERDICTS[0], ("6857.T", 1): "not measured",
           ("8035.T", 0): tm.VERDICTS[1], ("8035.T", 1): tm.VERDICTS[2],
           ("9984.T", 0): tm.VERDICTS[2], ("9984.T", 1): tm.VERDICTS[0]}


class FakeEcho(fakeecho.FakeEcho):
    """`story.echo` for Tokyo: its leads, slope range and answer table."""

    def __init__(self, oc: float = -0.006, cc: float = -0.029):
        super().__init__(VERDICT)
        self.predicted = {"cc": cc, "oc": oc}

    def lead(self, ticker, day, bound="cc"):
        self.calls.append(("lead", ticker, day, bound))
        if (ticker, day) == ("^N225", 0) and bound == "cc":
            return pd.Series({"lead_^SOX": -0.019, "lead_^GSPC": -0.004, "n": 239.0,
                              "predicted": -0.011})
        assert (ticker, day) == ("^N225", 1), (ticker, day)
        return pd.Series({"lead_^SOX": -0.0914, "lead_^GSPC": -0.0146, "n": 240.0,
                          "predicted": self.predicted[bound]})

    def slope_range(self, ticker, lead):
        self.calls.append(("slope_range", ticker, lead))
        assert (ticker, lead) == ("6857.T", "^SOX")
        return pd.Series({"window": 0.987, "lo": 0.381, "lo_year": "2022", "hi": 0.956,
                          "hi_year": "2024"})

    def table(self, pairs, names):
        self.calls.append(("table", list(pairs), dict(names)))
        return pd.DataFrame({"Security": ["answer table"]})


@pytest.fixture
def fake(monkeypatch):
    return FakeEcho().install(monkeypatch, tokyo, ("lead", "slope_range", "table"))


ANSWER = {"^N225": "the Nikkei 225", "6857.T": "Advantest", "8035.T": "Tokyo Electron",
          "9984.T": "SoftBank Group"}
SHORT = {"^N225": "Nikkei 225", "6857.T": "Advantest", "8035.T": "Tokyo Electron",
         "9984.T": "SoftBank Group"}
PAIRS = [("^N225", 0), ("^N225", 1), ("6857.T", 0), ("6857.T", 1), ("8035.T", 0), ("8035.T", 1),
         ("9984.T", 0), ("9984.T", 1)]


def test_answer_text_with_a_stand_in_model(fake):
    got = tokyo.answer_text()
    glue = {}
    for t, d in PAIRS:
        glue[tokyo.echo.key(t, d, "verdict")] = VERDICT[(t, d)]
        glue[tokyo.echo.key(t, d, "total")] = f"total {t} {d}"
    stab = ("Advantest's slope on the SOX was 0.99 over the estimation window but ranged from "
            "0.38 in 2022 to 0.96 in 2024 by calendar year")
    assert got == glue | {
        "tm_table_tokyo": "md answer table {'text': 2}",
        "tk_rounding": "rounding note", "tk_summary": "summary",
        "tk_sox_fri": "1.9%", "tk_sox_mon": "9.1%", "tk_spx_mon": "1.5%", "tk_n_est": "240",
        "tk_adv_mon": "went beyond the usual echo under every measure of the lead",
        "tk_sb_mon": ("went beyond the usual echo or stayed within it depending on how New "
                      "York's move is measured"),
        "tk_nk_tue": "stayed within the usual echo under every measure of the lead",
        "tk_adv_tue": "could not be measured",
        "tk_adv_b": "0.99",
        "tk_oc_note": ("The open-to-close measure leaves out New York's move from Friday's close "
                       "to Monday's open, which Tokyo's Monday session could already see in "
                       "part, so its usual echo is smaller."),
        "tk_bounds": "bounds", "tk_slopes": "md slopes table {}", "tk_stab": stab}
    assert ("texts", "9984.T", 1) in fake.calls and len(
        [c for c in fake.calls if c[0] == "texts"]) == 8
    assert ("table", PAIRS, SHORT) in fake.calls
    assert ("rounding_note", PAIRS) in fake.calls
    assert ("summary", PAIRS, ANSWER, {0: "Monday", 1: "Tuesday"}) in fake.calls
    assert ("slopes", list(ANSWER), SHORT) in fake.calls
    assert ("lead", "^N225", 1, "oc") in fake.calls and ("lead", "^N225", 0, "cc") in fake.calls
    assert ("slope_range", "6857.T", "^SOX") in fake.calls


@pytest.mark.parametrize("oc,cc,word", [(-0.006, -0.029, "smaller"), (-0.05, -0.029, "larger"),
                                         (0.029, -0.029, "larger"), (-0.006, 0.029, "smaller")])
def test_open_to_close_echo_compared_by_size(fake, oc, cc, word):
    """Smaller only when the open-to-close echo is strictly smaller in size, whatever the signs."""
    fake.predicted = {"cc": cc, "oc": oc}
    assert tokyo.answer_text()["tk_oc_note"].endswith(f"so its usual echo is {word}.")


def test_answer_text_on_the_data(snapshot):
    got = tokyo.answer_text()
    assert got["tk_summary"] == oracle("tk_summary")
    sox, spx = raw.close("^SOX"), raw.close("^GSPC")
    fri, thu = T("2025-01-24"), T("2025-01-23")
    assert got["tk_sox_mon"] == raw.fall(sox[MON] / sox[fri] - 1)   # New York's Monday
    assert got["tk_spx_mon"] == raw.fall(spx[MON] / spx[fri] - 1)
    assert got["tk_sox_fri"] == raw.fall(sox[fri] / sox[thu] - 1)   # before Tokyo's Monday
    assert got["tk_n_est"] == "240"
    assert got["tk_adv_b"] == got["tk_stab"].split(" was ")[1].split(" ")[0]
    assert sorted(k for k in got if k.endswith("_verdict")) == sorted(
        f"tm_{s}_d{d}_verdict" for s in ("N225", "6857T", "8035T", "9984T") for d in (0, 1))
    assert "| Nikkei 225, Mon 27 Jan" in got["tm_table_tokyo"]
    assert got["tk_oc_note"].endswith("so its usual echo is smaller.")
