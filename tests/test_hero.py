"""The landing page's hero (`story.hero`): its numbers against an independent recomputation
from the raw files (plain pandas on the snapshot's daily closes, the CFD minute file and
Nvidia's hourly venue file; session hours by hand from each exchange's rules), its thinning
(every kept value a real minute close, every bucket's extremes kept), its facts file, and its
key labels on a 390 px phone in the built site (Chromium)."""

from __future__ import annotations

import pandas as pd
import pytest

from deepshock.data import schema
from deepshock.story import hero, sameclock
from tests.conftest import SNAPSHOT, raw_close
from tests.test_browser import site  # noqa: F401  (the session's build)

D = pd.Timestamp
MINUS = "\u2212"
# file, the session after the shock it is read for (the first on or after 27 January)
DAILY = {"^N225": "INDEX_N225.csv", "^STOXX": "INDEX_STOXX.csv", "^GSPC": "INDEX_GSPC.csv",
         "^KS11": "INDEX_KS11.csv", "^TWII": "INDEX_TWII.csv", "NVDA": "NVDA.csv"}
# each exchange's regular hours in UTC in late January (no daylight saving anywhere):
# Tokyo 09:00-15:30 JST (UTC+9), Xetra 09:00-17:30 CET (UTC+1), NYSE 09:30-16:00 EST (UTC-5)
HOURS = {"Tokyo": ("00:00", "06:30"), "Europe": ("08:00", "16:30"),
         "New York": ("14:30", "21:00")}


def move(ticker: str, day: str) -> tuple[float, pd.Timestamp]:
    """Close-to-close move on `day` from the raw daily file, and the previous session."""
    closes = raw_close(DAILY[ticker]).dropna()
    i = closes.index.get_loc(D(day))
    return float(closes.iloc[i] / closes.iloc[i - 1] - 1), closes.index[i - 1]


def text(ret: float) -> str:
    return f"{MINUS if ret < 0 else '+'}{abs(ret) * 100:.1f}%"


def raw_cfd() -> pd.DataFrame:
    """The raw CFD minute file: bar start in UTC (EST without daylight saving is UTC-5)."""
    frame = pd.read_csv(SNAPSHOT / "intraday" / "SPXUSD_M1_202501.csv", sep=";", header=None,
                        names=["stamp", "open", "high", "low", "close", "volume"])
    frame["start"] = (pd.to_datetime(frame["stamp"], format="%Y%m%d %H%M%S")
                      + pd.Timedelta(hours=5)).dt.tz_localize("UTC")
    return frame.assign(end=frame["start"] + pd.Timedelta(minutes=1))


@pytest.fixture(scope="module")
def cfd(snapshot):
    if not (SNAPSHOT / "intraday").is_dir() or not sameclock.available():
        pytest.skip("no intraday prices in this cache")
    return raw_cfd()


def test_window_is_72_hours_from_the_day_before_the_news_ends():
    start, end = hero.window()
    assert (start, end) == (D("2025-01-26", tz="UTC"), D("2025-01-29", tz="UTC"))


def test_sessions_and_their_moves_against_the_raw_daily_files(snapshot):
    lanes = hero.lanes()
    sessions = lanes.loc[lanes["kind"] == "session"]
    expected = {(lane, day) for lane in hero.MARKETS for day in ("2025-01-27", "2025-01-28")}
    assert {(r.lane, f"{r.date:%Y-%m-%d}") for r in sessions.itertuples()} == expected
    for r in sessions.itertuples():
        opens, closes = HOURS[r.lane]
        assert r.start == D(f"{r.date:%Y-%m-%d} {opens}", tz="UTC"), r
        assert r.end == D(f"{r.date:%Y-%m-%d} {closes}", tz="UTC"), r
        ret, prev = move(r.ticker, f"{r.date:%Y-%m-%d}")
        assert r.ret == pytest.approx(ret, abs=1e-9), r
        assert r.prev_date == prev and r.text == text(ret)
    # Tokyo fell both days, New York fell on Monday and rose on Tuesday (the raw files say so)
    by = sessions.set_index(["lane", "date"])["ret"]
    assert by[("Tokyo", D("2025-01-27"))] < 0 and by[("Tokyo", D("2025-01-28"))] < 0
    assert by[("New York", D("2025-01-27"))] < 0 < by[("New York", D("2025-01-28"))]


def test_seoul_and_taipei_are_shown_at_their_reopening_after_the_window(snapshot):
    later = hero.lanes().set_index("lane")
    for lane, ticker in hero.LATER.items():
        closes = raw_close(DAILY[ticker]).dropna()
        reopened = closes.index[closes.index > D("2025-01-26")][0]   # first session after
        row = later.loc[lane]
        assert row["date"] == reopened > hero.window()[1].tz_convert(None)
        ret, _ = move(ticker, f"{reopened:%Y-%m-%d}")
        assert row["ret"] == pytest.approx(ret, abs=1e-9)
        assert row["text"] == f"Closed; reopened {reopened:%a %-d %b}: {text(ret)}"
    assert later.at["Seoul", "date"] == D("2025-01-31")
    assert later.at["Taipei", "date"] == D("2025-02-03")


def test_reopening_and_nvidia_points_against_the_raw_files(cfd):
    points = hero.marks().set_index("key")
    friday = float(cfd.loc[cfd["end"] <= D("2025-01-24 21:00", tz="UTC"), "close"].iloc[-1])
    after = cfd.loc[cfd["start"] >= D("2025-01-24 21:00", tz="UTC")]
    first = after.loc[after["start"].diff() > pd.Timedelta(hours=1)].iloc[0]
    assert first["start"] == D("2025-01-26 23:00", tz="UTC")       # Sunday 18:00 EST
    reopened = points.loc["reopened"]
    assert reopened["utc"] == first["start"]
    assert reopened["pct"] == pytest.approx((first["open"] / friday - 1) * 100, abs=1e-9)
    assert reopened["pct"] < 0
    ret, _ = move("NVDA", "2025-01-27")
    nvidia = points.loc["nvidia"]
    assert nvidia["utc"] == D("2025-01-27 21:00", tz="UTC")
    assert nvidia["pct"] == pytest.approx(ret * 100, abs=1e-9)
    assert f"{MINUS}{abs(ret) * 100:.1f}%" in nvidia["text"]


def test_title_numbers_equal_the_data(cfd):
    points, lanes = hero.marks(), hero.lanes()
    ret, _ = move("NVDA", "2025-01-27")
    assert hero.title(points, lanes) == ("The US market was already down before Tokyo opened; "
                                         f"on Monday Nvidia fell {abs(ret) * 100:.1f}% in New "
                                         "York")


def test_thinning_keeps_real_minute_closes_and_every_bucket_extreme(cfd):
    friday = float(cfd.loc[cfd["end"] <= D("2025-01-24 21:00", tz="UTC"), "close"].iloc[-1])
    start, end = D("2025-01-26 23:00", tz="UTC"), D("2025-01-29", tz="UTC")
    raw = cfd.loc[(cfd["start"] >= start) & (cfd["end"] <= end)]
    pct = pd.Series(((raw["close"] / friday - 1) * 100).to_numpy(), index=raw["end"].to_numpy())
    line = hero.path()
    assert len(line) < len(raw) / 5                     # light: far fewer points than minutes
    drawn = pd.Series(line["pct"].to_numpy(), index=line["utc"].to_numpy())
    assert drawn.index.isin(pct.index).all()            # only real minutes...
    assert (drawn - pct.loc[drawn.index]).abs().max() < 1e-9   # ...at their own values
    buckets = pd.Series(pct.index, index=pct.index).dt.floor(hero.BUCKET)
    for _, group in pct.groupby(buckets.to_numpy()):
        assert group.idxmin() in drawn.index and group.idxmax() in drawn.index
    # the line breaks where the contract paused (a gap of more than five minutes)
    gaps = pd.Series(pct.index).diff() > pd.Timedelta("5min")
    assert line["leg"].nunique() == int(gaps.sum()) + 1


def test_nvidia_hourly_closes_from_the_venue_file(snapshot, cfd):
    raw = pd.read_csv(SNAPSHOT / "intraday" / "NVDA_1h_venues.csv", parse_dates=["ts_event"])
    raw = raw.loc[(raw["ts_event"] >= D("2025-01-26", tz="UTC"))
                  & (raw["ts_event"] <= D("2025-01-28 23:00", tz="UTC"))]
    top = raw.loc[raw.groupby("ts_event")["volume"].idxmax()]
    friday = float(raw_close("NVDA.csv").loc[D("2025-01-24")])
    nv = hero.nvidia().set_index("utc")["pct"]
    assert len(nv) == len(top)
    for r in top.itertuples():
        assert nv.loc[r.ts_event + pd.Timedelta(hours=1)] == pytest.approx(
            (r.close / friday - 1) * 100, abs=1e-9)
    assert nv.index.min() == D("2025-01-27 13:00", tz="UTC")   # 07:00-08:00 New York time


def test_moments_come_from_sourced_rows_and_the_press_quote_is_checked(cfd):
    table = schema.table("clock_moments")
    assert table["source"].str.strip().ne("").all()
    assert (table["utc_from"] <= table["utc_to"]).all()
    news = hero.moments()
    assert news.iloc[0]["end"] == D("2025-01-27 05:00", tz="UTC")   # shocks.csv news_utc
    assert news.iloc[0]["start"] == hero.window()[0]                 # clipped to the window
    reactions = news.iloc[1]
    assert reactions["text"] == "Trump, Altman"
    assert reactions["start"] == D("2025-01-27 21:00", tz="UTC")
    friday = float(cfd.loc[cfd["end"] <= D("2025-01-24 21:00", tz="UTC"), "close"].iloc[-1])
    for r in hero.press().itertuples():
        level = float(cfd.loc[cfd["end"] <= r.utc, "close"].iloc[-1])
        assert abs((level / friday - 1) * 100 - r.pct) < 0.25, r    # the press and the data agree


def test_figure_data_and_spec_meet_the_chart_standard(cfd):
    from deepshock.story.charts import check_chart
    chart, data = hero.figure()
    spec = chart.to_dict()
    check_chart(spec)
    assert spec["usermeta"]["narrow"]["set"]["vconcat/0/layer/2/encoding/text"]["value"] \
        .startswith("Reopened")
    assert set(data["what"]) >= {"S&P 500 CFD (bid), thinned minute close", "Nvidia hourly close",
                                 "reopened", "nvidia", "news"}


# --- the built site, on a phone ---------------------------------------------------------------

PHONE_LABELS = """() => {
  const fig = document.getElementById('fig-intro-clock');
  const chart = fig.querySelector('.deepshock-chart'), svg = chart.querySelector('svg');
  const box = svg.getBoundingClientRect();
  return {box: {left: box.left, right: box.right}, viewport: document.documentElement.clientWidth,
          texts: Array.from(svg.querySelectorAll('text')).filter(t => t.textContent.trim() &&
              getComputedStyle(t).visibility !== 'hidden' &&
              parseFloat(getComputedStyle(t).opacity || '1') > 0 && t.getBBox().width > 0)
            .map(t => { const r = t.getBoundingClientRect(), m = t.getScreenCTM();
              return {text: t.textContent.trim(), left: r.left, right: r.right, top: r.top,
                      bottom: r.bottom,
                      px: parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b)}; })};
}"""


@pytest.mark.build
def test_key_labels_are_kept_and_legible_at_390_px(site, browser, cfd):  # noqa: F811
    from tests.test_browser import serve
    server, base = serve(site)
    context = browser.new_context(viewport={"width": 390, "height": 900})
    try:
        tab = context.new_page()
        tab.goto(f"{base}/intro.html", wait_until="load")
        tab.evaluate("window.deepshockDrawAll && window.deepshockDrawAll()")
        tab.wait_for_function("document.querySelector('#fig-intro-clock svg .role-mark > *')")
        found = tab.evaluate(PHONE_LABELS)
    finally:
        context.close()
        server.shutdown()
    texts = found["texts"]
    nv, _ = move("NVDA", "2025-01-27")
    wanted = ["Reopened", f"Nvidia {MINUS}{abs(nv) * 100:.1f}%"]
    for lane, ticker in hero.MARKETS.items():
        for day in ("2025-01-27", "2025-01-28"):
            wanted.append(text(move(ticker, day)[0]))
    for lane, ticker in hero.LATER.items():
        wanted.append("reopened")
    keys = []
    for word in wanted:
        hits = [t for t in texts if word in t["text"] and t not in keys]
        assert hits, f"label {word!r} missing at 390 px; texts: {[t['text'] for t in texts]}"
        keys.append(hits[0])
    for t in keys:
        assert t["px"] >= 11 - 0.05, f"{t['text']} drawn at {t['px']:.1f} px"
        assert t["left"] >= 0 and t["right"] <= found["viewport"], f"{t['text']} off screen"
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            w = min(a["right"], b["right"]) - max(a["left"], b["left"])
            h = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            assert not (w > 2 and h > 2), f"{a['text']!r} overlaps {b['text']!r} at 390 px"
