"""`make refresh` fully offline: yfinance 1.7's own `yf.download` runs with its network-facing
`Ticker` replaced by one serving the snapshot files, so every frame has exactly 1.7's shape
(columns Price x Ticker, tz-naive index named Date). Failures, rate limits, partial and
revised downloads never cost the last good cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yfinance
import yfinance.multi
from curl_cffi.curl import CurlError
from yfinance.exceptions import YFRateLimitError

from deepshock.data import sync, yahoo
from deepshock.data.paths import ticker_file
from deepshock.data.validate import read_price_csv
from tests.conftest import ROOT, SNAPSHOT
from tests.test_sync import tree

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning",
                                        "ignore::pandas.errors.Pandas4Warning")
TICKERS = ["NVDA", "ARM", "^GSPC", "6857.T", "^N225"]
ZONES = {"NVDA": "America/New_York", "ARM": "America/New_York", "^GSPC": "America/New_York",
         "6857.T": "Asia/Tokyo", "^N225": "Asia/Tokyo"}


def history(ticker: str, start, end) -> pd.DataFrame:
    """What Ticker.history(auto_adjust=False) gives: tz-aware local midnights, named Date."""
    raw = pd.read_csv(SNAPSHOT / "prices" / ticker_file(ticker), parse_dates=["date"])
    raw = raw.loc[(raw["date"] >= pd.Timestamp(start)) & (raw["date"] < pd.Timestamp(end))]
    frame = pd.DataFrame({"Open": raw["open"].values, "High": raw["high"].values,
                          "Low": raw["low"].values, "Close": raw["close"].values,
                          "Adj Close": raw["adj_close"].fillna(raw["close"]).values,
                          "Volume": raw["volume"].values})
    frame.index = pd.DatetimeIndex(raw["date"]).tz_localize(ZONES[ticker]).rename("Date")
    return frame


class Yahoo:
    """Serves the snapshot through yfinance's own download(); `script` sets, per ticker, what
    each attempt does: an exception to raise, "empty", or a function editing the frame."""

    def __init__(self, monkeypatch):
        self.script: dict[str, list] = {}
        self.calls: list[str] = []
        outer = self

        class FakeTicker:
            def __init__(self, ticker):
                self.ticker, self._price_history = ticker, None

            def history(self, start=None, end=None, auto_adjust=True, **_):
                assert auto_adjust is False
                outer.calls.append(self.ticker)
                step = outer.script.get(self.ticker, [None])
                action = step.pop(0) if len(step) > 1 else step[0]
                if isinstance(action, BaseException):
                    raise action
                frame = history(self.ticker, start, end)
                if action == "empty":
                    return frame.iloc[:0]
                return action(frame) if callable(action) else frame

        monkeypatch.setattr(yfinance.multi, "Ticker", FakeTicker)


@pytest.fixture
def book(tmp_path, monkeypatch) -> Path:
    """A book whose universe holds five tickers (facts read from a copy of data/)."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    universe = pd.read_csv(tmp_path / "data" / "universe.csv", dtype=str, keep_default_na=False)
    universe[universe["ticker"].isin(TICKERS)].to_csv(tmp_path / "data" / "universe.csv",
                                                      index=False)
    monkeypatch.setenv("DEEPSHOCK_ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture
def yahoo_(snapshot, book, monkeypatch) -> Yahoo:
    return Yahoo(monkeypatch)


@pytest.fixture
def target(book) -> Path:
    return book / "cache" / "market-data"


@pytest.fixture
def sleeps() -> list[float]:
    return []


def run(target, sleeps, **kw) -> dict:
    return yahoo.refresh(target=target, sleep=sleeps.append, progress=False, **kw)


@pytest.fixture
def cache(yahoo_, target, sleeps) -> Path:
    assert run(target, sleeps)["status"] == "ok"
    return target


def revise(day: str, column: str, factor: float):
    def edit(frame):
        frame = frame.copy()
        frame.loc[frame.index.strftime("%Y-%m-%d") == day, column] *= factor
        return frame
    return edit


# --- shape -----------------------------------------------------------------------------------

def test_download_has_yfinance_17_shape(yahoo_):
    raw = yfinance.download(["NVDA", "6857.T"], start="2025-01-20", end="2025-01-31",
                            auto_adjust=False, progress=False, threads=False)
    assert raw.columns.names == ["Price", "Ticker"]
    assert list(raw.columns.get_level_values("Price").unique()) == \
        ["Adj Close", "Close", "High", "Low", "Open", "Volume"]
    assert raw.index.name == "Date" and raw.index.tz is None
    bars = yahoo.tidy(raw, "6857.T")  # union index: NaN rows of the other market are dropped
    expected = pd.read_csv(SNAPSHOT / "prices" / "6857.T.csv", parse_dates=["date"])
    expected = expected[expected["date"].between("2025-01-20", "2025-01-30")]
    assert bars["date"].tolist() == expected["date"].tolist()
    assert bars["close"].tolist() == expected["close"].tolist()


def test_tz_aware_or_intraday_frames(yahoo_):
    frame = history("6857.T", "2025-01-20", "2025-01-31")
    raw = pd.concat({"6857.T": frame}, axis=1, names=["Ticker", "Price"]).swaplevel(0, 1, axis=1)
    assert yahoo.tidy(raw, "6857.T")["date"].iloc[0] == pd.Timestamp("2025-01-20")
    shifted = raw.set_axis(raw.index + pd.Timedelta(hours=9), axis=0)
    with pytest.raises(yahoo.DataError, match="time of day"):
        yahoo.tidy(shifted, "6857.T")


# --- success ---------------------------------------------------------------------------------

def test_first_refresh_installs_raw_and_adjusted_closes(yahoo_, target, sleeps, book):
    report = run(target, sleeps)
    assert report["status"] == "ok" and sleeps == []
    assert {t: r["status"] for t, r in report["tickers"].items()} == dict.fromkeys(TICKERS, "added")
    manifest = sync.read_manifest(target)
    assert sorted(manifest["tickers"]) == sorted(TICKERS)
    assert manifest["source"].startswith(f"yfinance {yfinance.__version__} download, auto_adjust=False")
    for ticker in TICKERS:
        raw = pd.read_csv(SNAPSHOT / "prices" / ticker_file(ticker))
        raw = raw[raw["date"].between(yahoo.START, yahoo.END)]
        cached = pd.read_csv(target / "prices" / ticker_file(ticker))
        assert cached["date"].tolist() == raw["date"].tolist()
        assert cached["close"].tolist() == raw["close"].tolist()
        assert cached["adj_close"].tolist() == raw["adj_close"].fillna(raw["close"]).tolist()
        assert manifest["tickers"][ticker]["close_convention"] == yahoo.CONVENTION
    saved = json.loads((book / "cache" / "market-data-refresh.json").read_text())
    assert saved["status"] == "ok" and set(saved["tickers"]) == set(TICKERS)
    assert "| NVDA | added |" in (book / "cache" / "market-data-refresh.md").read_text()


def test_identical_refresh_reports_no_change(cache, sleeps):
    report = run(cache, sleeps)
    assert report["status"] == "ok"
    for row in report["tickers"].values():
        assert (row["status"], row["rows_added"], row["rows_removed"], row["revised"]) == \
            ("ok", 0, 0, {})


def test_rate_limit_then_success_after_backoff(cache, yahoo_, sleeps):
    """yfinance swallows the error (empty frame, logged); the refresh retries with backoff."""
    yahoo_.script["NVDA"] = [YFRateLimitError(), YFRateLimitError(), None]
    report = run(cache, sleeps)
    assert report["status"] == "ok"
    assert report["tickers"]["NVDA"]["tries"] == 3
    assert sleeps == [2.0, 4.0]


@pytest.mark.parametrize("error", [YFRateLimitError(), OSError("connection reset"),
                                   CurlError("curl: (28) Operation timed out")])
def test_raised_network_errors_are_retried(cache, sleeps, error):
    errors = [error, error]

    def download(*args, **kwargs):
        if errors:
            raise errors.pop()
        return yfinance.download(*args, **kwargs)

    report = run(cache, sleeps, download=download)
    assert report["status"] == "ok"
    assert report["tickers"]["NVDA"]["tries"] == 3 and sleeps == [2.0, 4.0]


def test_revision_outside_the_window_is_reported_and_installed(cache, yahoo_, sleeps):
    yahoo_.script["ARM"] = [revise("2024-02-08", "Adj Close", 1.01)]
    yahoo_.script["NVDA"] = [revise("2023-05-25", "Close", 1 + 1e-7)]  # below the tolerance
    report = run(cache, sleeps)
    assert report["status"] == "ok"
    arm = report["tickers"]["ARM"]
    assert (arm["status"], arm["revised"], arm["first_revised"]) == \
        ("changed", {"adj_close": 1}, "2024-02-08")
    assert arm["max_revision"] == pytest.approx(0.01)
    assert report["tickers"]["NVDA"]["status"] == "ok"
    raw = pd.read_csv(SNAPSHOT / "prices" / "ARM.csv").set_index("date")
    cached = read_price_csv(cache / "prices" / "ARM.csv").set_index("date")
    assert cached.at[pd.Timestamp("2024-02-08"), "adj_close"] == \
        pytest.approx(raw.at["2024-02-08", "close"] * 1.01)


def test_subset_refresh_keeps_the_other_files(cache, sleeps):
    before = {p.name: p.read_bytes() for p in (cache / "prices").iterdir()}
    report = run(cache, sleeps, tickers=["NVDA"])
    assert report["status"] == "ok"
    assert report["tickers"]["NVDA"]["status"] == "ok"
    assert {t: r["status"] for t, r in report["tickers"].items() if t != "NVDA"} == \
        dict.fromkeys(set(TICKERS) - {"NVDA"}, "kept")
    assert {p.name: p.read_bytes() for p in (cache / "prices").iterdir()} == before


# --- never for the worse ---------------------------------------------------------------------

def check_kept(report, cache, before, status, *words):
    assert report["status"] == status
    assert tree(cache)[:2] == before[:2]
    assert all(w in report["message"] or any(w in str(r.get("error")) for r in
               report["tickers"].values()) for w in words), report
    saved = json.loads((cache.parent / "market-data-refresh.json").read_text())
    assert saved["status"] == status


def test_persistent_rate_limit_fails_and_keeps_the_cache(cache, sleeps):
    before = tree(cache)

    def download(*args, **kwargs):
        raise YFRateLimitError()

    report = run(cache, sleeps, download=download)
    check_kept(report, cache, before, "failed", "YFRateLimitError", "Too Many Requests")
    assert sleeps == [2.0, 4.0, 8.0] * len(TICKERS)
    assert all(r["tries"] == yahoo.ATTEMPTS for r in report["tickers"].values())


def test_empty_download_fails_and_keeps_the_cache(cache, yahoo_, sleeps):
    before = tree(cache)
    yahoo_.script["6857.T"] = ["empty"]
    report = run(cache, sleeps)
    check_kept(report, cache, before, "failed", "6857.T", "empty download")
    assert report["tickers"]["6857.T"]["status"] == "failed"
    assert report["tickers"]["NVDA"]["status"] == "ok"


def test_swallowed_error_is_named_in_the_report(cache, yahoo_, sleeps):
    before = tree(cache)
    yahoo_.script["ARM"] = [YFRateLimitError()]
    report = run(cache, sleeps)
    check_kept(report, cache, before, "failed", "empty download", "Rate limited")


def test_batch_with_all_nan_tickers_fails_and_keeps_the_cache(cache, sleeps):
    """A multi-ticker frame in which yfinance left two tickers all-NaN (their download failed)."""
    before = tree(cache)

    def download(ticker, **kwargs):
        batch = yfinance.download(TICKERS, **kwargs)
        batch.loc[:, (slice(None), ["ARM", "^N225"])] = float("nan")
        return batch

    report = run(cache, sleeps, download=download)
    check_kept(report, cache, before, "failed", "ARM", "^N225", "empty download")
    assert sorted(t for t, r in report["tickers"].items() if r["status"] == "failed") == \
        ["ARM", "^N225"]


def test_truncated_series_is_partial_and_keeps_the_cache(cache, yahoo_, sleeps):
    before = tree(cache)
    yahoo_.script["NVDA"] = [lambda f: f.loc[: "2025-03-31"]]
    report = run(cache, sleeps)
    check_kept(report, cache, before, "failed", "partial download: covers 2019-12-02..2025-03-31")


def test_event_window_change_is_refused_without_the_flag(cache, yahoo_, sleeps):
    before = tree(cache)
    yahoo_.script["NVDA"] = [revise("2025-01-27", "Adj Close", 1.01)]
    report = run(cache, sleeps)
    check_kept(report, cache, before, "refused", "frozen event window 2024-12-01..2025-02-28",
               "NVDA", "--allow-event-window-change")
    assert report["tickers"]["NVDA"]["event_window_changes"] == 1
    allowed = run(cache, sleeps, allow_event_window_change=True)
    assert allowed["status"] == "ok" and allowed["tickers"]["NVDA"]["status"] == "changed"
    assert tree(cache)[0] != before[0]


def test_invalid_download_is_rejected_and_keeps_the_cache(cache, yahoo_, sleeps):
    before = tree(cache)
    yahoo_.script["NVDA"] = [revise("2024-03-01", "High", 0.5)]
    report = run(cache, sleeps)
    check_kept(report, cache, before, "rejected", "NVDA.csv: line", "below low")


def test_split_like_jump_in_a_download_is_rejected(cache, yahoo_, sleeps):
    before = tree(cache)
    yahoo_.script["6857.T"] = [revise("2024-03-01", "Close", 3.0)]
    report = run(cache, sleeps)
    check_kept(report, cache, before, "rejected", "6857.T.csv: line", "split-like")


def test_unexpected_error_is_not_retried(cache, sleeps):
    before = tree(cache)

    def download(*args, **kwargs):
        raise ValueError("bad argument")

    report = run(cache, sleeps, download=download)
    check_kept(report, cache, before, "failed", "ValueError: bad argument")
    assert sleeps == [] and all(r["tries"] == 1 for r in report["tickers"].values())


def test_auto_adjusted_shape_is_refused(cache, sleeps):
    before = tree(cache)

    def download(*args, **kwargs):
        return yfinance.download(*args, **kwargs).drop(columns="Adj Close", level="Price")

    report = run(cache, sleeps, download=download)
    check_kept(report, cache, before, "failed", "missing columns ['Adj Close']")


# --- make data / make refresh ----------------------------------------------------------------

def test_sync_yfinance_keeps_a_complete_cache_and_fills_an_empty_one(cache, yahoo_, book):
    def offline(*args, **kwargs):
        raise AssertionError("no download expected")

    assert yahoo.sync_yfinance(target=cache, download=offline) == sync.read_manifest(cache)
    fresh = book / "other" / "market-data"
    manifest = yahoo.sync_yfinance(target=fresh, sleep=lambda s: None)
    assert sorted(manifest["tickers"]) == sorted(TICKERS)


def test_command_line(cache, yahoo_, monkeypatch, capsys):
    monkeypatch.setenv("DEEPSHOCK_CACHE", str(cache))
    assert yahoo.main(["refresh", "--tickers", "NVDA", "ARM"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Price refresh: OK") and "| NVDA | ok |" in out
    yahoo_.script["ARM"] = [revise("2025-01-28", "Close", 1.001)]
    assert yahoo.main(["refresh", "--tickers", "ARM"]) == 1
    assert "# Price refresh: REFUSED" in capsys.readouterr().out
    assert yahoo.main(["refresh", "--tickers", "ARM", "--allow-event-window-change"]) == 0
    assert "| ARM | changed |" in capsys.readouterr().out
