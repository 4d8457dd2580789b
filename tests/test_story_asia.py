"""Tokyo, delayed contagion and aftermath: the chapters execute (in the session's one strict
build, whose glue is read here), and what they publish matches values computed here from the raw
snapshot CSVs with plain pandas."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepshock.story import aftermath, asia
from deepshock.story.charts import SPEC_MIME
from tests.conftest import ROOT, built_glue, raw_close
from tests.test_browser import site  # noqa: F401  (the session's one build of the book)

D = pd.Timestamp


def ret(file: str, date: str, prev: str | None = None) -> float:
    """Close-to-close return on `date` from the previous row (or from `prev`), raw file."""
    close = raw_close(file)
    before = close.loc[D(prev)] if prev else close.loc[:D(date)].iloc[-2]
    return close.loc[D(date)] / before - 1


def text(glued: dict, key: str) -> str:
    return glued[key]["text/markdown"]


def number(glued: dict, key: str) -> float:
    """The first signed number in a glued string: '-9.86%' -> -9.86."""
    found = re.search(r"[-+\u2212]?\d[\d,]*\.?\d*", text(glued, key)).group()
    return float(found.replace(",", "").replace("\u2212", "-"))


@pytest.fixture(scope="module")
def tokyo(snapshot, site):  # noqa: F811
    return built_glue(site, "chapters/tokyo")


@pytest.fixture(scope="module")
def contagion(snapshot, site):  # noqa: F811
    return built_glue(site, "chapters/contagion")


@pytest.fixture(scope="module")
def after(snapshot, site):  # noqa: F811
    return built_glue(site, "chapters/aftermath")


# --- Tokyo ---------------------------------------------------------------------------------

def down(fraction: float) -> str:
    """The house style for a fall in prose: -0.0861 -> '8.6%'."""
    assert fraction < 0
    return f"{-fraction * 100:.1f}%"


def test_tokyo_glues_advantest_and_nikkei(tokyo):
    assert text(tokyo, "adv_mon") == down(ret("6857.T.csv", "2025-01-27")) == "8.6%"
    assert text(tokyo, "adv_tue") == down(ret("6857.T.csv", "2025-01-28")) == "11.1%"
    nk = raw_close("INDEX_N225.csv")
    assert text(tokyo, "nk_two") == down(nk["2025-01-28"] / nk["2025-01-24"] - 1)


def test_tokyo_counts_and_session_order(tokyo):
    files = ["6857.T", "8035.T", "9984.T", "6146.T", "5803.T", "6920.T", "7735.T", "6723.T"]
    mon = [ret(f"{f}.csv", "2025-01-27") for f in files]
    words = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight"]
    assert text(tokyo, "n_fell_mon") == words[sum(r < 0 for r in mon)]
    assert text(tokyo, "avg_mon") == down(sum(mon) / len(mon))
    assert text(tokyo, "tk_close") == "06:30 UTC" and text(tokyo, "ny_open") == "14:30 UTC"
    assert text(tokyo, "tk_ny_gap") == "8"
    spx, sox, nv = (ret(f, "2025-01-27") * 100 for f in ["INDEX_GSPC.csv", "INDEX_SOX.csv", "NVDA.csv"])
    assert text(tokyo, "ny_line") == (f"S&P 500 ({spx:+.1f}%); SOX ({sox:+.1f}%); Nvidia ({nv:+.1f}%)"
                                      .replace("-", "\u2212"))


def test_tokyo_yen_is_yen_per_dollar(tokyo):
    fx = raw_close("JPY_X.csv")
    assert text(tokyo, "fx_mon") == f"{fx['2025-01-27']:.2f}"
    assert text(tokyo, "fx_yen_two") == f"{(fx['2025-01-24'] / fx['2025-01-28'] - 1) * 100:.1f}%"


def test_timeline_places_sessions_in_utc_order(snapshot):
    line = asia.timeline()
    first = line.groupby(["city", "session"])["start_utc"].min().sort_values()
    order = [f"{c} {d:%d}" for c, d in first.index if c in ("Tokyo", "Europe (Xetra)", "New York")]
    assert order == ["Tokyo 27", "Europe (Xetra) 27", "New York 27", "Tokyo 28",
                     "Europe (Xetra) 28", "New York 28"]
    closed = line.loc[line["status"] == "closed"]
    assert set(closed["city"]) == {"Seoul", "Taipei", "Shanghai"}
    assert (closed["label"] == "closed").all()
    assert set(closed.loc[closed["city"] == "Shanghai", "session"]) == {D("2025-01-28")}


def raw_answer(ticker_file: str, day: str) -> dict:
    """The close-to-close transmission answer of a Tokyo security for a one-weekday session,
    recomputed from the raw CSVs with statsmodels: OLS of its returns on the S&P 500's and
    the SOX's moves between the New York closes before its previous and its own session
    (Tokyo closes before New York opens, so "before" is the earlier calendar date), on its
    sessions -250..-11 of Monday 27 January; the echo's CI from the mean prediction, the
    excess's from the prediction of a new observation."""
    import statsmodels.api as sm
    from scipy import stats
    close = raw_close(ticker_file)
    frame = pd.DataFrame({"date": close.index[1:], "prev": close.index[:-1],
                          "ret": close.to_numpy()[1:] / close.to_numpy()[:-1] - 1})
    for name, file in (("spx", "INDEX_GSPC.csv"), ("sox", "INDEX_SOX.csv")):
        ny = raw_close(file)
        before = ny.index.searchsorted(frame["date"]) - 1, ny.index.searchsorted(frame["prev"]) - 1
        level = [np.where(i >= 0, ny.to_numpy()[i.clip(0)], np.nan) for i in before]
        frame[name] = level[0] / level[1] - 1   # last New York close before each Tokyo date
    zero = int(frame.index[frame["date"] == D("2025-01-27")][0])
    est = frame.iloc[zero - 250:zero - 10]
    fit = sm.OLS(est["ret"], sm.add_constant(est[["spx", "sox"]])).fit()
    row = frame.loc[frame["date"] == D(day)].iloc[0]
    pred = fit.get_prediction(pd.DataFrame({"const": [1.0], "spx": [row["spx"]],
                                            "sox": [row["sox"]]}))
    q = stats.t.ppf(0.975, fit.df_resid)
    echo, se_echo = float(pred.predicted_mean[0]), float(pred.se_mean[0])
    se = float(np.sqrt(fit.scale + se_echo ** 2))
    excess = row["ret"] - echo
    return {"total": row["ret"], "echo": (echo, echo - q * se_echo, echo + q * se_echo),
            "excess": (excess, excess - q * se, excess + q * se)}


def as_glued(value: float, lo: float, hi: float) -> str:
    """'−2.9%, 95% CI −3.8% to −2.0%' (published negatives take the minus sign)."""
    return (f"{value * 100:+.1f}%, 95% CI {lo * 100:+.1f}% to {hi * 100:+.1f}%"
            .replace("-", "\u2212"))


@pytest.mark.parametrize("ticker,file,day,d", [("^N225", "INDEX_N225.csv", "2025-01-28", 1),
                                               ("6857.T", "6857.T.csv", "2025-01-27", 0),
                                               ("6857.T", "6857.T.csv", "2025-01-28", 1)])
def test_tokyo_answer_against_statsmodels_on_the_raw_files(tokyo, ticker, file, day, d):
    """What Tokyo glues for a market-day (the Nikkei's Tuesday, Advantest's two days) is
    recomputed independently from the raw closes."""
    want = raw_answer(file, day)
    slug = ticker.replace("^", "").replace(".", "")
    assert text(tokyo, f"tm_{slug}_d{d}_total") == f"{want['total'] * 100:+.1f}%".replace(
        "-", "\u2212")
    assert text(tokyo, f"tm_{slug}_d{d}_echo_cc") == as_glued(*want["echo"])
    assert text(tokyo, f"tm_{slug}_d{d}_excess_cc") == as_glued(*want["excess"])


def test_tokyo_states_the_verdicts_and_the_new_york_leads(tokyo):
    sox = raw_close("INDEX_SOX.csv")
    assert text(tokyo, "tk_sox_mon") == down(sox["2025-01-27"] / sox["2025-01-24"] - 1)
    assert text(tokyo, "tk_sox_fri") == down(sox["2025-01-24"] / sox["2025-01-23"] - 1)
    assert text(tokyo, "tk_n_est") == "240"
    summary = text(tokyo, "tk_summary")
    for name in ("Nikkei 225", "Advantest", "Tokyo Electron", "SoftBank Group"):
        assert name in summary
    assert text(tokyo, "taira_time") == "09:40–09:45"
    assert "pt_table" not in tokyo and not any(k.startswith("pt_") for k in tokyo)


# --- Delayed contagion ---------------------------------------------------------------------

@pytest.mark.parametrize("key,file,date,prev,expected", [
    ("hynix", "000660.KS.csv", "2025-01-31", "2025-01-24", -9.86),
    ("samsung", "005930.KS.csv", "2025-01-31", "2025-01-24", -2.42),
    ("tsmc", "2330.TW.csv", "2025-02-03", "2025-01-22", -5.73),
    ("taiex", "INDEX_TWII.csv", "2025-02-03", "2025-01-22", -3.53),
])
def test_first_session_moves(contagion, key, file, date, prev, expected):
    computed = ret(file, date, prev)
    assert computed * 100 == pytest.approx(expected, abs=0.005)
    assert text(contagion, key) == down(computed)


def test_contagion_dates_and_closures(contagion):
    assert text(contagion, "kr_first") == "Friday 31 January 2025"
    assert text(contagion, "tw_first") == "Monday 3 February 2025"
    assert text(contagion, "tw_prev") == "Wednesday 22 January 2025"
    assert text(contagion, "kr_closed_n") == "four" and text(contagion, "tw_closed_n") == "seven"
    assert text(contagion, "sh_back") == "Wednesday 5 February 2025"
    hsi = raw_close("INDEX_HSI.csv")
    assert D("2025-01-29") not in hsi.index  # closed, not a zero return
    assert text(contagion, "hk_tue") == f"rose {ret('INDEX_HSI.csv', '2025-01-28') * 100:.1f}%"


def test_tsmc_against_its_adr_over_the_holiday(contagion):
    tsm = raw_close("TSM.csv")
    # New York closes inside Taipei's gap: after its 22 Jan close (05:30 UTC), before 3 Feb open
    adr = tsm["2025-01-31"] / tsm["2025-01-21"] - 1
    assert text(contagion, "tsm_ret") == f"fell {down(adr)}"
    local = ret("2330.TW.csv", "2025-02-03", "2025-01-22")
    assert text(contagion, "tsm_gap") == f"{abs(local - adr) * 100:.1f} percentage points more"


def test_korea_gap_against_micron(contagion):
    mu = raw_close("MU.csv")
    assert text(contagion, "mu_ret") == f"fell {down(mu['2025-01-30'] / mu['2025-01-23'] - 1)}"


def test_contagion_bars_compare_like_with_like(snapshot):
    bars = asia.contagion().set_index("ticker")
    adv = raw_close("6857.T.csv")
    assert bars.at["6857.T", "ret_pct"] == pytest.approx((adv["2025-01-28"] / adv["2025-01-24"] - 1) * 100, abs=0.005)
    assert bars.at["6857.T", "sessions"] == 2 and bars.at["000660.KS", "sessions"] == 1
    assert bars.at["2330.TW", "base"] == D("2025-01-22") and bars.at["2330.TW", "end"] == D("2025-02-03")


def _panel_close(ticker: str) -> pd.Series:
    closes = pd.read_csv(ROOT.parent / "shared" / "market-data" / "panel" / "closes.csv",
                         parse_dates=["date"]).set_index("date")
    return closes[ticker]


def test_reopening_against_the_new_york_country_funds(snapshot):
    """Seoul: KOSPI from 24 Jan to 31 Jan against EWY over the New York sessions that closed
    after Seoul's 24 Jan close (06:30 UTC) and before its 31 Jan open: 24 to 30 Jan."""
    from deepshock.story.contagion import reopening
    pairs = reopening.pairs().set_index("ticker")
    ewy = _panel_close("EWY")
    kospi = raw_close("INDEX_KS11.csv")
    assert pairs.at["^KS11", "local_pct"] == pytest.approx((kospi["2025-01-31"] / kospi["2025-01-24"] - 1) * 100, abs=0.005)
    assert pairs.at["^KS11", "fund_pct"] == pytest.approx((ewy["2025-01-30"] / ewy["2025-01-23"] - 1) * 100, abs=0.005)
    ewt, twii = _panel_close("EWT"), raw_close("INDEX_TWII.csv")
    assert pairs.at["^TWII", "fund_pct"] == pytest.approx((ewt["2025-01-31"] / ewt["2025-01-21"] - 1) * 100, abs=0.005)
    assert pairs.at["^TWII", "local_pct"] == pytest.approx((twii["2025-02-03"] / twii["2025-01-22"] - 1) * 100, abs=0.005)
    # Hong Kong's gap starts after its 28 Jan half day; Shanghai's after its 27 Jan session
    assert pairs.at["^HSI", "local_last"] == D("2025-01-28") and pairs.at["^HSI", "local_back"] == D("2025-02-03")
    assert pairs.at["000001.SS", "local_last"] == D("2025-01-27")
    assert pairs.at["000001.SS", "local_back"] == D("2025-02-05")
    left = pairs["local_pct"] - pairs["fund_pct"]
    assert (pairs["left_pp"] - left).abs().max() < 0.011


def test_first_back_rejects_data_that_skip_a_session(monkeypatch, snapshot):
    """If the data's previous row is not the calendar's previous session, refuse."""
    fake = pd.Series({"date": D("2025-01-31"), "prev_date": D("2025-01-23"), "ret": -0.1})
    monkeypatch.setattr(asia.load, "session_return", lambda ticker, date: fake)
    with pytest.raises(ValueError, match="calendar's previous session is 2025-01-24"):
        asia.first_back("000660.KS")


# --- Aftermath -----------------------------------------------------------------------------

def sessions_to_regain(file: str, base: str = "2025-01-24", end: str = "2025-06-30"):
    close = raw_close(file).loc[:end]
    level = close.loc[:base].iloc[-1]
    after = close.loc[close.index > D(base)]
    hit = (after >= level).to_numpy().nonzero()[0]
    return (int(hit[0]) + 1, after.index[hit[0]]) if len(hit) else (None, None)


def test_nvidia_days_to_recover(after):
    n, date = sessions_to_regain("NVDA.csv")
    assert text(after, "nv_sessions") == str(n)
    assert text(after, "nv_regained") == f"{date:%A} {date.day} {date:%B %Y}"
    nv = raw_close("NVDA.csv")
    low = nv.loc["2025-01-27":"2025-06-30"].min() / nv["2025-01-24"] - 1
    assert text(after, "nv_low") == f"{abs(low) * 100:.1f}% below"


@pytest.mark.parametrize("ticker,file", [("TSM", "TSM.csv"), ("000660.KS", "000660.KS.csv"),
                                         ("8035.T", "8035.T.csv"), ("^GSPC", "INDEX_GSPC.csv"),
                                         ("^TWII", "INDEX_TWII.csv"), ("CEG", "CEG.csv")])
def test_recovery_table_matches_raw_closes(snapshot, ticker, file):
    rec = aftermath.recovery(aftermath.paths(), aftermath.tariff_window()).set_index("ticker")
    base = "2025-01-22" if ticker == "^TWII" else "2025-01-24"
    n, date = sessions_to_regain(file, base)
    got = rec.loc[ticker]
    if n is None:
        assert got["status"] == aftermath.STATUS[3] and pd.isna(got["sessions"])
    else:
        assert got["sessions"] == n and got["regained_date"] == date
    close = raw_close(file)
    assert got["end_pct"] == pytest.approx((close["2025-06-30"] / close[base] - 1) * 100, abs=0.005)


def test_tariff_window_found_in_the_data(after):
    spx = raw_close("INDEX_GSPC.csv").pct_change()
    april = spx.loc["2025-04-01":"2025-04-30"]
    worst = april.nsmallest(2)
    assert text(after, "fall1_date") == f"{min(worst.index):%A} {min(worst.index).day} April 2025"
    assert text(after, "rise") == f"{april.max() * 100:+.1f}%"


def test_group_path_has_no_filled_holidays(snapshot):
    groups = aftermath.group_paths(aftermath.paths())
    kt = groups.loc[groups["group"] == "Korea/Taiwan", "date"]
    # Taipei reopened 3 Feb: the group has no point between the base and then
    assert kt.iloc[1] == D("2025-02-03")
    semis = groups.loc[(groups["group"] == "US semiconductors") & (groups["date"] == D("2025-01-27")), "cum_pct"]
    files = ["NVDA", "AVGO", "AMD", "MU", "MRVL", "INTC", "QCOM"]
    expected = sum(ret(f"{f}.csv", "2025-01-27") for f in files) / len(files) * 100
    assert semis.iloc[0] == pytest.approx(expected, abs=0.005)


def test_recovery_status_logic_on_a_made_up_path():
    path = pd.DataFrame({"ticker": ["NVDA"] * 4, "base_date": D("2025-01-24"),
                         "date": pd.to_datetime(["2025-01-27", "2025-04-04", "2025-05-01", "2025-06-02"]),
                         "session": [1, 2, 3, 4], "cum": [-0.1, -0.3, 0.01, -0.05]})
    window = {"start": D("2025-04-03"), "end": D("2025-04-09")}
    row = aftermath.recovery(path, window).iloc[0]
    assert row["status"] == aftermath.STATUS[2] and row["sessions"] == 3
    assert row["low_in_window"] and row["end_pct"] == -5.0
    never = aftermath.recovery(path.assign(cum=[0.02, -0.3, -0.2, -0.1]), window).iloc[0]
    assert never["status"] == aftermath.STATUS[0] and pd.isna(never["sessions"])
    lost = aftermath.recovery(path.assign(cum=[-0.02, -0.3, -0.2, -0.1]), window).iloc[0]
    assert lost["status"] == aftermath.STATUS[3]


# --- Every chapter: glued charts with captions, and the CSV of what they show ---------------

@pytest.mark.parametrize("name", ["tokyo", "contagion", "aftermath"])
def test_chapter_figures_are_glued_with_captions(request, site, name):
    # `site` named here (the chapter's glue fixture, looked up below, needs it): the test's
    # fixtures say it reads the built book, so fast runs (`make mutation`) leave it out
    glued = request.getfixturevalue({"tokyo": "tokyo", "contagion": "contagion",
                                     "aftermath": "after"}[name])
    source = (ROOT / "chapters" / f"{name}.md").read_text(encoding="utf-8")
    figures = re.findall(r"```\{glue:figure\} (\S+)\n:name: \S+\n\n(.+?)```", source, re.S)
    assert figures, f"{name}: no glued figure"
    for key, caption in figures:
        assert key.startswith(f"fig-{name}-")
        assert "text/html" in glued[key] and SPEC_MIME in glued[key]
        assert len(caption.split()) > 8, f"{key}: caption too short"
        data = pd.read_csv(Path(ROOT / "_build" / "figdata" / f"{key}.csv"))
        assert 0 < len(data) < 2000


def test_suspect_bar_check_on_a_made_up_series(monkeypatch):
    """Volume against the median of the sessions before, close at the low, the index's move."""
    from deepshock.story.contagion import europe
    dates = pd.bdate_range("2025-01-01", periods=6)
    bars = pd.DataFrame({"date": dates, "close": [10, 10, 10, 10, 11, 9.0],
                         "low": [9, 9, 9, 9, 10, 9.0], "volume": [1, 2, 3, 4, 2, 9.0]})
    index = pd.DataFrame({"date": dates, "ret": [0, 0, 0, 0, 0, 0.004]})
    monkeypatch.setattr(europe.load, "prices", lambda t: bars.assign(ticker=t))
    monkeypatch.setattr(europe.load, "returns", lambda t: index)
    got = europe.bar_check("X", str(dates[-1].date()), "I", sessions=4)
    assert got.volume_ratio == pytest.approx(9 / 2.5)  # median of 2, 3, 4, 2
    assert got.closed_at_low and got.ret == pytest.approx(9 / 11 - 1) and got.index_ret == 0.004


def test_schneider_bar_is_flagged_as_in_the_brief(snapshot):
    from deepshock.story.contagion import europe
    got = europe.bar_check()
    assert got.closed_at_low and got.volume_ratio > 3 and got.index_ret > 0 > got.ret
