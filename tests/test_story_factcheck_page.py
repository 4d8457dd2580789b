"""The fact-check chapter in one call (`story.factcheck.page`): its prose helpers on made-up rows
(a claim's measurement and verdict, deeper or shallower, the tolerance examples, where the
doubts lie, the Shanghai closure's cross-check) and the chapter's glue on the data: the claims,
the moves, the largest gap, the SOX's move, the tolerance and the Shanghai dates against an
oracle from the raw files (data/claims.csv, the snapshot's closes) in plain pandas, and every
claim's line as the check states it. Fast: no book, no kernel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepshock.story import factcheck
from deepshock.story.factcheck import page
from tests.oracle import raw

T = pd.Timestamp
MINUS = "\u2212"


def test_market_metrics():
    assert page.MARKET == {"close_to_close_return", "market_value_loss", "record_loss",
                           "rank_since", "worst_day_month", "market_closed"}


def test_says():
    row = pd.Series({"measured": f"{MINUS}16.97%", "verdict": "confirmed", "claim": "x"})
    assert page.says(row) == f"{MINUS}16.97% (**confirmed**)"


@pytest.mark.parametrize("measured, claimed, want", [
    (-11.14, -10.0, "deeper"), (-9.0, -10.0, "shallower"), (-10.0, -10.0, "shallower"),
    (11.0, -10.0, "deeper"), (-9.0, 10.0, "shallower"), (10.5, 10.0, "deeper"),
])
def test_deeper_compares_sizes(measured, claimed, want):
    row = pd.Series({"measured_value": measured, "claimed_value": claimed})
    assert page.deeper(row) == f"{want} than reported"


def test_tolerance_examples_scale_with_the_claim():
    table = pd.DataFrame({"claimed": ["-17", "-2.1", "5"], "tolerance": ["10%", "20%", "50%"]},
                         index=["nvda-ret", "msft-ret", "other"])
    assert page.tolerance_examples(table) == \
        "10% of it: ±1.7 points for “17%”, ±0.42 points for “2.1%”"
    table = pd.DataFrame({"claimed": ["250", "0.125"], "tolerance": [" 4% ", "8%"]},
                         index=["msft-ret", "nvda-ret"])
    assert page.tolerance_examples(table) == \
        "8% of it: ±0.01 points for “0.125%”, ±10 points for “250%”"


def _results(verdicts, metrics, claims=("A", "B", "C")) -> pd.DataFrame:
    return pd.DataFrame({"verdict": list(verdicts), "metric": list(metrics),
                         "claim": list(claims)[:len(verdicts)]})


def test_where_doubts():
    none = ("No market figure is contradicted or left unbacked; the claims the data contradict "
            "or cannot back all concern DeepSeek's releases.")
    assert page.where_doubts(_results(["wrong", "not supported", "confirmed"],
                                      ["release_date", "release_window", "close_to_close_return"])
                             ) == none
    assert page.where_doubts(_results(["confirmed"], ["close_to_close_return"])) == none
    got = page.where_doubts(_results(["wrong", "approximately", "not supported"],
                                     ["release_date", "market_closed", "rank_since"]))
    assert got == "The claims the data contradict or cannot back: A; C."
    got = page.where_doubts(_results(["consistent", "wrong"], ["record_loss", "worst_day_month"]))
    assert got == "The claims the data contradict or cannot back: B."


def test_shanghai_gap_on_made_up_dates(monkeypatch):
    dates = pd.to_datetime(["2025-01-24", "2025-01-27", "2025-01-28", "2025-02-05", "2025-02-06"])
    asked = []

    def prices(ticker):
        asked.append(ticker)
        return pd.DataFrame({"ticker": ticker, "date": dates, "close": 1.0})
    monkeypatch.setattr(page.load, "prices", prices)
    assert page.shanghai_gap(T("2025-01-28")) == \
        "the Shanghai Composite's closes jump from 27 January to 5 February"
    assert page.shanghai_gap(T("2025-01-29")) == \
        "the Shanghai Composite's closes jump from 28 January to 5 February"
    assert page.shanghai_gap(T("2025-01-27")) == \
        "the Shanghai Composite's closes jump from 24 January to 28 January"
    assert asked == ["000001.SS"] * 3


# --- the chapter on the data -------------------------------------------------------------------

def test_chapter_on_the_data():
    chapter = page.chapter.__wrapped__()
    g = chapter.text
    claims = raw.facts("claims")
    results = factcheck.check()
    by = results.set_index("id")
    assert g["fc_n"] == str(len(claims)) == "20"
    tally = results["verdict"].value_counts()
    for key, verdict in [("fc_confirmed", "confirmed"), ("fc_approx", "approximately"),
                         ("fc_consistent", "consistent"), ("fc_unsupported", "not supported"),
                         ("fc_wrong", "wrong")]:
        assert g[key] == str(tally.get(verdict, 0))
    assert (g["fc_confirmed"], g["fc_approx"], g["fc_consistent"], g["fc_unsupported"],
            g["fc_wrong"]) == ("13", "4", "1", "1", "1")
    assert g["fc_wrong_is"] == "one is wrong"
    wrong = claims.set_index("id").at["v3-launch", "claim"]
    assert g["fc_wrong_claims"] == f"“{wrong}”"
    assert g["fc_where"].startswith("No market figure is contradicted")

    # the percentage moves: measured close to close from the raw files
    moves = claims.loc[claims["metric"] == "close_to_close_return"].reset_index(drop=True)
    measured = np.array([100 * raw.ret(s, d) for s, d in zip(moves["subject"], moves["date"])])
    claimed = moves["claimed"].astype(float).to_numpy()
    exact = int((np.abs(measured - claimed) <= moves["precision"].astype(float) / 2 + 1e-9).sum())
    worst = int(np.argmax(np.abs(measured.round(2) - claimed)))
    assert g["fc_moves_n"] == str(len(moves)) == "9" and g["fc_moves_exact"] == str(exact) == "6"
    names = raw.universe()["name"]
    assert g["fc_gap_claim"] == (f"{names[moves.at[worst, 'subject']]} on "
                                 f"{T(moves.at[worst, 'date']):%A}") == "Advantest on Tuesday"
    assert g["fc_gap"] == f"{abs(measured.round(2)[worst] - claimed[worst]):.1f}" == "1.1"
    sox = 100 * raw.ret("^SOX", "2025-01-27")
    assert g["fc_sox_one"] == f"{sox:+.1f}%".replace("-", MINUS) == f"{MINUS}9.1%"
    adv, tel = 100 * raw.ret("6857.T", "2025-01-28"), 100 * raw.ret("8035.T", "2025-01-28")
    assert adv < -10 and tel < -5
    assert g["fc_adv_dir"] == g["fc_tel_dir"] == "deeper than reported"
    assert g["fc_tol_examples"] == "10% of it: ±1.7 points for “17%”, ±0.21 points for “2.1%”"

    # the Shanghai Composite's closes around the mainland closure (raw file)
    sh = raw.bars("000001.SS").index
    start = T(claims.set_index("id").at["china-closed", "date"].split("..")[0])
    before, after = sh[sh < start].max(), sh[sh > start].min()
    assert g["fc_shanghai"] == (f"the Shanghai Composite's closes jump from {before.day} "
                                f"{before:%B} to {after.day} {after:%B}")
    assert g["fc_shanghai"].endswith("from 27 January to 5 February")

    flagged = results.loc[results["flag"] != ""]
    assert g["fc_flagged"] == "; ".join(f"“{c}” {f} the measured figure"
                                        for c, f in zip(flagged["claim"], flagged["flag"]))
    assert len(flagged) == 3 and g["fc_flagged"].endswith("overstates the measured figure")
    assert g["fc_table"] == factcheck.results_table(results)
    assert g["fc_app_reason"] == by.at["app-week", "reason"]
    lines = {"nvda_loss": "nvda-loss", "record": "nvda-record", "sox": "sox-ret",
             "sox_rank": "sox-rank", "adv_tue": "advantest-tue", "tel": "tel-tue",
             "v3": "v3-launch", "paper": "v3-paper", "cost": "v3-cost", "app": "app-week",
             "korea": "korea-closed", "taiwan": "taiwan-closed", "china": "china-closed",
             "nikkei": "nikkei-august", "adv_mon": "advantest-mon"}
    for key, claim in lines.items():
        assert g[f"fc_{key}"] == f"{by.at[claim, 'measured']} (**{by.at[claim, 'verdict']}**)"
    assert g["fc_sox"] == f"{MINUS}9.15% (**approximately**)"
    assert g["fc_china"] == "Shanghai: 0 sessions, reopens 5 Feb 2025 (**confirmed**)"
    for key, claim in {"sox": "sox-ret", "nikkei": "nikkei-august", "adv_mon": "advantest-mon",
                       "adv_tue": "advantest-tue", "korea": "korea-closed",
                       "taiwan": "taiwan-closed"}.items():
        assert g[f"fc_{key}_reason"] == by.at[claim, "reason"]
    assert len(g) == 21 + len(lines) + 6

    (key, (figure, data)), = chapter.figures.items()
    assert key == "fig-factcheck-moves"
    pd.testing.assert_frame_equal(data, factcheck.dot_data(results))
    assert figure.to_dict()["title"] == factcheck.dot_chart(data).to_dict()["title"]


def test_chapter_counts_and_flags_follow_the_results(monkeypatch):
    """Two wrong claims are 'two are wrong', listed in order; no flag at all is 'none'; a doubt
    on a market claim lists the claims."""
    real = factcheck.check()
    results = real.assign(flag="")
    results.loc[results["id"] == "sox-ret", "verdict"] = "wrong"
    monkeypatch.setattr(page, "check", lambda: results)
    g = page.chapter.__wrapped__().text
    assert g["fc_wrong"] == "2" and g["fc_wrong_is"] == "two are wrong"
    assert g["fc_approx"] == "3"
    sox, v3 = (real.set_index("id").at[i, "claim"] for i in ("sox-ret", "v3-launch"))
    assert g["fc_wrong_claims"] == f"“{sox}”; “{v3}”"
    assert g["fc_flagged"] == "none"
    assert g["fc_where"].startswith("The claims the data contradict or cannot back: ")
    assert g["fc_sox"] == f"{MINUS}9.15% (**wrong**)"
