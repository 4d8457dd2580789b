"""Fact-check verdicts on the real data, and rules that flip when a made-up measurement changes."""

import pandas as pd
import pytest

from deepshock.book import chapter
from deepshock.story import factcheck
from tests.conftest import ROOT, raw_close


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
    assert results.at["china-closed", "verdict"] == "consistent"
    assert results.at["v3-cost", "verdict"] == "approximately"  # caveat caps it


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
            "tolerance": "2", "caveat": "", "source": "test"}
    return pd.DataFrame([{**base, **values}])


def _evidence(ret: float) -> factcheck.Evidence:
    days = pd.to_datetime(["2025-01-24", "2025-01-27"])
    returns = pd.DataFrame({"ticker": ["AAA"], "date": [days[1]], "prev_date": [days[0]],
                            "close": [100 * (1 + ret)], "prev_close": [100.0], "ret": [ret]})
    sessions = pd.DataFrame({"ticker": ["AAA", "AAA"], "date": days})
    empty = pd.DataFrame()
    return factcheck.Evidence(returns=returns, sessions=sessions, events=empty, records=empty,
                              losses=empty)


@pytest.mark.parametrize("ret, verdict", [(-0.1020, "confirmed"), (-0.1140, "approximately"),
                                          (-0.1300, "wrong"), (-0.0700, "wrong")])
def test_verdict_flips_with_the_measured_value(ret, verdict):
    out = factcheck.check(_claim(), _evidence(ret))
    assert out.at[0, "verdict"] == verdict


def test_caveat_caps_a_confirmed_claim():
    plain = factcheck.check(_claim(), _evidence(-0.1))
    capped = factcheck.check(_claim(caveat="scope differs"), _evidence(-0.1))
    assert plain.at[0, "verdict"] == "confirmed"
    assert capped.at[0, "verdict"] == "approximately"


def test_market_closed_from_missing_rows():
    claim = _claim(metric="market_closed", date="2025-01-28..2025-01-29", claimed="closed",
                   unit="", precision="", tolerance="")
    # no session after the window: the data cannot show the market was closed rather than missing
    assert factcheck.check(claim, _evidence(-0.1)).at[0, "verdict"] == "not supported"
    ev = _evidence(-0.1)
    ev.sessions = pd.DataFrame({"ticker": ["AAA"] * 3,
                                "date": pd.to_datetime(["2025-01-24", "2025-01-27", "2025-01-30"])})
    assert factcheck.check(claim, ev).at[0, "verdict"] == "confirmed"
    traded = _claim(metric="market_closed", date="2025-01-27..2025-01-27", claimed="closed",
                    unit="", precision="", tolerance="")
    assert factcheck.check(traded, ev).at[0, "verdict"] == "wrong"


def test_chapter_executes_with_glued_numbers(snapshot):
    glued = chapter.execute("factcheck")
    claims = pd.read_csv(ROOT / "data" / "claims.csv")
    assert glued["fc_n"]["text/markdown"] == str(len(claims))
    assert "**wrong**" in glued["fc_v3"]["text/markdown"]
    assert "list-table" in glued["fc_table"]["text/markdown"]
    assert "fig-factcheck-moves" in glued
