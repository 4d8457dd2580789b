"""Fact-check verdicts on the real data, and rules that flip when a made-up measurement changes."""

import pandas as pd
import pytest

from deepshock.story import factcheck
from tests.conftest import ROOT, built_glue, raw_close
from tests.test_browser import site  # noqa: F401  (the session's one build of the book)


@pytest.fixture(scope="module")
def results(snapshot):
    return factcheck.check().set_index("id")


def test_every_claim_gets_a_verdict(results):
    claims = pd.read_csv(ROOT / "data" / "claims.csv", dtype=str, keep_default_na=False)
    assert list(results.index) == claims["id"].tolist()
    assert results["verdict"].isin(factcheck.VERDICTS).all()
    assert (results["reason"].str.len() > 0).all()
    assert (claims["source"].str.strip() != "").all()


def test_verdicts_on_the_real_data(results):
    close = raw_close("AVGO.csv")
    avgo = (close["2025-01-27"] / close["2025-01-24"] - 1) * 100
    assert round(avgo, 1) == -17.4
    assert results.at["avgo-ret", "verdict"] == "confirmed"
    adv = raw_close("6857.T.csv")
    adv_tue = (adv["2025-01-28"] / adv["2025-01-27"] - 1) * 100
    assert adv_tue == pytest.approx(-11.14, abs=0.005)
    assert results.at["advantest-tue", "verdict"] == "approximately"
    assert results.at["advantest-tue", "measured_value"] == pytest.approx(adv_tue)
    assert results.at["sox-rank", "verdict"] == "confirmed"
    assert results.at["v3-launch", "verdict"] == "wrong"
    assert results.at["nvda-loss", "verdict"] == "confirmed"
    assert results.at["korea-closed", "verdict"] == "confirmed"
    assert results.at["china-closed", "verdict"] == "confirmed"  # from the XSHG calendar
    assert results.at["v3-cost", "verdict"] == "approximately"  # caveat caps it
    # Tuesday's "10%" misses the close by more than a tenth of itself, but lies in the
    # session's range: approximately, flagged as understating the fall
    assert results.at["advantest-tue", "flag"] == "understates"
    assert "intraday" in results.at["advantest-tue", "reason"]
    adv_mon = (adv["2025-01-27"] / adv["2025-01-24"] - 1) * 100
    assert round(adv_mon, 1) == -8.6
    assert results.at["advantest-mon", "verdict"] == "confirmed"
    assert f"close {adv_mon:+.2f}%".replace("-", "\u2212") in results.at["advantest-mon", "reason"]
    assert results.at["sox-ret", "flag"] == "overstates"


def test_sox_deepest_since_march_2020_from_raw_closes(results, snapshot):
    sox = raw_close("INDEX_SOX.csv")
    ret = sox.pct_change().dropna()
    shock = ret["2025-01-27"]
    deeper = ret.loc[(ret.index < "2025-01-27") & (ret <= shock)]
    assert deeper.index.max().strftime("%Y-%m") == "2020-03"
    assert "18 Mar 2020" in results.at["sox-rank", "measured"]


def _claim(**values) -> pd.DataFrame:
    base = {"id": "x", "claim": "made up", "subject": "AAA", "date": "2025-01-27",
            "metric": "close_to_close_return", "claimed": "-10", "unit": "%", "precision": "1",
            "tolerance": "10%", "caveat": "", "source": "test"}
    return pd.DataFrame([{**base, **values}])


def _evidence(ret: float) -> factcheck.Evidence:
    days = pd.to_datetime(["2025-01-24", "2025-01-27"])
    returns = pd.DataFrame({"ticker": ["AAA"], "date": [days[1]], "prev_date": [days[0]],
                            "close": [100 * (1 + ret)], "prev_close": [100.0], "ret": [ret]})
    sessions = pd.DataFrame({"ticker": ["AAA", "AAA"], "date": days})
    empty = pd.DataFrame()
    return factcheck.Evidence(returns=returns, sessions=sessions, events=empty, records=empty,
                              losses=empty)


@pytest.mark.parametrize("ret, verdict", [(-0.1020, "confirmed"), (-0.1080, "approximately"),
                                          (-0.1300, "wrong"), (-0.0700, "wrong")])
def test_verdict_flips_with_the_measured_value(ret, verdict):
    out = factcheck.check(_claim(), _evidence(ret))
    assert out.at[0, "verdict"] == verdict


def test_caveat_caps_a_confirmed_claim():
    plain = factcheck.check(_claim(), _evidence(-0.1))
    capped = factcheck.check(_claim(caveat="scope differs"), _evidence(-0.1))
    assert plain.at[0, "verdict"] == "confirmed"
    assert capped.at[0, "verdict"] == "approximately"


@pytest.mark.parametrize("measured, verdict, flag", [
    (-10.5, "confirmed", ""),          # exactly half the last digit: still the claim's rounding
    (-9.5, "confirmed", ""),
    (-10.6, "approximately", "understates"),   # inside a whole digit, outside half of one
    (-11.0, "approximately", "understates"),   # exactly the tolerance (10% of 10): included
    (-9.0, "approximately", "overstates"),
    (-11.01, "wrong", "understates"),
    (-8.99, "wrong", "overstates"),
])
def test_judge_number_by_hand(measured, verdict, flag):
    got, reason, got_flag = factcheck.judge_number(-10.0, measured, 1.0, 0.10, "%")
    assert (got, got_flag) == (verdict, flag)
    if verdict != "confirmed":
        assert flag in reason


def test_tolerance_is_relative_to_the_claim():
    # 10% of 2.1 is 0.21 points; of 17 it is 1.7 points
    assert factcheck.judge_number(-2.1, -2.30, 0.1, 0.10, "%")[0] == "approximately"
    assert factcheck.judge_number(-2.1, -2.35, 0.1, 0.10, "%")[0] == "wrong"
    assert factcheck.judge_number(-17.0, -18.6, 1.0, 0.10, "%")[0] == "approximately"
    assert factcheck.tolerance("10%") == pytest.approx(0.1)
    assert factcheck.tolerance("") is None
    assert factcheck.tolerance(" 2.5% ") == pytest.approx(0.025)  # the form is the schema's


def _loss_evidence(loss: float, approximate: bool) -> factcheck.Evidence:
    ev = _evidence(-0.1)
    ev.losses = pd.DataFrame({"ticker": ["AAA"], "date": [pd.Timestamp("2025-01-27")],
                              "included": [True], "loss_usd": [loss], "grade": ["C"],
                              "approximate": [approximate]})
    return ev


def test_estimated_share_count_caps_confirmed():
    claim = _claim(metric="market_value_loss", claimed="593", unit="$bn", precision="1")
    exact = factcheck.check(claim, _loss_evidence(593e9, False))
    estimated = factcheck.check(claim, _loss_evidence(593e9, True))
    assert exact.at[0, "verdict"] == "confirmed"
    assert estimated.at[0, "verdict"] == "approximately"


def test_matching_a_record_is_not_beating_it():
    claim = _claim(metric="record_loss", claimed="record", unit="", precision="", tolerance="")
    ev = _loss_evidence(279e9, False)
    ev.records = pd.DataFrame({"company": ["Old"], "date": [pd.Timestamp("2024-09-03")],
                               "loss_usd_bn": [279.0]})
    assert factcheck.check(claim, ev).at[0, "verdict"] == "wrong"
    ev.losses["loss_usd"] = 279.1e9
    assert factcheck.check(claim, ev).at[0, "verdict"] == "consistent"
    ev.records["date"] = pd.Timestamp("2025-02-01")   # a later loss is no earlier record
    assert factcheck.check(claim, ev).at[0, "verdict"] == "not supported"


def _series(points: dict[str, float], ticker: str = "AAA") -> pd.DataFrame:
    dates = pd.to_datetime(list(points))
    return pd.DataFrame({"ticker": ticker, "date": dates, "prev_date": dates - pd.Timedelta(days=1),
                         "close": 1.0, "prev_close": 1.0, "ret": list(points.values())})


def test_worst_month_finds_the_worst_not_the_best_day():
    claim = _claim(metric="worst_day_month", date="2024-01-01..2024-12-31", claimed="2024-08",
                   unit="", precision="", tolerance="")
    ev = _evidence(-0.1)
    ev.returns = _series({"2024-03-04": 0.10, "2024-08-05": -0.12, "2024-10-01": -0.02})
    assert factcheck.check(claim, ev).at[0, "verdict"] == "confirmed"
    ev.returns = _series({"2024-03-04": -0.13, "2024-08-05": 0.12})
    assert factcheck.check(claim, ev).at[0, "verdict"] == "wrong"


@pytest.mark.parametrize("deeper_on, verdict", [
    ("2020-03-16", "confirmed"),       # last deeper fall in the claimed month
    ("2022-05-05", "wrong"),           # a deeper fall came later than the claim allows
    ("2019-01-03", "approximately"),   # the last deeper fall is even earlier: understated
])
def test_rank_since_earlier_and_later_months(deeper_on, verdict):
    claim = _claim(metric="rank_since", claimed="2020-03", unit="", precision="", tolerance="")
    ev = _evidence(-0.1)
    ev.returns = _series({deeper_on: -0.2, "2024-06-03": -0.05, "2025-01-27": -0.1})
    assert factcheck.check(claim, ev).at[0, "verdict"] == verdict


def _led_evidence(rets: dict[str, float]) -> factcheck.Evidence:
    day = pd.Timestamp("2024-08-05")
    opens = {"XTKS": "00:00", "XKRX": "00:00", "XNYS": "13:30"}
    codes = {"^N225": "XTKS", "^KS11": "XKRX", "^GSPC": "XNYS"}
    ev = _evidence(-0.1)
    ev.returns = pd.concat([_series({"2024-03-04": 0.01, "2024-08-05": r}, t)
                            for t, r in rets.items()], ignore_index=True)
    ev.codes, ev.indices = codes, list(rets)
    ev.hours = lambda code, d: (pd.Timestamp(f"{d:%Y-%m-%d} {opens[code]}", tz="UTC"),) * 2
    ev.names = {"^KS11": "KOSPI"}
    assert day in set(ev.returns["date"])
    return ev


def test_led_needs_first_and_largest():
    claim = _claim(metric="led_meltdown", subject="^N225", date="2024-01-01..2024-12-31",
                   claimed="2024-08", unit="", precision="", tolerance="")
    led = factcheck.check(claim, _led_evidence({"^N225": -0.12, "^KS11": -0.09, "^GSPC": -0.03}))
    assert led.at[0, "verdict"] == "confirmed"
    assert "KOSPI at the same time" in led.at[0, "reason"]
    not_largest = _led_evidence({"^N225": -0.12, "^KS11": -0.13, "^GSPC": -0.03})
    assert factcheck.check(claim, not_largest).at[0, "verdict"] == "consistent"
    late = _led_evidence({"^N225": -0.12, "^KS11": -0.09, "^GSPC": -0.03})
    late.hours = lambda code, d: (pd.Timestamp(f"{d:%Y-%m-%d}", tz="UTC")
                                  + pd.Timedelta(hours=5 if code == "XTKS" else 0),) * 2
    assert factcheck.check(claim, late).at[0, "verdict"] == "consistent"
    wrong_month = _claim(metric="led_meltdown", subject="^N225", date="2024-01-01..2024-12-31",
                         claimed="2024-07", unit="", precision="", tolerance="")
    assert factcheck.check(wrong_month, led_ev := _led_evidence(
        {"^N225": -0.12, "^KS11": -0.09, "^GSPC": -0.03})).at[0, "verdict"] == "wrong"
    assert led_ev.indices


def test_nikkei_led_5_august_in_the_raw_data(results, snapshot):
    import exchange_calendars as xcals

    files = {"^N225": "INDEX_N225.csv", "^KS11": "INDEX_KS11.csv", "^TWII": "INDEX_TWII.csv",
             "^HSI": "INDEX_HSI.csv", "^GSPC": "INDEX_GSPC.csv", "^GDAXI": "INDEX_GDAXI.csv"}
    rets = {}
    for ticker, file in files.items():
        close = raw_close(file)
        at = close.index.get_loc(pd.Timestamp("2024-08-05"))
        rets[ticker] = close.iloc[at] / close.iloc[at - 1] - 1
    assert min(rets, key=rets.get) == "^N225"
    tokyo = xcals.get_calendar("XTKS").session_open("2024-08-05")
    taipei = xcals.get_calendar("XTAI").session_open("2024-08-05")
    assert tokyo < taipei
    assert results.at["nikkei-august", "verdict"] == "confirmed"


def _closure(calendar_sessions: list[str], rows: list[str]) -> pd.DataFrame:
    claim = _claim(metric="market_closed", date="2025-01-28..2025-01-29", claimed="closed",
                   unit="", precision="", tolerance="")
    ev = _evidence(-0.1)
    ev.codes = {"AAA": "XAAA"}
    ev.sessions = pd.DataFrame({"ticker": "AAA", "date": pd.to_datetime(rows)})
    ev.calendar = lambda code, start, end: pd.DatetimeIndex(
        [d for d in pd.to_datetime(calendar_sessions) if start <= f"{d:%Y-%m-%d}" <= end])
    return factcheck.check(claim, ev)


def test_market_closed_from_the_calendar_not_missing_rows():
    # the calendar has no session and the file has no rows: confirmed, even with no row after
    assert _closure(["2025-01-27", "2025-01-30"], ["2025-01-27"]).at[0, "verdict"] == "confirmed"
    # missing rows are no proof: the calendar says it traded
    assert _closure(["2025-01-28", "2025-01-30"], ["2025-01-27", "2025-01-30"]).at[
        0, "verdict"] == "wrong"
    # the calendar says closed but the snapshot has a row: flagged, not confirmed
    assert _closure(["2025-01-30"], ["2025-01-29"]).at[0, "verdict"] == "not supported"


def test_intraday_range_rule_for_tokyo():
    claim = _claim(subject="AAA")
    ev = _evidence(-0.12)
    ev.codes = {"AAA": "XTKS"}
    ev.bars = pd.DataFrame({"ticker": ["AAA"], "date": [pd.Timestamp("2025-01-27")],
                            "high": [92.0], "low": [87.0]})
    inside = factcheck.check(claim, ev)
    assert inside.at[0, "verdict"] == "approximately" and "intraday" in inside.at[0, "reason"]
    ev.bars["low"] = 88.5  # the claimed -10% is inside, a -11.5% low: still inside
    assert factcheck.check(claim, ev).at[0, "verdict"] == "approximately"
    ev.bars["high"] = 89.5  # the whole session below -10.5%: the claim is outside the range
    assert factcheck.check(claim, ev).at[0, "verdict"] == "wrong"
    ev.codes = {"AAA": "XNYS"}  # a New York close is not treated as possibly intraday
    ev.bars["high"] = 92.0
    assert factcheck.check(claim, ev).at[0, "verdict"] == "wrong"


def test_chapter_executes_with_glued_numbers(snapshot, site):  # noqa: F811
    """The chapter as the session's one strict build executed it (its glue)."""
    glued = built_glue(site, "chapters/factcheck")
    claims = pd.read_csv(ROOT / "data" / "claims.csv")
    assert glued["fc_n"]["text/markdown"] == str(len(claims))
    assert "**wrong**" in glued["fc_v3"]["text/markdown"]
    assert "list-table" in glued["fc_table"]["text/markdown"]
    assert "fig-factcheck-moves" in glued
    assert "**confirmed**" in glued["fc_china"]["text/markdown"]
    assert "understates" in glued["fc_flagged"]["text/markdown"]
