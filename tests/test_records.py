"""Records counted by a rule: the share-count lookup on a hand case, and the ranking of every
company-day pinned by an independent oracle (plain pandas from the raw snapshot CSVs and
data/shares.csv; never the functions under test)."""

import pandas as pd
import pytest

from deepshock.data import sharecounts
from deepshock.story.marketvalue import records
from tests.conftest import ROOT, SNAPSHOT

RANKED = ["NVDA", "AVGO", "MSFT", "AAPL", "AMZN", "META", "ORCL", "MU", "ARM", "VST", "CEG"]


def _table(rows):
    frame = pd.DataFrame(rows, columns=["ticker", "shares", "as_of", "as_of_precision", "grade"])
    return frame.assign(as_of=pd.to_datetime(frame["as_of"]), source="made up", notes="")


NO_SPLITS = pd.DataFrame({"ticker": [], "ratio": [], "effective": pd.to_datetime([]),
                          "download": pd.to_datetime([])})


def test_lookup_takes_the_last_day_count_at_or_before_within_183_days():
    table = _table([("X", 100.0, "2024-01-10", "day", "A"), ("X", 90.0, "2024-04-10", "day", "B"),
                    ("X", 999.0, "2024-05-01", "month", "C")])
    at = lambda day, **kw: sharecounts.for_day("X", pd.Timestamp(day), table=table,  # noqa: E731
                                               splits=NO_SPLITS, **kw)
    assert at("2024-01-09") is None                         # nothing at or before
    assert at("2024-01-09", after=True)["shares"] == 100.0   # the nearest after, if asked
    assert at("2024-01-09", after=True)["gap_days"] == 1
    assert at("2024-01-10")["shares"] == 100.0               # the same day counts
    assert at("2024-04-09")["shares"] == 100.0
    assert at("2024-06-15")["shares"] == 90.0                # a month-dated count never serves
    assert at("2024-10-10")["shares"] == 90.0                # exactly 183 days
    assert at("2024-10-11") is None                          # 184 days: too old
    daily = sharecounts.daily("X", pd.Series(pd.to_datetime(
        ["2024-01-09", "2024-01-10", "2024-10-10", "2024-10-11"])), table=table,
        splits=NO_SPLITS)
    assert daily["shares"].tolist()[1:3] == [100.0, 90.0]
    assert daily["shares"].isna().tolist() == [True, False, False, True]


def test_lookup_converts_a_count_from_before_a_split():
    table = _table([("X", 100.0, "2024-05-01", "day", "A")])
    splits = pd.DataFrame({"ticker": ["X", "X"], "ratio": [10.0, 3.0],
                           "effective": pd.to_datetime(["2024-06-10", "2027-01-01"]),
                           "download": pd.to_datetime(["2026-05-31", "2026-05-31"])})
    row = sharecounts.for_day("X", pd.Timestamp("2024-07-01"), table=table, splits=splits)
    assert row["shares"] == 1000.0 and row["filed"] == 100.0 and row["units"] == 10.0
    undated = splits.assign(effective=[pd.NaT, pd.NaT])
    assert sharecounts.for_day("X", pd.Timestamp("2024-07-01"), table=table,
                               splits=undated) is None


def _oracle() -> pd.DataFrame:
    """Every company-day of the ranked lines, from the raw files with merge_asof."""
    counts = pd.read_csv(ROOT / "data" / "shares.csv", parse_dates=["as_of"])
    counts = counts.loc[counts["as_of_precision"] == "day"].sort_values("as_of")
    frames = []
    for ticker in RANKED:
        bars = pd.read_csv(SNAPSHOT / "prices" / f"{ticker}.csv", parse_dates=["date"])
        bars = bars.assign(prev=bars["close"].shift(1)).dropna(subset=["prev"])
        mine = counts.loc[counts["ticker"] == ticker, ["as_of", "shares"]]
        got = pd.merge_asof(bars.sort_values("date"), mine, left_on="date", right_on="as_of",
                            tolerance=pd.Timedelta(days=183)).dropna(subset=["shares"])
        frames.append(got.assign(ticker=ticker,
                                 loss=got["shares"] * (got["prev"] - got["close"]),
                                 ret=got["close"] / got["prev"] - 1))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def ranked(snapshot):
    return records.ranking(records.company_days())


def test_the_ranked_lines_are_the_dollar_lines_with_day_counts(snapshot):
    lines = records.population()
    assert sorted(lines.loc[lines["reason"] == "", "ticker"]) == sorted(RANKED)
    assert "Taipei" in lines.set_index("ticker").at["TSM", "reason"]


def test_ranking_matches_the_oracle(ranked):
    want = _oracle()
    assert len(ranked) == len(want)
    by_usd = want.sort_values("loss", ascending=False).head(10)
    assert list(zip(ranked["ticker"].head(10), ranked["date"].head(10))) == \
        list(zip(by_usd["ticker"], by_usd["date"]))
    assert ranked["loss_usd"].head(10).to_numpy() == pytest.approx(by_usd["loss"].to_numpy())
    by_pct = want.sort_values("ret").head(10)
    mine = ranked.sort_values(["rank_pct", "date"]).head(10)
    assert list(zip(mine["ticker"], mine["date"])) == list(zip(by_pct["ticker"], by_pct["date"]))
    shock = pd.Timestamp("2025-01-27")
    nv = want.loc[(want["ticker"] == "NVDA") & (want["date"] == shock)].iloc[0]
    assert records.place(ranked)["rank_usd"] == int((want["loss"] > nv["loss"]).sum()) + 1 == 1
    assert records.place(ranked)["rank_pct"] == int((want["ret"] < nv["ret"]).sum()) + 1
    assert records.place(ranked, "AVGO")["rank_pct"] == 2   # Broadcom fell further, same day


def test_ties_share_the_better_rank():
    made_up = pd.DataFrame({"name": ["a", "b", "c"], "date": pd.to_datetime(["2025-01-02"] * 3),
                            "loss_usd": [100.0, 100.0, 50.0], "ret": [-0.1, -0.2, -0.2]})
    ranks = records.ranking(made_up).set_index("name")
    assert ranks["rank_usd"].to_dict() == {"a": 1, "b": 1, "c": 3}
    assert ranks["rank_pct"].to_dict() == {"a": 3, "b": 1, "c": 1}


def test_press_figures_are_checked_not_ranked(ranked):
    checks = records.press_check(ranked).set_index(["ticker", "date"])
    # the 2022 records precede every count on file: not checkable
    for key in (("META", pd.Timestamp("2022-02-03")), ("AMZN", pd.Timestamp("2022-04-29"))):
        assert checks.loc[key, "why"].startswith("no count dated at or before it")
    done = checks.loc[checks["why"] == ""]
    assert len(done) == 5
    assert done["diff"].abs().max() < 0.01      # computed and press agree within 1%
    assert not ranked["ticker"].isin(["META"]).pipe(
        lambda m: ranked.loc[m, "date"] < pd.Timestamp("2024-10-31")).any()
