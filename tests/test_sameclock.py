"""The US market on the same clock as Tokyo (`story.sameclock`): the S&P 500 CFD's levels at
the sessions' opens and closes, recomputed from the raw minute file (EST without daylight
saving, bars labelled by their start); the chart's title from the points it draws; and a build
without intraday prices (Yahoo Finance alone), which must still run and say what is missing."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from deepshock.data import intraday
from deepshock.data.paths import cache_dir
from deepshock.story import sameclock
from tests.conftest import SNAPSHOT

D = pd.Timestamp


def raw_cfd() -> pd.Series:
    """Closes of the raw CFD minute file by bar end in UTC (plain pandas: EST is UTC-5)."""
    frame = pd.read_csv(SNAPSHOT / "intraday" / "SPXUSD_M1_202501.csv", sep=";", header=None,
                        names=["stamp", "open", "high", "low", "close", "volume"])
    start = pd.to_datetime(frame["stamp"], format="%Y%m%d %H%M%S") + pd.Timedelta(hours=5)
    return pd.Series(frame["close"].to_numpy(), index=(start + pd.Timedelta(minutes=1))
                     .dt.tz_localize("UTC"))


@pytest.fixture(scope="module")
def cfd(snapshot):
    if not (SNAPSHOT / "intraday").is_dir() or not sameclock.available():
        pytest.skip("no intraday prices in this cache")
    return raw_cfd()


def at(series: pd.Series, when: str) -> float:
    return float(series.loc[:D(when, tz="UTC")].iloc[-1])


def test_checkpoints_against_the_raw_minute_file(cfd):
    points = sameclock.checkpoints().set_index("label")
    friday = at(cfd, "2025-01-24 21:00")      # New York's close, 16:00 EST
    assert points.at["New York's Friday close", "level"] == friday
    for label, when in (("Tokyo opened (Mon)", "2025-01-27 00:00"),
                        ("Tokyo closed (Mon)", "2025-01-27 06:30"),
                        ("New York opened (Mon)", "2025-01-27 14:30"),
                        ("Tokyo closed (Tue)", "2025-01-28 06:30")):
        assert points.at[label, "level"] == at(cfd, when), label
        assert points.at[label, "pct"] == pytest.approx((at(cfd, when) / friday - 1) * 100)
    first = points.loc["first quote after the weekend"]
    assert first["utc"] == D("2025-01-26 23:00", tz="UTC")   # Sunday 18:00 EST, before Tokyo
    assert first["pct"] < 0 and points.at["Tokyo closed (Mon)", "pct"] < first["pct"]


def test_the_chart_title_says_what_its_points_show(cfd):
    points = sameclock.marks()
    chart = sameclock.chart(sameclock.path(), points, sameclock.bands())
    spec = chart.to_dict()
    drawn = next(pd.DataFrame(rows) for rows in spec["datasets"].values()
                 if rows and "label" in rows[0] and "pct" in rows[0])
    pct = drawn.set_index("label")["pct"]
    want = (f"The US contract was {abs(pct['first quote after the weekend']):.1f}% down before "
            f"Tokyo opened, {abs(pct['Tokyo closed (Mon)']):.1f}% down at Tokyo's close")
    assert (pct < 0).all()
    assert spec["title"]["text"] == want


def test_same_hours_are_the_cfd_over_each_session(cfd):
    table = sameclock.same_hours().set_index(["market", "date"])
    tokyo = table.loc[("Tokyo", D("2025-01-27"))]
    assert tokyo["same_hours"] == pytest.approx(at(cfd, "2025-01-27 06:30")
                                                / at(cfd, "2025-01-27 00:00") - 1)
    assert tokyo["window"] == pytest.approx(at(cfd, "2025-01-27 06:30")
                                            / at(cfd, "2025-01-24 06:30") - 1)
    europe = table.loc[("Europe", D("2025-01-27"))]
    assert europe["oc"] == 0.0 and europe["ny_last"] == D("2025-01-24")
    assert set(table.index.get_level_values("market")) == {"Tokyo", "Hong Kong", "Shanghai",
                                                           "Europe"}


# --- a build without intraday prices -----------------------------------------------------------

def cache_without_intraday(root: Path) -> Path:
    """The synced cache's prices and panel, with a manifest that says, as a build from Yahoo
    Finance says, that it holds no intraday files."""
    real = cache_dir().resolve()
    target = root / "market-data"
    target.mkdir(parents=True)
    for name in ("prices", "panel"):
        (target / name).symlink_to(real / name)
    manifest = json.loads((real / "manifest.json").read_text())
    manifest["intraday"] = {"available": False, "note": intraday.NOT_FROM_YFINANCE, "files": {}}
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


def test_a_cache_without_intraday_turns_the_functions_to_daily_data(snapshot, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setenv("DEEPSHOCK_CACHE", str(cache_without_intraday(tmp_path)))
    from deepshock.data import clock
    intraday.clear()
    clock.clear()
    try:
        assert not sameclock.available()
        line = sameclock.path()
        assert line["series"].eq("S&P 500 (opens, closes)").all() and len(line) == 5
        assert sameclock.title(sameclock.marks()).startswith("No intraday prices")
        assert sameclock.same_hours()["same_hours"].isna().all()
        words = sameclock.words()
        assert "without intraday prices" in words["sc_first"]
        from deepshock.story import transmission as tr
        assert "intraday" not in set(tr.security("^N225", tr.NEWS_UTC, (1,))["bound"])
    finally:
        intraday.clear()
        clock.clear()


def test_a_build_without_intraday_runs_and_says_what_is_missing(snapshot, tmp_path):
    """The Tokyo chapter, executed in a fresh kernel against a cache without intraday files:
    it runs, glues its chart (New York's opens and closes), and its text says what is missing;
    the model's answers carry the two daily bounds only."""
    from deepshock.book import chapter
    from deepshock.data.paths import ROOT
    # the kernel writes its figures' data under DEEPSHOCK_ROOT: a book root of its own (with
    # the real facts), so that the build's own _build/figdata is never overwritten
    root = tmp_path / "book"
    (root / "data").parent.mkdir()
    (root / "data").symlink_to(ROOT / "data", target_is_directory=True)
    env = {"DEEPSHOCK_CACHE": str(cache_without_intraday(tmp_path)),
           "DEEPSHOCK_ARTEFACTS": str(cache_dir().resolve().parent / "artefacts"),
           "DEEPSHOCK_ROOT": str(root)}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        glued = chapter.execute("tokyo")
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    text = {k: v.get("text/markdown", "") for k, v in glued.items()}
    assert "without intraday prices" in text["sc_first"]
    assert "no intraday prices" in text["sc_intro"]
    assert "this edition has none" in text["tk_bounds"]
    assert "tm_N225_d1_excess_cc" in text and "tm_N225_d1_excess_intraday" not in text
    assert "index contract" not in text["tm_table_tokyo"]
    assert re.search(r"\| +– +\| +– +\|", text["sc_table"])
    spec = glued["fig-tokyo-clock"]["application/vnd.deepshock.vegalite+json"]
    assert spec["title"]["text"].startswith("No intraday prices")
    written = pd.read_csv(root / "_build" / "figdata" / "fig-tokyo-clock.csv")
    assert len(written) == 5 and written["series"].eq("S&P 500 (opens, closes)").all()
