"""Record one-day losses: share counts chosen by date, losses and both rankings recomputed with
plain pandas from the raw snapshot files and data/*.csv (never with the functions under test)."""

import pandas as pd
import pytest

from deepshock.book import chapter
from deepshock.story import nvidia
from tests.conftest import ROOT, raw_close

FILES = {"NVDA": "NVDA.csv", "AAPL": "AAPL.csv", "AMZN": "AMZN.csv", "META": "META.csv"}


@pytest.fixture(scope="module")
def losses(snapshot):
    return nvidia.loss_comparison(nvidia.record_day())


def _shares() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "shares.csv", dtype=str).set_index("ticker")


def _press() -> pd.DataFrame:
    frames = [pd.read_csv(ROOT / "data" / f, parse_dates=["date"])
              for f in ("records.csv", "later_losses.csv")]
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("as_of, date, use", [
    ("2025-01-17", "2025-04-03", "at or before"),
    ("2025-04-03", "2025-04-03", "at or before"),   # same day: at or before
    ("2024-11-15", "2024-09-03", "after"),
    ("2024-01-01", "2024-07-02", "at or before"),   # exactly 183 days: still used
    ("2024-01-01", "2024-07-03", "too far"),        # 184 days
    ("2025-04-25", "2022-02-03", "too far"),
])
def test_choose_count_by_hand(as_of, date, use):
    assert nvidia.choose_count(pd.Timestamp(as_of), pd.Timestamp(date)) == use
    assert nvidia.choose_count(None, pd.Timestamp(date)) == "undated"


def test_computed_losses_match_raw_closes(losses):
    shares = _shares()
    computed = losses.loc[losses["basis"] == nvidia.COMPUTED]
    assert len(computed) >= 6
    for r in computed.itertuples():
        close = raw_close(FILES[r.ticker])
        at = close.index.get_loc(r.date)
        expected = float(shares.at[r.ticker, "shares"]) * (close.iloc[at - 1] - close.iloc[at])
        assert r.loss_bn == pytest.approx(round(expected / 1e9, 1), abs=1e-9)
        assert r.ret == pytest.approx(close.iloc[at] / close.iloc[at - 1] - 1)


def test_later_losses_are_in_and_match_the_press(losses):
    later = _press().loc[lambda t: t["date"] > "2025-01-27"]
    assert len(later) == 4
    got = losses.loc[losses["when"] == "later"]
    assert set(got["date"]) == set(later["date"])
    for r in later.itertuples():
        mine = got.loc[(got["ticker"] == r.ticker) & (got["date"] == r.date)]
        assert list(mine["basis"]) == [nvidia.COMPUTED]   # computed: no second, press bar
        assert mine["press_bn"].iloc[0] == r.loss_usd_bn
        assert abs(mine["loss_bn"].iloc[0] / r.loss_usd_bn - 1) < 0.02


def test_counts_after_the_day_are_stated_and_far_ones_unused(losses):
    source = losses.set_index(["label", "basis"])["source"]
    # Nvidia's count (2024-11-15) is 73 days after its 3 Sep 2024 loss: used, gap stated
    assert "73 days after" in source[("Nvidia, 3 Sep 2024", nvidia.COMPUTED)]
    assert "days before" in source[("Apple, 3 Apr 2025", nvidia.COMPUTED)]
    # the 2022 records have only counts from 2025: press figures only
    for label in ("Meta, 3 Feb 2022", "Amazon, 29 Apr 2022"):
        assert (label, nvidia.COMPUTED) not in source.index


def test_rankings_in_dollars_and_per_cent(losses):
    ranks = nvidia.ranking(losses).set_index("label")
    # plain recomputation: computed figure where present, else press; falls from raw closes
    press = _press()
    shares = _shares()
    rows = {}
    for r in press.itertuples():
        close = raw_close(FILES[r.ticker])
        at = close.index.get_loc(r.date)
        ret = close.iloc[at] / close.iloc[at - 1] - 1
        as_of = pd.to_datetime(shares.at[r.ticker, "as_of"], errors="coerce")
        near = pd.notna(as_of) and abs((as_of - r.date).days) <= 183
        usd = (round(float(shares.at[r.ticker, "shares"]) * (close.iloc[at - 1] - close.iloc[at])
                     / 1e9, 1) if near else r.loss_usd_bn)
        rows[f"{r.company}, {r.date.day} {r.date:%b %Y}"] = (usd, ret)
    nv = raw_close("NVDA.csv")
    rows["Nvidia, 27 Jan 2025"] = (round(24.49e9 * (nv["2025-01-24"] - nv["2025-01-27"]) / 1e9, 1),
                                   nv["2025-01-27"] / nv["2025-01-24"] - 1)
    by_usd = sorted(rows, key=lambda k: -rows[k][0])
    by_pct = sorted(rows, key=lambda k: rows[k][1])
    assert list(ranks.index) == by_usd
    for i, label in enumerate(by_usd, 1):
        assert ranks.at[label, "rank_usd"] == i
    for i, label in enumerate(by_pct, 1):
        assert ranks.at[label, "rank_pct"] == i
    assert ranks.at["Nvidia, 27 Jan 2025", "rank_usd"] == 1
    assert by_pct[0] == "Meta, 3 Feb 2022"


def test_ranking_ties_share_the_better_rank():
    made_up = pd.DataFrame({
        "label": ["a", "b", "c"], "date": pd.to_datetime(["2025-01-01"] * 3),
        "ticker": ["X"] * 3, "when": ["earlier"] * 3, "basis": [nvidia.PRESS] * 3,
        "loss_bn": [100.0, 100.0, 50.0], "ret": [-0.1, -0.2, -0.2], "source": ["s"] * 3})
    ranks = nvidia.ranking(made_up).set_index("label")
    assert ranks["rank_usd"].to_dict() == {"a": 1, "b": 1, "c": 3}
    assert ranks["rank_pct"].to_dict() == {"a": 3, "b": 1, "c": 1}


def test_previous_record_ignores_later_losses(losses):
    top = nvidia.previous_record(losses)
    # Apple's $311bn of April 2025 is larger, but it came after the shock
    assert top.name == "Nvidia, 3 Sep 2024"
    nv = raw_close("NVDA.csv")
    assert top["reference"] == pytest.approx(
        round(24.49e9 * (nv["2024-08-30"] - nv["2024-09-03"]) / 1e9, 1))


def test_chapter_glues_the_ranking(snapshot):
    glued = chapter.execute("nvidia")
    assert glued["nv_rank_pct"]["text/markdown"] == "2"
    assert glued["nv_deepest"]["text/markdown"] == "Meta, 3 Feb 2022"
    assert "Apple, 3 Apr 2025" in glued["nv_later"]["text/markdown"]
    assert "list-table" in glued["nv_rank_table"]["text/markdown"]
