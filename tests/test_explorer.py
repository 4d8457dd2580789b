"""The explorer page (`story.explorer`, `chapters/explorer.md`): every security once, with the
cross-section's numbers and a path pinned by the raw closes; its data file published only for
the page that loads it, in the version the page names; and in Chromium, at 390 and 1400 px,
picking a security changes the chart's data and the numbers on its card to that security's."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepshock.book import report
from deepshock.story import charts
from tests.conftest import SNAPSHOT
from tests.test_browser import CHROMIUM, DESKTOP, PHONE, serve, site  # noqa: F401 (fixture)

D = pd.Timestamp
DAY0 = D("2025-01-27")


@pytest.fixture(scope="module")
def table(snapshot):
    from deepshock.story import explorer

    return explorer.table()


def path(table: pd.DataFrame, ticker: str) -> pd.Series:
    from deepshock.story.explorer import path_columns

    row = table.set_index("ticker").loc[ticker, path_columns(table)]
    return pd.Series(row.to_numpy(float), index=pd.to_datetime(row.index)).dropna()


def raw_panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The snapshot's panel closes and members, read with plain pandas (the oracle)."""
    closes = pd.read_csv(SNAPSHOT / "panel" / "closes.csv", parse_dates=["date"],
                         index_col="date")
    return closes, pd.read_csv(SNAPSHOT / "panel" / "members.csv")


def signed(x: float) -> str:
    """A signed percentage as Vega's d3-format writes it ('+.1%': U+2212 for minus)."""
    return f"{x:+.1f}%".replace("-", "\u2212")


# ---- the table -----------------------------------------------------------------------------

def test_every_security_once_with_the_cross_section_numbers(table):
    from deepshock.data import facts
    from deepshock.story import crosssection as cs

    stocks = cs.stocks().set_index("ticker")
    universe = facts.universe()["ticker"]
    rows = table.set_index("ticker")
    assert rows.index.is_unique
    assert set(rows.index) == set(stocks.index) | set(universe) | {"AVERAGE"}
    assert len(rows) == len(stocks) + len(set(universe) - set(stocks.index)) + 1
    members = rows.loc[stocks.index]
    assert np.allclose(members["ret0_pct"], stocks["ret0"] * 100, rtol=1e-12)
    assert np.allclose(members["ar0_pct"], stocks["ar0"] * 100, rtol=1e-12, equal_nan=True)
    assert (members["rank_fall"].astype(float).fillna(-1)
            == stocks["rank_fall"].fillna(-1)).all()
    assert np.allclose(members["chip"].astype(float), stocks["chip"], rtol=1e-12, equal_nan=True)
    assert int(rows["rank_fall"].notna().sum()) == int((stocks["kind"] == "sp500").sum())
    assert rows.at["VST", "rank_fall"] == 1 and rows.at["NVDA", "name"] == "Nvidia"
    assert rows.loc[rows["book"] == 1].index.sort_values().tolist() == sorted(universe)
    # the book's series outside the panel have no abnormal return, rank or exposure here
    outside = rows.loc[sorted(set(universe) - set(stocks.index))]
    assert outside[["ar0_pct", "rank_fall", "chip"]].isna().all().all()
    assert (rows["about"].str.len() <= 40).all()


def test_paths_match_the_raw_closes(table):
    """Pinned by the snapshot's closes read with pandas: cumulative return from the close of
    the 11th NYSE session before 27 January (8 January: markets shut on 9 January)."""
    closes, members = raw_panel()
    sessions = closes.index
    base = sessions[sessions.searchsorted(DAY0) - 11]
    last = sessions[sessions.searchsorted(DAY0) + 20]
    assert base == D("2025-01-08") and last == D("2025-02-25")
    window = closes.loc[base:last]
    for ticker in ("VST", "NVDA", "SPY"):
        want = (window[ticker] / window.at[base, ticker] - 1) * 100
        got = path(table, ticker)
        assert got.index.equals(want.index)
        assert np.allclose(got, want, atol=0.051), ticker
    stocks = members.loc[members["kind"] == "sp500", "ticker"]
    daily = closes[stocks].pct_change(fill_method=None).loc[base:last].iloc[1:].mean(axis=1)
    average = pd.concat([pd.Series([0.0], index=[base]), ((1 + daily).cumprod() - 1) * 100])
    assert np.allclose(path(table, "AVERAGE"), average, atol=0.051)


def test_a_market_closed_on_day_0_starts_at_its_first_session(table):
    raw = pd.read_csv(SNAPSHOT / "prices" / "000660.KS.csv", parse_dates=["date"],
                      index_col="date")["close"]
    got = path(table, "000660.KS")
    assert not (got.index.to_series().between("2025-01-25", "2025-01-30")).any()  # closed
    want = (raw.loc[got.index] / raw.at[D("2025-01-08")] - 1) * 100
    assert np.allclose(got, want, atol=0.051)
    row = table.set_index("ticker").loc["000660.KS"]
    assert row["day0"] == "2025-01-31"
    assert row["ret0_pct"] == pytest.approx((raw.at[D("2025-01-31")]
                                             / raw.at[D("2025-01-24")] - 1) * 100, abs=1e-3)


def test_chart_and_picker(table):
    from deepshock.story import explorer

    spec = explorer.chart(table, "../_static/figdata/fig-explorer.csv?v=0123456789ab").to_dict()
    charts.check_chart(spec)
    assert spec["data"]["url"].endswith("fig-explorer.csv?v=0123456789ab")
    assert "values" not in spec["data"] and not any(
        len(rows) > 5 for rows in spec.get("datasets", {}).values())  # the rows stay in the file
    pick = next(p for p in spec["params"] if p["name"] == "pick")
    assert pick == {"name": "pick", "value": "NVDA", "bind": {"element": "#explorer-pick"}}
    from tests.test_titles import _colour_uses, _means
    uses = list(_colour_uses(spec))
    assert uses and all(_means(*how) for _, how in uses), uses
    html = explorer.picker(table)
    assert 'id="explorer-pick" list="explorer-list" value="NVDA"' in html
    options = re.findall(r'<option value="([^"]+)"', html)
    assert sorted(options) == sorted(table.loc[table["ticker"] != "AVERAGE", "ticker"])


# ---- the data file: written, versioned, inlined for offline drawing -------------------------

def test_data_url_names_the_version_it_wrote(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPSHOCK_ROOT", str(tmp_path))
    frame = pd.DataFrame({"ticker": ["A", "B"], "x": [1.5, -2.0]})
    url = report.data_url("fig-test", frame)
    written = tmp_path / "_build" / "figdata" / "fig-test.csv"
    assert url == f"../_static/figdata/fig-test.csv?v={charts.version(written.read_text())}"
    spec = {"data": {"url": url, "format": {"type": "csv"}}, "mark": "point"}
    inlined = charts.inline_data(spec, written.parent)
    assert inlined["data"] == {"values": "ticker,x\nA,1.5\nB,-2.0\n", "format": {"type": "csv"}}
    assert spec["data"]["url"] == url  # the original is untouched
    written.write_text("ticker,x\nA,9.9\n")
    with pytest.raises(ValueError, match="another version"):
        charts.inline_data(spec, written.parent)
    written.unlink()
    with pytest.raises(ValueError, match="missing"):
        charts.inline_data(spec, written.parent)
    assert charts.inline_data({"data": {"url": "https://example.org/x.csv"}}) == \
        {"data": {"url": "https://example.org/x.csv"}}


def test_site_publishes_only_the_version_a_page_names(tmp_path):
    from types import SimpleNamespace

    from sphinx.errors import ExtensionError

    from deepshock.book.site import publish_data

    figdata = tmp_path / "src" / "_build" / "figdata"
    figdata.mkdir(parents=True)
    text = "ticker,x\nA,1\n"
    (figdata / "fig-a.csv").write_text(text)
    app = SimpleNamespace(srcdir=str(tmp_path / "src"), outdir=str(tmp_path / "out"))
    body = '<script>var spec={"data":{"url":"../_static/figdata/fig-a.csv?v=%s"}};</script>'
    publish_data(app, "chapters/x", "page.html", {"body": "no chart"}, None)
    assert not (tmp_path / "out" / "_static").exists()  # a page without one publishes nothing
    publish_data(app, "chapters/x", "page.html", {"body": body % charts.version(text)}, None)
    assert (tmp_path / "out" / "_static" / "figdata" / "fig-a.csv").read_text() == text
    with pytest.raises(ExtensionError, match="is version"):
        publish_data(app, "chapters/x", "page.html", {"body": body % "0123456789ab"}, None)
    (figdata / "fig-a.csv").unlink()
    with pytest.raises(ExtensionError, match="does not exist"):
        publish_data(app, "chapters/x", "page.html", {"body": body % charts.version(text)}, None)


# ---- the built site --------------------------------------------------------------------------

PAGE = "chapters/explorer.html"


@pytest.mark.build
def test_the_data_is_published_for_the_explorer_only(site):
    html = (site / PAGE).read_text(encoding="utf-8")
    urls = set(re.findall(r'"url":"(\.\./_static/figdata/[^"]+)"', html))
    assert len(urls) == 1, urls
    name, wanted = charts.published(urls.pop())
    published = site / "_static" / "figdata" / name
    text = published.read_text(encoding="utf-8")
    assert charts.version(text) == wanted
    assert text == (site.parent / "figdata" / name).read_text(encoding="utf-8")
    assert len(html) < 150_000  # the rows are not inline in the page
    others = [p for p in site.rglob("*.html") if p != site / PAGE
              and "_static/figdata/" in p.read_text(encoding="utf-8")]
    assert not others, f"other pages load the explorer's data: {others}"


CARD = """() => Array.from(document.querySelectorAll('.deepshock-chart svg text'))
  .map(t => t.textContent)"""
# The chart's datasets (Vega's internal data_0, data_1, ...): the fields of their first row and
# their rows' ticker, day, cumulative return and abnormal return.
DATASETS = """() => {
  const view = document.querySelector('.deepshock-chart')._deepshockView.view;
  const out = [];
  for (let i = 0; i < 30; i++) {
    let rows; try { rows = view.data('data_' + i); } catch (e) { continue; }
    if (!rows || !rows.length) continue;
    out.push({i: i, fields: Object.keys(rows[0]), rows: rows.map(r => (
      {ticker: r.ticker, day: r.day, cum: r.cum, ar0: r.ar0_pct}))});
  }
  return out;
}"""


# Each ticker set through the view's API in turn: text running past the article's column.
EVERY = """async (tickers) => {
  const el = document.querySelector('.deepshock-chart');
  const view = el._deepshockView.view;
  const col = document.querySelector('.bd-article').getBoundingClientRect();
  const out = [];
  for (const t of tickers) {
    await view.signal('pick', t).runAsync();
    el.querySelectorAll('svg text').forEach(x => {
      const r = x.getBoundingClientRect();
      if (r.width && r.right > col.right + 1) out.push(`${t}: ${x.textContent}`);
    });
  }
  return out;
}"""


def _card_for(ticker: str) -> list[str]:
    """The card's lines for a member, formatted here from `crosssection.stocks()`."""
    from deepshock.story import crosssection as cs

    row = cs.stocks().set_index("ticker").loc[ticker]
    n = int((cs.stocks()["kind"] == "sp500").sum())
    verb = "Fell" if row["ret0"] < 0 else "Rose"
    return [f"{verb} {abs(row['ret0']) * 100:.1f}% on Monday 27 January 2025",
            f"Abnormal return {signed(row['ar0'] * 100)}",
            f"Rank {int(row['rank_fall'])} of {n} members (1 = largest fall)",
            f"Chip sensitivity {row['chip']:.2f}".replace("-", "\u2212")]


def shows(card: list[str], lines: list[str]) -> bool:
    """Every expected line begins a line of the card."""
    return all(any(text.startswith(line) for text in card) for line in lines)


def _drawn(page, ticker: str, data: pd.DataFrame) -> None:
    """The chart draws `ticker`'s path (exactly its row of the data file) and the average's,
    and, for a member, marks its abnormal return on the strip."""
    from deepshock.story.explorer import path_columns

    sets = page.evaluate(DATASETS)
    lines = [s for s in sets if "cum" in s["fields"]]
    assert lines, [s["fields"] for s in sets]
    drawn = pd.DataFrame(lines[0]["rows"])
    assert set(drawn["ticker"]) == {ticker, "AVERAGE"}
    row = data.set_index("ticker").loc[ticker, path_columns(data)].dropna()
    mine = drawn.loc[drawn["ticker"] == ticker].set_index("day")["cum"].sort_index()
    assert mine.index.tolist() == row.index.tolist()
    assert np.allclose(mine.to_numpy(float), row.to_numpy(float))
    marks = [pd.DataFrame(s["rows"]) for s in sets if "tone" in s["fields"]
             and "cum" not in s["fields"]]  # the strip's highlighted tick
    row = data.set_index("ticker").loc[ticker]
    if pd.notna(row["rank_fall"]):
        assert len(marks) == 1 and marks[0]["ticker"].tolist() == [ticker]
        assert marks[0]["ar0"].iloc[0] == pytest.approx(row["ar0_pct"])
    else:
        assert all(m.empty for m in marks)


def in_chromium(check, *args) -> None:
    """Run `check(browser, *args)` in a thread with its own Playwright and Debian Chromium (the
    session's browser of `test_browser` holds the main thread's event loop); its failure is
    raised here."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip package playwright missing")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    failed: list[BaseException] = []

    def run() -> None:
        try:
            with sync_api.sync_playwright() as playwright:
                chromium = playwright.chromium.launch(executable_path=CHROMIUM,
                                                      args=["--no-sandbox", "--disable-gpu"])
                try:
                    check(chromium, *args)
                finally:
                    chromium.close()
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            failed.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if failed:
        raise failed[0]


@pytest.mark.build
@pytest.mark.browser
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_picking_a_security_changes_the_chart_and_its_numbers(site, width):
    in_chromium(_pick, site, width)


def _pick(browser, site: Path, width: int) -> None:
    data = pd.read_csv(site.parent / "figdata" / "fig-explorer.csv")
    server, base = serve(site)
    # New York's clock: dates are drawn in UTC, so a reader west of Greenwich sees the same day
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  timezone_id="America/New_York")
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{base}/{PAGE}", wait_until="load")
        page.hover(".deepshock-chart")   # its picture goes live when the reader touches it
        page.wait_for_function("() => document.querySelector('.deepshock-chart.deepshock-drawn')",
                               timeout=20_000)
        first = page.evaluate(CARD)
        assert first[0] == "Nvidia (NVDA)" and shows(first, _card_for("NVDA"))
        _drawn(page, "NVDA", data)

        page.fill("#explorer-pick", "VST")  # as typing or picking from the list does
        page.wait_for_function("() => Array.from(document.querySelectorAll("
                               "'.deepshock-chart svg text')).some(t => "
                               "t.textContent === 'Vistra (VST)')", timeout=5_000)
        card = page.evaluate(CARD)
        assert shows(card, _card_for("VST")), card
        assert not any(line in card for line in _card_for("NVDA")[:2])
        _drawn(page, "VST", data)
        fits = page.evaluate("""() => {
          const svg = document.querySelector('.deepshock-chart svg').getBoundingClientRect();
          const col = document.querySelector('.bd-article').getBoundingClientRect();
          return svg.right <= col.right + 1 && document.documentElement.scrollWidth <= innerWidth;
        }""")
        assert fits, f"the chart runs past its column at {width} px after the pick"

        if width == PHONE:  # every security's card fits the column
            wide = page.evaluate(EVERY, data["ticker"].tolist())
            assert not wide, f"cards wider than the column at {PHONE} px: {wide[:5]}"
            # a market closed on 27 January, and a name that matches nothing
            page.fill("#explorer-pick", "sk hynix")  # a name, in any case
            page.wait_for_function("() => Array.from(document.querySelectorAll("
                                   "'.deepshock-chart svg text')).some(t => "
                                   "t.textContent === 'SK hynix (000660.KS)')", timeout=5_000)
            row = data.set_index("ticker").loc["000660.KS"]
            assert f"Fell {abs(row['ret0_pct']):.1f}% on Fri 31 Jan (first session)" in \
                page.evaluate(CARD)
            _drawn(page, "000660.KS", data)
            page.fill("#explorer-pick", "ZZZZ")
            page.wait_for_function("() => Array.from(document.querySelectorAll("
                                   "'.deepshock-chart svg text')).some(t => "
                                   "t.textContent.startsWith('Nothing matches'))", timeout=5_000)
        assert not problems, problems
    finally:
        context.close()
        server.shutdown()
