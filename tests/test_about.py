"""The "About this build" page states its real inputs; citation metadata is valid."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from deepshock.book import about
from deepshock.book import site as site_extension
from deepshock.data.paths import ticker_file
from deepshock.data.sync import read_manifest
from tests.test_browser import site  # noqa: F401  (the session's one build of the book)

ROOT = Path(__file__).resolve().parent.parent
BIB_KEYS = {"boehmer1991event", "kolari2010event", "mackinlay1997event", "deepseek2024v3",
            "deepseek2025r1", "reuters2025selloff", "holm1979simple", "benjamini1995controlling",
            "kolari2011nonparametric", "corrado1989nonparametric", "cowan1992nonparametric",
            "mackinnon1985some", "cameron2015practitioner",
            "bcbs2019market"}


def _cells(markdown: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")] for line in markdown.splitlines()]


def test_data_table_matches_the_snapshot_files(snapshot):
    manifest = read_manifest()
    if not manifest["source"].startswith("snapshot"):
        pytest.skip("the cache was synced from yfinance, not the snapshot")
    rows = _cells(about.texts(manifest)["about_data"])
    header, body = rows[0], rows[2:]
    assert header == ["ticker", "name", "first", "last", "rows", "sha256", "anomalies"]
    universe = pd.read_csv(ROOT / "data" / "universe.csv", dtype=str)
    assert sorted(r[0] for r in body) == sorted(universe["ticker"])
    for ticker, name, first, last, count, sha, _ in body:
        path = snapshot / "prices" / ticker_file(ticker)
        raw = pd.read_csv(path, parse_dates=["date"])
        assert (first, last) == (f"{raw['date'].min():%Y-%m-%d}", f"{raw['date'].max():%Y-%m-%d}")
        assert int(count) == len(raw)
        assert hashlib.sha256(path.read_bytes()).hexdigest().startswith(sha) and len(sha) == 12
        assert name == universe.set_index("ticker").loc[ticker, "name"]


def test_anomaly_counts_are_independent_recounts(snapshot):
    import exchange_calendars as xc

    manifest = read_manifest()
    if not manifest["source"].startswith("snapshot"):
        pytest.skip("the cache was synced from yfinance, not the snapshot")
    calendars = pd.read_csv(ROOT / "data" / "universe.csv",
                            keep_default_na=False).set_index("ticker")["calendar"]
    for ticker, _, _, _, _, _, text in _cells(about.texts(manifest)["about_data"])[2:]:
        raw = pd.read_csv(snapshot / "prices" / ticker_file(ticker), parse_dates=["date"])
        outside = int(((raw["close"] > raw["high"]) | (raw["close"] < raw["low"])).sum())
        flat = (raw["open"] == raw["high"]) & (raw["high"] == raw["low"]) & \
            (raw["low"] == raw["close"]) & (raw["volume"] == 0) & \
            (raw["close"] == raw["close"].shift(1))
        missing = 0
        if calendars[ticker]:
            cal = xc.get_calendar(calendars[ticker], start="2019-01-01", end="2025-12-31")
            sessions = cal.sessions_in_range(raw["date"].iloc[0], raw["date"].iloc[-1])
            missing = int((~sessions.isin(raw["date"])).sum())
        jumps = 0 if ticker == "^VIX" else int((raw["close"].pct_change().abs() > 0.4).sum())
        expected = [f"{n} {label}" for label, n in [("close outside range", outside),
                                                     ("documented jumps", jumps),
                                                     ("missing sessions", missing),
                                                     ("stale bars", int(flat.sum()))] if n]
        assert text == (", ".join(expected) or "none"), ticker


def test_texts_from_a_small_manifest():
    manifest = {"source": "snapshot test/", "synced_at": "2026-01-02T03:04:05+00:00", "tickers": {
        "NVDA": {"first": "2025-01-02", "last": "2025-02-14", "rows": 30, "sha256": "ab" * 32,
                 "close_convention": "RAW | as traded", "anomalies": {"stale_bars": 0}},
        "005930.KS": {"first": "2024-12-30", "last": "2025-02-10", "rows": 25, "sha256": "cd" * 32,
                      "close_convention": "RAW | as traded",
                      "anomalies": {"stale_bars": 2, "close_outside_range": 1}}}}
    texts = about.texts(manifest)
    assert "about_synced" not in texts  # the edition stamp's role, not the notebook, says when
    assert about.stamp(manifest["synced_at"]) == "2 January 2026, 03:04 UTC"
    assert (texts["about_n_tickers"], texts["about_n_rows"]) == ("2", "55")
    assert (texts["about_first"], texts["about_last"], texts["about_n_flagged"]) == \
        ("2024-12-30", "2025-02-14", "1")
    data = _cells(texts["about_data"])
    assert data[2][0] == "005930.KS" and data[2][-1] == "1 close outside range, 2 stale bars"
    assert data[3][-1] == "none" and data[3][5] == "ab" * 6
    assert texts["about_conventions"].splitlines()[2] == "| RAW \\| as traded | 005930.KS, NVDA |"


def test_versions_are_the_installed_ones():
    table = about.versions().set_index("package")["version"]
    assert table["pandas"] == pd.__version__
    assert table["jupyter-book"] == version("jupyter-book")
    assert table["Python"] == ".".join(map(str, sys.version_info[:3]))
    assert "not installed" not in set(table)


def test_bibliography_has_the_cited_works():
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"@\w+\{([^,]+),", bib))
    assert keys == BIB_KEYS
    assert "10.1016/0304-405X(91)90032-F" in bib and "10.1093/rfs/hhq072" in bib
    assert "2412.19437" in bib and "2501.12948" in bib
    cited = set(re.findall(r"\{cite:[tp]\}`([^`]+)`", (ROOT / "chapters" / "about.md").read_text()))
    assert {k.strip() for group in cited for k in group.split(",")} == BIB_KEYS


def test_citation_cff_is_valid():
    checker = shutil.which("check-jsonschema") or str(Path(sys.executable).with_name(
        "check-jsonschema"))
    done = subprocess.run([checker, "--builtin-schema", "vendor.citation-file-format",
                           "--default-filetype", "yaml", str(ROOT / "CITATION.cff")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cff-version: 1.2.0" in (ROOT / "CITATION.cff").read_text(encoding="utf-8")


@pytest.mark.build
def test_about_page_in_the_built_site(site):  # noqa: F811
    page = site / "chapters" / "about.html"
    if not page.is_file():
        pytest.skip("chapters/about is not in the table of contents yet")
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    text = soup.get_text(" ", strip=True)
    built = re.search(r"built on (\d{1,2} \w+ \d{4}, \d\d:\d\d) UTC", text)
    assert built, "no build date"
    stamp = dt.datetime.strptime(built.group(1), "%d %B %Y, %H:%M").replace(tzinfo=dt.timezone.utc)
    assert abs(site_extension.now() - stamp) < dt.timedelta(days=2)
    tables = soup.select("table")
    executed = {row.find("td").get_text(strip=True) for t in tables for row in t.select("tbody tr")
                if [th.get_text(strip=True) for th in t.select("thead th")]
                == ["Document", "Method", "Status"]}  # no clock columns: reproducible
    chapters = {p.relative_to(site / "_sources").with_suffix("").as_posix()
                for p in (site / "_sources").rglob("*.ipynb")}  # every executed notebook
    assert "chapters/about" in chapters
    assert chapters <= executed, f"execution table misses {chapters - executed}"
    entries = soup.select("div.citation, dl.citation > dt, .bibliography")
    assert entries, "no bibliography"
    for needle in ("Boehmer", "Kolari", "MacKinlay", "DeepSeek-V3", "DeepSeek-R1", "Reuters"):
        assert needle in text
    assert "deepshock-pdf" in str(soup)
