"""The comparison-shocks engine: one known real value per event from the raw files, the
transmission model's answers (the story chapters' model, pinned by statsmodels on raw files), breadth from the raw panel, and made-up events."""

from __future__ import annotations

import pandas as pd
import pytest

from deepshock.story import shocks
from tests.conftest import ROOT, SNAPSHOT, raw_close

# One known value per event: (event date, series, file of the series, market, press figure %)
KNOWN = [("2024-08-05", "Tokyo", "INDEX_N225.csv", -12.4),   # Nikkei's worst day since 1987
         ("2024-09-03", "NVDA", "NVDA.csv", -9.5),
         ("2024-12-18", "^GSPC", "INDEX_GSPC.csv", -2.95),
         ("2025-01-27", "NVDA", "NVDA.csv", -17.0),
         ("2025-02-27", "NVDA", "NVDA.csv", -8.5),
         ("2025-04-03", "^GSPC", "INDEX_GSPC.csv", -4.84),
         ("2025-04-04", "^GSPC", "INDEX_GSPC.csv", -5.97),
         ("2025-04-07", "Tokyo", "INDEX_N225.csv", -7.8)]


@pytest.fixture(scope="module")
def table(snapshot):
    return shocks.measure().set_index(shocks.measure()["date"].dt.strftime("%Y-%m-%d"))


def raw_return(file: str, day: str) -> float:
    close = raw_close(file)
    pos = close.index.get_loc(pd.Timestamp(day))
    return close.iloc[pos] / close.iloc[pos - 1] - 1


@pytest.mark.parametrize("date, series, file, press", KNOWN)
def test_one_known_value_per_event(table, date, series, file, press):
    row = table.loc[date]
    column = f"{series} d0 total" if series in shocks.LOCAL else f"ret {series}"
    session = row[f"{series} d0 session"] if series in shocks.LOCAL else row["day0"]
    expected = raw_return(file, f"{session:%Y-%m-%d}")
    assert row[column] == pytest.approx(expected, rel=1e-12)
    assert row[column] * 100 == pytest.approx(press, abs=0.1)  # the press figure, rounded


def test_every_event_in_the_data_table_is_measured(table):
    raw = pd.read_csv(ROOT / "data" / "shocks.csv")
    assert sorted(table.index) == sorted(raw["date"])
    assert {k[0] for k in KNOWN} == set(raw["date"])  # and each has a known value above


def test_day_zero_is_the_first_close_after_the_news(monkeypatch):
    """Made-up news times: New York's day 0 is its first session closing after them, Tokyo's
    too (so Tokyo trades a New York evening's news the next morning)."""
    news = pd.to_datetime(["2025-02-01 12:00", "2025-01-20 15:00", "2025-01-27 20:59"], utc=True)
    made_up = pd.DataFrame({"date": pd.to_datetime(["2025-02-03", "2025-01-21", "2025-01-27"]),
                            "origin_market": ["New York"] * 3, "label": ["a", "b", "c"],
                            "description": "x", "source": "test", "certainty": "reported",
                            "news_utc": news, "precision": pd.Timedelta(minutes=1),
                            "time_source": "test", "role": ["comparison", "comparison", "primary"]})
    monkeypatch.setattr(shocks.measures.event.context, "shocks", lambda: made_up)
    table = shocks.events().set_index("label")
    assert table.at["a", "day0"] == pd.Timestamp("2025-02-03")   # a Saturday -> Monday
    assert table.at["b", "day0"] == pd.Timestamp("2025-01-21")   # Martin Luther King Jr. Day
    assert table.at["c", "day0"] == pd.Timestamp("2025-01-27")   # before the 21:00 UTC close
    assert table.at["c", "day0_tokyo"] == pd.Timestamp("2025-01-28")  # after Tokyo's close


def test_moves_and_path_on_a_made_up_series(monkeypatch):
    dates = pd.bdate_range("2024-01-01", periods=40)
    rets = pd.Series(0.01, index=dates)
    rets.iloc[10] = -0.10   # the made-up shock: day 0
    rets.iloc[5] = -0.20    # one larger fall earlier
    rets.iloc[20] = -0.05
    monkeypatch.setattr(shocks.measures, "_series", lambda ticker: rets)
    moves = shocks.moves(dates[10]).set_index("ticker")
    assert moves.at["NVDA", "rank"] == 2 and moves.at["NVDA", "out_of"] == 40
    assert moves.at["^VIX", "rank"] == 39   # by rises: 37 days of +1% and the -5% day rose more
    path = shocks.path(dates[10])
    nv = path.loc[path["series"] == "Nvidia"].set_index("tau")["cum_pct"]
    assert nv[-1] == pytest.approx(0.0, abs=1e-12)
    assert nv[0] == pytest.approx(-10.0)
    assert nv[1] == pytest.approx((0.9 * 1.01 - 1) * 100)
    assert nv[-5] == pytest.approx((1 / 1.01 ** 4 - 1) * 100)


def test_transmission_is_the_one_model_s(table):
    """Every market-day of the travel table is `transmission.security` for the event's news
    time (same function, same parameters as the story chapters), and the DeepSeek shock's
    Tokyo Tuesday is recomputed from the raw closes with statsmodels."""
    from deepshock.story import transmission as tr
    from tests.test_story_asia import raw_answer
    events = shocks.events().set_index("label")
    for date, row in table.iterrows():
        news = events.at[row["label"], "news_utc"]
        for market, ticker in shocks.LOCAL.items():
            model = tr.security(ticker, news, shocks.DAYS).query("bound == 'cc'").set_index("day")
            for day in shocks.DAYS:
                assert row[f"{market} d{day} session"] == model.at[day, "date"], (date, market)
                assert row[f"{market} d{day} total"] == pytest.approx(model.at[day, "total"])
                assert row[f"{market} d{day} excess"] == pytest.approx(model.at[day, "excess"])
    want = raw_answer("INDEX_N225.csv", "2025-01-28")
    deepseek = table.loc["2025-01-27"]
    assert deepseek["Tokyo d1 session"] == pd.Timestamp("2025-01-28")
    assert deepseek["Tokyo d1 excess"] == pytest.approx(want["excess"][0], rel=1e-9)
    assert deepseek["Tokyo d0 session"] == pd.Timestamp("2025-01-27")   # before New York traded
    # Liberation Day: announced after New York's close on 2 April, so Tokyo's day 0 is 3 April
    assert table.loc["2025-04-03", "Tokyo d0 session"] == pd.Timestamp("2025-04-03")


def test_breadth_from_the_raw_panel(table):
    closes = pd.read_csv(SNAPSHOT / "panel" / "closes.csv", index_col=0, parse_dates=True)
    members = pd.read_csv(SNAPSHOT / "panel" / "members.csv")
    sp = members.loc[members["kind"] == "sp500", "ticker"]
    day = (closes.loc["2025-01-27", sp] / closes.loc["2025-01-24", sp] - 1).dropna()
    row = table.loc["2025-01-27"]
    assert (row["fell"], row["n"]) == (int((day < 0).sum()), len(day))
    sector = members.set_index("ticker").loc[day.index, "sector"]
    sectors = day[sector.notna()].groupby(sector[sector.notna()]).mean()  # unclassified out
    assert row["worst_sector"] == sectors.idxmin()
    assert row["best_sector"] == sectors.idxmax()


def test_the_deepseek_day_was_the_most_concentrated(table):
    """The chapter's headline answer, recomputed from the raw SOX and panel RSP files."""
    closes = pd.read_csv(SNAPSHOT / "panel" / "closes.csv", index_col=0, parse_dates=True)
    gaps = {}
    for date, day0 in zip(table.index, table["day0"]):
        rsp = closes["RSP"].pct_change().loc[day0]
        gaps[date] = raw_return("INDEX_SOX.csv", f"{day0:%Y-%m-%d}") - rsp
    assert min(gaps, key=gaps.get) == "2025-01-27"
    assert table["concentration"].idxmin() == "2025-01-27"
