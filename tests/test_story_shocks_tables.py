"""The tables and prose numbers of "Compared with what" (`story.shocks.tables`): every cell,
rounding, order and branch on small made-up frames written out by hand here, the events table
against data/shocks.csv read with plain pandas, and the recovery to the end of the data against
the raw snapshot closes. Fast: no book, no kernel, no event study."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from deepshock.story.shocks import days as cdays
from deepshock.story.shocks import tables
from tests.conftest import ROOT, raw_close

T = pd.Timestamp


def parse(md: str) -> tuple[list[str], list[str], list[list[str]]]:
    """A pipe table -> (header, alignment per column, rows of stripped cells)."""
    lines = md.splitlines()
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    align = ["right" if a.endswith(":") and not a.startswith(":") else
             "left" if a.startswith(":") and not a.endswith(":") else "other" for a in cells[1]]
    return cells[0], align, cells[2:]


# --- small helpers ---------------------------------------------------------------------------

def test_place_words_every_rank():
    assert [tables.place(n) for n in range(1, 11)] == [
        "the largest", "the second-largest", "the third-largest", "the fourth-largest",
        "the fifth-largest", "the sixth-largest", "the seventh-largest", "the eighth-largest",
        "the ninth-largest", "the 10th-largest"]
    assert tables.place(44) == "the 44th-largest"
    assert tables.place(1, "widest") == "the widest"
    assert tables.place(3, "narrowest") == "the third-narrowest"


def test_censored_text_three_cases():
    done = {"censored": False, "sessions": 14, "censor": "", "censor_date": pd.NaT}
    assert tables.censored_text(done) == "regained its close before the shock after 14 sessions"
    nxt = {"censored": True, "sessions": 7, "censor": cdays.NEXT, "censor_date": T("2025-02-27")}
    assert tables.censored_text(nxt) == (
        "had not regained its close before the shock when the next comparison day came, "
        "7 sessions later (27 February 2025)")
    end = {"censored": True, "sessions": 103, "censor": cdays.END, "censor_date": T("2025-06-30")}
    assert tables.censored_text(end) == (
        "had not regained its close before the shock by the end of the data, 103 sessions later")


def test_known_time_words():
    m = lambda n: pd.Timedelta(minutes=n)  # noqa: E731
    assert tables._known(m(1)) == "to the minute"
    assert tables._known(m(2)) == "within 2 min"
    assert tables._known(m(59)) == "within 59 min"
    assert tables._known(pd.Timedelta(days=1)) == "to the day"
    assert tables._known(pd.Timedelta(days=2)) == "within 2 days"
    assert tables._known(pd.Timedelta(days=3)) == "within 3 days"
    assert tables._known(m(60)) == "within the hour"
    assert tables._known(m(120)) == "within 2 hours"
    assert tables._known(m(25 * 60)) == "within 25 hours"
    assert tables._known(m(270)) == "within 4 h 30 min"
    assert tables._known(m(61)) == "within 1 h 1 min"


def test_ranked_and_recovered_cells():
    assert tables._ranked(-0.16968, 1.0) == "-17.0% (1)"
    assert tables._ranked(0.0123, 1234.0) == "+1.2% (1,234)"
    assert tables._recovered(33.0, True) == "more than 33"
    assert tables._recovered(20.0, False) == "20"


# --- the recovery to the end of the data: the raw closes --------------------------------------

def _regained(file: str) -> tuple[int, pd.Timestamp]:
    close = raw_close(file).sort_index()
    base_pos = int(close.index.get_indexer([T("2025-01-27")])[0]) - 1   # the close before the shock
    after = close.iloc[base_pos + 1:]
    hit = after.index[after.to_numpy() >= close.iloc[base_pos]][0]
    return int(after.index.get_loc(hit)) + 1, hit


def test_full_recovery_is_the_raw_closes_first_regain(snapshot):
    full = tables.full_recovery()
    assert sorted(full.index) == ["^GSPC", "^SOX"]   # the two indices, nothing else
    for ticker, file in (("^SOX", "INDEX_SOX.csv"), ("^GSPC", "INDEX_GSPC.csv")):
        sessions, date = _regained(file)
        assert int(full.at[ticker, "sessions"]) == sessions
        assert full.at[ticker, "regained_date"] == date
        assert tables._full_text(full.loc[ticker]) == (
            f"regained its close before the shock after {sessions} sessions, on "
            f"{date.day} {date:%B %Y}")


def test_full_text_not_regained():
    row = pd.Series({"status": "not regained by 30 June", "sessions": np.nan,
                     "regained_date": pd.NaT})
    assert tables._full_text(row) == "had not regained its close before the shock by the end of the data"
    row = pd.Series({"status": "regained after the tariff sell-off", "sessions": 103.0,
                     "regained_date": T("2025-06-24")})
    assert tables._full_text(row) == ("regained its close before the shock after 103 sessions, "
                                      "on 24 June 2025")


# --- the ranking prose on a made-up rule's answers ---------------------------------------------

DAY = T("2025-01-27")
RANKS = {
    "day": DAY,
    "size ^SOX": {"value": -0.0923, "rank": 2, "rank_all": 3},
    "size ^GSPC": {"value": -0.0146, "rank": 14, "rank_all": 44},
    "size NVDA": {"value": -0.1697, "rank": 1, "rank_all": 1},
    "concentration": {"value": -0.0987, "rank": 1, "out_of": 12, "rank_all": 2,
                      "out_of_all": 1234, "first": T("2023-01-03")},
    "breadth": {"value": 0.354, "fell": 1175, "members": 2495, "rank": 9},
    "recovery ^SOX": {"sessions": 7, "censored": True, "censor": cdays.NEXT,
                      "censor_date": T("2025-02-05"), "faster": 4, "unordered": 2,
                      "slower": 99, "out_of": 13},
    "recovery ^GSPC": {"sessions": 14, "censored": False, "censor": "", "censor_date": pd.NaT,
                       "faster": 5, "slower": 6, "unordered": 3, "out_of": 77},
}
SHARES = {"n": 1061, "sessions": 6543, "first": T("1999-05-04"), "last": T("2025-06-30"),
          "k": {"^SOX": 1600, "^GSPC": 1599}, "both": 7, "labelled": 5,
          "outside": [(T("2024-08-05"), "Yen carry-trade unwind"),
                      (T("2025-02-27"), "Nvidia falls after results")],
          "years": pd.Series({2023: 3, 2024: 9, 2025: 12})}
THRESHOLD = {"^SOX": -0.0456, "^GSPC": -0.0234}


def _comparison(rsp_primary: float, rsp_others: list[float]) -> pd.DataFrame:
    """Comparison days: the primary, others in the panel's span, and one outside it whose
    RSP rose (it must not count: no concentration there)."""
    n = len(rsp_others)
    dates = list(pd.bdate_range("2024-01-02", periods=n)) + [DAY, T("2008-10-15")]
    return pd.DataFrame({"date": dates, "RSP": rsp_others + [rsp_primary, 0.02],
                         "concentration": [-0.01] * (n + 1) + [np.nan],
                         "share_fell": [0.6] * (n + 1) + [np.nan],
                         "primary": [False] * n + [True, False]})


@pytest.fixture
def answers(monkeypatch):
    seen = []

    def ranks(table):
        seen.append(table)
        return RANKS

    def shares(table):
        seen.append(table)
        return SHARES

    full = pd.DataFrame({"ticker": ["^GSPC", "^SOX"],
                         "status": ["regained before the tariff sell-off",
                                    "not regained by 30 June"],
                         "sessions": [27.0, np.nan],
                         "regained_date": [T("2025-03-07"), pd.NaT]}).set_index("ticker")
    monkeypatch.setattr(cdays, "ranks", ranks)
    monkeypatch.setattr(cdays, "shares", shares)
    monkeypatch.setattr(cdays, "threshold", lambda t: THRESHOLD[t])
    monkeypatch.setattr(tables, "full_recovery", lambda: full)
    return seen


def test_ranking_text_every_value(answers):
    table = _comparison(-0.0297, [0.01, 0.0, -0.02, 0.003])
    got = tables.ranking_text(table)
    assert all(t is table for t in answers) and len(answers) == 2
    named = len(pd.read_csv(ROOT / "data" / "shocks.csv"))
    words = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    assert got == {
        "sh_day": "Monday 27 January 2025", "sh_day_short": "27 January",
        "sh_one_in": "40", "sh_level": "97.5th", "sh_n_days": "1,061", "sh_sessions": "6,543",
        "sh_first": "4 May 1999", "sh_last": "30 June 2025", "sh_tail": "2.5%",
        "sh_k_sox": "1,600", "sh_k_spx": "1,599", "sh_thr_sox": "4.6%", "sh_thr_spx": "2.3%",
        "sh_both": "seven", "sh_years": "2023: three; 2024: nine; 2025: 12",
        "sh_busiest": "2025 (12 days)", "sh_labelled": "five", "sh_named": words[named],
        "sh_outside": "Yen carry-trade unwind (5 August 2024); Nvidia falls after results "
                      "(27 February 2025)",
        "sh_sox": "9.2%", "sh_sox_place": "the second-largest", "sh_sox_all": "the third-largest",
        "sh_nv": "17.0%", "sh_nv_place": "the largest",
        "sh_spx": "1.5%", "sh_spx_place": "the 14th-largest", "sh_spx_all": "the 44th-largest",
        "sh_gap": "9.9", "sh_gap_place": "the widest", "sh_n_panel": "12",
        "sh_gap_all": "the second-widest", "sh_panel_sessions": "1,234",
        "sh_panel_first": "3 January 2023",
        "sh_fell": "1,175", "sh_members": "2,495", "sh_share_fell": "35%",
        "sh_breadth_place": "the ninth-narrowest",
        "sh_rec_sox": "had not regained its close before the shock when the next comparison day "
                      "came, 7 sessions later (5 February 2025)",
        "sh_rec_spx": "regained its close before the shock after 14 sessions",
        "sh_rec_sox_full": "had not regained its close before the shock by the end of the data",
        "sh_rec_spx_full": "regained its close before the shock after 27 sessions, on 7 March 2025",
        "sh_rec_sox_faster": "four", "sh_rec_sox_unordered": "two",
        "sh_rec_spx_faster": "five", "sh_rec_spx_slower": "six", "sh_rec_spx_unordered": "three",
        "sh_rec_others": "13",
        "sh_rsp_text": "fell 3.0%",
    }


@pytest.mark.parametrize("primary, others, text", [
    (0.0123, [-0.01, 0.0, -0.02], "rose 1.2%: on no other of these days did the average stock rise"),
    (0.0, [-0.01, 0.0004, 0.0, 0.02], "rose 0.0%, as it did on two other of these days"),
    (0.004, [0.01, 0.02, 0.03, -0.01] * 3, "rose 0.4%, as it did on nine other of these days"),
])
def test_ranking_text_equal_weight_sentence(answers, primary, others, text):
    assert tables.ranking_text(_comparison(primary, others))["sh_rsp_text"] == text


def test_ranking_text_nothing_outside(answers, monkeypatch):
    monkeypatch.setitem(SHARES, "outside", [])
    assert tables.ranking_text(_comparison(-0.01, [0.01]))["sh_outside"] == "none"


# --- the days table ----------------------------------------------------------------------------

def test_days_table_cells_order_and_alignment():
    made_up = pd.DataFrame({
        "date": [T("2025-01-27"), T("2008-10-15"), T("2024-08-05")],
        "label": ["DeepSeek shock", "", "Yen carry-trade unwind"],
        "^SOX": [-0.0923, -0.0712, -0.0504], "rank ^SOX": [3.0, 12.0, 1234.0],
        "^GSPC": [-0.0146, -0.0903, -0.0304], "rank ^GSPC": [401.0, 5.0, 88.0],
        "NVDA": [-0.1697, -0.1106, -0.0641], "rank NVDA": [1.0, 20.0, 2050.0],
        "recovery ^SOX": [7.0, 33.0, 2.0], "censored ^SOX": [True, False, False],
        "recovery ^GSPC": [14.0, 9.0, 40.0], "censored ^GSPC": [False, True, True],
    })
    header, align, rows = parse(tables.days_table(made_up)["sh_days_table"])
    assert header == ["Day", "Named shock", "SOX (rank)", "S&P 500 (rank)", "Nvidia (rank)",
                      "SOX recovery (sessions)", "S&P 500 recovery (sessions)"]
    assert align == ["left", "left"] + ["right"] * 5
    assert rows == [
        ["15 Oct 2008", "", "-7.1% (12)", "-9.0% (5)", "-11.1% (20)", "33", "more than 9"],
        ["5 Aug 2024", "Yen carry-trade unwind", "-5.0% (1,234)", "-3.0% (88)", "-6.4% (2,050)",
         "2", "more than 40"],
        ["27 Jan 2025", "DeepSeek shock", "-9.2% (3)", "-1.5% (401)", "-17.0% (1)",
         "more than 7", "14"],
    ]


# --- the events table: data/shocks.csv read here -------------------------------------------------

def test_events_table_from_the_facts_file():
    raw = pd.read_csv(ROOT / "data" / "shocks.csv")
    raw["news"] = pd.to_datetime(raw["news_utc"], utc=True)
    raw = raw.sort_values("news", kind="stable")
    header, align, rows = parse(tables.events_table()["sh_events_table"])
    assert header == ["News (UTC)", "Time known", "Day 0 Tokyo", "Day 0 New York",
                      "What happened", "Source"]
    assert align == ["left"] + ["right"] * 5
    assert len(rows) == len(raw)
    assert [r[4] for r in rows] == raw["label"].tolist()
    assert [r[0] for r in rows] == [f"{t.day} {t:%b %Y %H:%M}" for t in raw["news"]]
    words = {"PT1M": "to the minute", "P2D": "within 2 days", "PT1H": "within the hour",
             "PT4H30M": "within 4 h 30 min"}
    assert [r[1] for r in rows] == [words[p] for p in raw["precision"]]
    for r, source in zip(rows, raw["source"]):
        first = source.split(";")[0]
        assert r[5] == re.sub(r"\s*\([^)]*\)", "", first).strip()
        assert "(" not in r[5] and ";" not in r[5]
    by_label = {r[4]: r for r in rows}
    # day 0 in each market: the first close after the news (exchange hours known by hand)
    assert by_label["DeepSeek shock"][2:4] == ["27 Jan", "27 Jan"]
    assert by_label["Fed 'hawkish cut'"][2:4] == ["19 Dec", "18 Dec"]   # 19:00 UTC: Tokyo closed
    assert by_label["China matches US tariffs"][2:4] == ["7 Apr", "4 Apr"]  # a Friday in Tokyo
    assert by_label["Yen carry-trade unwind"][5] == "Databoks citing Japan Today and Reuters, 5-6 Aug 2024"


# --- the named shocks' tables --------------------------------------------------------------------

def _measured() -> pd.DataFrame:
    return pd.DataFrame({
        "day0": [T("2024-09-03"), T("2025-01-27")], "label": ["Nvidia's $279bn day", "DeepSeek shock"],
        "ret NVDA": [-0.0953, -0.1697], "rank NVDA": [14.0, 1.0], "out_of NVDA": [6543.0, 6544.0],
        "ret ^SOX": [-0.0776, -0.0923], "rank ^SOX": [1234.0, 3.0], "out_of ^SOX": [7000.0, 7001.0],
        "ret ^GSPC": [-0.0212, -0.0146], "rank ^GSPC": [230.0, 401.0],
        "ret RSP": [-0.0151, 0.0004], "ret ^VIX": [0.3303, 0.1756],
        "fell": [401, 1180], "n": [499, 2503],
        "worst_sector": ["Information Technology", "Utilities"],
        "worst_sector_ret": [-0.0366, -0.0452],
        "top_loser": ["NVIDIA Corporation", ""], "top_loss": [279.4e9, np.nan],
    })


def test_named_tables_cells():
    got = tables.named_tables(_measured())
    header, align, rows = parse(got["sh_moves_table"])
    assert header == ["Day 0", "Event", "Nvidia", "SOX", "S&P 500", "Equal weight", "VIX"]
    assert align == ["left"] + ["right"] * 6
    assert rows == [
        ["3 Sep 2024", "Nvidia's $279bn day", "-9.5% (14)", "-7.8% (1,234)", "-2.1% (230)",
         "-1.5%", "+33.0%"],
        ["27 Jan 2025", "DeepSeek shock", "-17.0% (1)", "-9.2% (3)", "-1.5% (401)", "+0.0%",
         "+17.6%"],
    ]
    header, align, rows = parse(got["sh_breadth_table"])
    assert header == ["Event", "S&P 500 members that fell", "Worst sector (mean)",
                      "Largest loss of market value"]
    assert align == ["left"] + ["right"] * 3
    assert rows == [
        ["Nvidia's $279bn day", "401 of 499", "Information Technology (-3.7%)",
         "NVIDIA Corporation ($279bn)"],
        ["DeepSeek shock", "1,180 of 2,503", "Utilities (-4.5%)", ""],
    ]
    assert got["sh_rank_n"] == "6,543" and got["sh_rank_sox"] == "7,000"


def test_named_tables_large_loss_has_thousands_separator():
    table = _measured().assign(top_loss=[1234.6e9, 593.5000002e9], top_loser=["A", "B"])
    _, _, rows = parse(tables.named_tables(table)["sh_breadth_table"])
    assert [r[3] for r in rows] == ["A ($1,235bn)", "B ($594bn)"]   # billions of exactly 1e9


def _travel() -> pd.DataFrame:
    """Three events: Tokyo's day 1 of the second is the third's day 0 (a shared session);
    Seoul has no data for the first; Europe's sessions are all distinct."""
    s = T
    rows = []
    spec = {
        "A": {"Tokyo": [(s("2025-04-03"), -0.0277, -0.011, "within the usual echo"),
                        (s("2025-04-04"), -0.0276, -0.002, "beyond the usual echo")],
              "Seoul": [None, None],
              "Taipei": [(s("2025-04-07"), -0.097, -0.05, "beyond the usual echo"),
                         (s("2025-04-08"), -0.042, 0.01, "within the usual echo")],
              "Europe": [(s("2025-04-03"), -0.026, -0.004, "within the usual echo"),
                         (s("2025-04-04"), -0.0457, -0.02, "beyond the usual echo")]},
        "B": {"Tokyo": [(s("2025-04-04"), -0.0276, -0.002, "within the usual echo"),
                        (s("2025-04-07"), -0.078, -0.03, "beyond the usual echo")],
              "Seoul": [(s("2025-04-07"), -0.0557, -0.01, "mixed"),
                        (s("2025-04-08"), 0.0026, 0.006, "within the usual echo")],
              "Taipei": [(s("2025-04-07"), -0.097, -0.05, "within the usual echo"),
                         (s("2025-04-08"), -0.042, 0.01, "within the usual echo")],
              "Europe": [(s("2025-04-07"), -0.0457, -0.02, "within the usual echo"),
                         (s("2025-04-08"), 0.0274, 0.001, "within the usual echo")]},
        "C": {"Tokyo": [(s("2025-04-07"), -0.078, -0.03, "within the usual echo"),
                        (s("2025-04-08"), 0.060, 0.02, "within the usual echo")],
              "Seoul": [(s("2025-04-09"), -0.0174, -0.005, "within the usual echo"),
                        (s("2025-04-10"), 0.066, 0.03, "within the usual echo")],
              "Taipei": [(s("2025-04-09"), -0.0566, -0.02, "within the usual echo"),
                         (s("2025-04-10"), 0.0926, 0.04, "within the usual echo")],
              "Europe": [(s("2025-04-09"), -0.035, -0.01, "within the usual echo"),
                         (s("2025-04-10"), 0.04, 0.02, "within the usual echo")]},
    }
    for label, markets in spec.items():
        row = {"label": label}
        for market, by_day in markets.items():
            for d, cell in enumerate(by_day):
                session, total, excess, verdict = cell or (pd.NaT, np.nan, np.nan, np.nan)
                row.update({f"{market} d{d} session": session, f"{market} d{d} total": total,
                            f"{market} d{d} excess": excess, f"{market} d{d} verdict": verdict})
        rows.append(row)
    return pd.DataFrame(rows)


def test_travel_table_cells_marks_and_shared_sessions():
    got = tables.travel_table(_travel())
    header, align, rows = parse(got["sh_travel_table"])
    assert header == ["Event", "Tokyo", "Seoul", "Taipei", "Europe"]
    assert align == ["left"] + ["right"] * 4
    assert rows == [
        ["A", "-2.8% (-1.1%) · -2.8% (-0.2%)‡†", "– · –",
         "-9.7% (-5.0%)‡† · -4.2% (+1.0%)†", "-2.6% (-0.4%) · -4.6% (-2.0%)‡"],
        ["B", "-2.8% (-0.2%)† · -7.8% (-3.0%)‡†", "-5.6% (-1.0%) · +0.3% (+0.6%)",
         "-9.7% (-5.0%)† · -4.2% (+1.0%)†", "-4.6% (-2.0%) · +2.7% (+0.1%)"],
        ["C", "-7.8% (-3.0%)† · +6.0% (+2.0%)", "-1.7% (-0.5%) · +6.6% (+3.0%)",
         "-5.7% (-2.0%) · +9.3% (+4.0%)", "-3.5% (-1.0%) · +4.0% (+2.0%)"],
    ]
    assert got["sh_shared"] == ("4 April 2025 (Tokyo); 7 April 2025 (Tokyo, Taipei); "
                                "8 April 2025 (Taipei)")
    assert got["sh_est"] == "250 to 11"


def test_travel_table_nothing_shared():
    table = _travel().iloc[[0, 2]].reset_index(drop=True)
    table["Taipei d0 session"] = [T("2025-04-03"), T("2025-04-09")]
    table["Taipei d1 session"] = [T("2025-04-04"), T("2025-04-10")]
    got = tables.travel_table(table)
    assert got["sh_shared"] == "none"
    assert "†" not in got["sh_travel_table"]


def test_study_table_cells():
    made_up = pd.DataFrame({
        "label": ["A", "B", "C"],
        "US semiconductors caar": [-0.1234, -0.0312, np.nan],
        "US semiconductors kp": [-4.56, 1.04, np.nan],
        "US semiconductors kp_p": [0.004, 0.3, np.nan],
        "US semiconductors port_t": [-3.21, 1.96, np.nan],
        "US semiconductors port_p": [0.03, 0.07, np.nan],
        "Japan semiconductors caar": [np.nan, 0.0456, -0.0101],
        "Japan semiconductors kp": [np.nan, 2.0, -0.5],
        "Japan semiconductors kp_p": [np.nan, 0.049, 0.6],
        "Japan semiconductors port_t": [np.nan, 0.4, -2.7],
        "Japan semiconductors port_p": [np.nan, 0.101, 0.0099],
    })
    got = tables.study_table(made_up)
    header, align, rows = parse(got["sh_es_table"])
    assert header == ["Event", "US semiconductors", "Japan semiconductors"]
    assert align == ["left", "right", "right"]
    assert rows == [
        ["A", r"-12.3% (KP -4.6\*\*\*; portfolio -3.2\*\*)", ""],
        ["B", r"-3.1% (KP +1.0; portfolio +2.0\*)", r"+4.6% (KP +2.0\*\*; portfolio +0.4)"],
        ["C", "", r"-1.0% (KP -0.5; portfolio -2.7\*\*\*)"],   # no US group, Japan still shown
    ]
    assert got["sh_es_windows"] == "US semiconductors [0], Japan semiconductors [0,+1]"
