"""`make refresh` fully offline: yfinance 1.7's own `yf.download` runs with its network-facing
`Ticker` replaced by one serving the snapshot files, so every frame has exactly 1.7's shape
(columns Price x Ticker, tz-naive index named Date). Failures, rate limits, partial and
revised downloads never cost the last good cache."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import subprocess
import sys
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
from tests.conftest import ROOT, SNAPSHOT, small_book
from tests.test_sync import tree

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning",
                                        "ignore::pandas.errors.Pandas4Warning")
TICKERS = ["NVDA", "ARM", "^GSPC", "6857.T", "^N225"]
ZONES = {"NVDA": "America/New_York", "ARM": "America/New_York", "^GSPC": "America/New_York",
         "6857.T": "Asia/Tokyo", "^N225": "Asia/Tokyo"}


@functools.cache
def snapshot_prices(ticker: str) -> pd.DataFrame:
    """A snapshot price file, read once per session (every fake download filters a copy)."""
    return pd.read_csv(SNAPSHOT / "prices" / ticker_file(ticker), parse_dates=["date"])


@functools.cache
def snapshot_closes() -> pd.DataFrame:
    """The snapshot's panel closes, read once per session, not once per member downloaded."""
    return pd.read_csv(SNAPSHOT / "panel" / "closes.csv", parse_dates=["date"]).set_index("date")


def history(ticker: str, start, end) -> pd.DataFrame:
    """What Ticker.history(auto_adjust=False) gives: tz-aware local midnights, named Date."""
    raw = snapshot_prices(ticker)
    raw = raw.loc[(raw["date"] >= pd.Timestamp(start)) & (raw["date"] < pd.Timestamp(end))]
    frame = pd.DataFrame({"Open": raw["open"].values, "High": raw["high"].values,
                          "Low": raw["low"].values, "Close": raw["close"].values,
                          "Adj Close": raw["adj_close"].fillna(raw["close"]).values,
                          "Volume": raw["volume"].values})
    frame.index = pd.DatetimeIndex(raw["date"]).tz_localize(ZONES[ticker]).rename("Date")
    return frame


def panel_history(ticker: str, start, end, script: dict) -> pd.DataFrame:
    """Ticker.history(auto_adjust=True) for a panel member, from the snapshot's closes.csv."""
    step = script.get(ticker, [None])
    action = step.pop(0) if len(step) > 1 else step[0]
    if isinstance(action, BaseException):
        raise action
    column = snapshot_closes()[ticker].dropna()
    column = column.loc[(column.index >= pd.Timestamp(start)) & (column.index < pd.Timestamp(end))]
    frame = pd.DataFrame({"Open": column, "High": column, "Low": column, "Close": column,
                          "Volume": 1000.0})
    frame.index = column.index.tz_localize("America/New_York").rename("Date")
    return frame.iloc[:0] if action == "empty" else frame


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
                outer.calls.append(self.ticker)
                if auto_adjust:  # the panel: auto-adjusted closes
                    return panel_history(self.ticker, start, end, outer.script)
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
    small_book(tmp_path, monkeypatch, TICKERS)
    (tmp_path / "data" / "vintage.csv").unlink(missing_ok=True)  # tests that need one write it
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


@pytest.mark.parametrize(("error", "tries", "waits"), [
    (YFRateLimitError(), 3, [2.0, 4.0]), (OSError("connection reset"), 3, [2.0, 4.0]),
    # no answer (NVDA, then ARM): both put back until a ticker came back, then tried again
    # without waiting (a dead network must stop within seconds, not after backoff)
    (CurlError("curl: (28) Operation timed out"), 2, [])])
def test_raised_network_errors_are_retried(cache, sleeps, error, tries, waits):
    errors = [error, error]

    def download(*args, **kwargs):
        if errors:
            raise errors.pop()
        return yfinance.download(*args, **kwargs)

    report = run(cache, sleeps, download=download)
    assert report["status"] == "ok"
    assert report["tickers"]["NVDA"]["tries"] == tries and sleeps == waits


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

    kept = yahoo.sync_yfinance(target=cache, download=offline)
    assert kept.pop("vintage") is None  # no data/vintage.csv in this book
    assert kept == sync.read_manifest(cache)
    fresh = book / "other" / "market-data"
    manifest = yahoo.sync_yfinance(target=fresh, sleep=lambda s: None, progress=False)
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


# --- Yahoo out of reach, rate limits, progress, quiet ------------------------------------------

def dns_error(*args, **kwargs):
    from curl_cffi.requests.exceptions import DNSError
    raise DNSError("Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com.")


def test_unreachable_yahoo_stops_after_the_first_tickers(cache, sleeps):
    before = tree(cache)
    report = run(cache, sleeps, download=dns_error)
    check_kept(report, cache, before, "unreachable", "Yahoo Finance cannot be reached",
               "name resolution failed", "Could not resolve host: query2.finance.yahoo.com",
               "NVDA, ARM, ^GSPC", "make book MARKET_DATA=/path/to/snapshot", "retry later")
    assert list(report["tickers"]) == TICKERS[: yahoo.FAIL_FAST]  # the others never tried
    assert sleeps == [] and all(r["tries"] == 1 for r in report["tickers"].values())


def test_no_answer_at_all_stops_after_the_first_tickers_too(cache, sleeps):
    """A network that swallows packets: each try ends in a timeout (yfinance: 10 s each)."""
    def download(*args, **kwargs):
        raise CurlError("curl: (28) Operation timed out after 10001 milliseconds")

    report = run(cache, sleeps, download=download)
    assert report["status"] == "unreachable" and sleeps == []
    assert "no answer (timed out) (curl: (28) Operation timed out" in report["message"]
    assert sum(r["tries"] for r in report["tickers"].values()) == yahoo.FAIL_FAST  # 30 s, not 10 min


def test_swallowed_connection_refused_is_unreachable_too(target, sleeps, yahoo_):
    """yfinance logs the error and returns an empty frame; no cache is created."""
    from curl_cffi.requests.exceptions import ConnectionError as Refused
    error = Refused("Failed to perform, curl: (7) Failed to connect to query2.finance.yahoo.com "
                    "port 443 after 0 ms: Couldn't connect to server.")
    yahoo_.script = {t: [error] for t in TICKERS}
    report = run(target, sleeps)
    assert report["status"] == "unreachable", report["message"]
    assert "connection refused (Failed to connect to query2.finance.yahoo.com port 443" \
        in report["message"]
    assert not target.exists() and not list(target.parent.glob("market-data-*/"))


def test_a_first_ticker_that_cannot_reach_yahoo_is_tried_again_once_others_came(cache, sleeps):
    calls = []

    def download(ticker, **kwargs):
        calls.append(ticker)
        if ticker == "NVDA" and calls.count("NVDA") == 1:
            dns_error()
        return yfinance.download(ticker, **kwargs)

    report = run(cache, sleeps, download=download)
    assert report["status"] == "ok", report["message"]
    assert calls == [*TICKERS, "NVDA"] and report["tickers"]["NVDA"]["tries"] == 2
    assert sleeps == []
    assert list(sync.read_manifest(cache)["tickers"]) == sorted(TICKERS)


def test_one_unreachable_ticker_after_a_good_one_is_retried_not_fatal(cache, sleeps):
    calls = []

    def download(ticker, **kwargs):
        calls.append(ticker)
        if ticker == "ARM" and calls.count("ARM") == 1:
            dns_error()
        return yfinance.download(ticker, **kwargs)

    report = run(cache, sleeps, download=download)
    assert report["status"] == "ok" and report["tickers"]["ARM"]["tries"] == 2
    assert sleeps == [2.0]


def test_rate_limit_gives_up_when_the_retry_budget_is_spent(cache, sleeps):
    before = tree(cache)

    def download(*args, **kwargs):
        raise YFRateLimitError()

    report = run(cache, sleeps, download=download, retry_budget=20.0)
    check_kept(report, cache, before, "failed", "rate-limiting", "retry budget of 20 s",
               "make book MARKET_DATA=/path/to/snapshot", "retry later")
    assert sum(sleeps) <= 20.0 and sleeps == [2.0, 4.0, 8.0, 2.0, 4.0]  # next wait: 8 > 0 left
    assert "stopped at ARM" in report["message"]


def test_progress_is_one_plain_line_per_ticker_off_a_terminal(yahoo_, target, sleeps, capsys):
    report = yahoo.refresh(target=target, sleep=sleeps.append, progress="lines")
    assert report["status"] == "ok"
    lines = capsys.readouterr().err.splitlines()
    assert lines == [f"yfinance {i}/5 ticker {t}: {report['tickers'][t]['rows']} rows"
                     for i, t in enumerate(TICKERS, start=1)]


def test_progress_is_a_bar_on_a_terminal(capsys):
    from deepshock.data.console import Steps
    steps = Steps(3, "panel", "batch", mode="bar")
    for label in ("A..F", "G..M", "N..Z"):
        steps.step(label, "50 of 50 tickers")
    steps.close()
    err = capsys.readouterr().err
    assert "\r" in err and "panel: 100%" in err and "3/3" in err and "N..Z 50 of 50" in err


def test_third_party_warnings_go_to_the_log_not_the_terminal(yahoo_, book, monkeypatch, capfd):
    """`make data` in yfinance mode: yfinance 1.7 under pandas 3 warns (Pandas4Warning)."""
    import warnings

    from deepshock.data import cli
    target = book / "cache" / "market-data"
    monkeypatch.setenv("DEEPSHOCK_CACHE", str(target))
    real = yfinance.download

    def chatty(*args, **kwargs):
        warnings.warn("something is deprecated", DeprecationWarning)
        import logging
        logging.getLogger("yfinance").warning("a yfinance log line")
        return real(*args, **kwargs)

    monkeypatch.setattr(yfinance, "download", chatty)
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        assert cli.main(["--yfinance"]) == 0
    out, err = capfd.readouterr()
    assert "Warning" not in out + err and "yfinance log line" not in out + err
    assert "synced 5 tickers" in out
    log = (book / "cache" / "market-data-warnings.log").read_text()
    assert "DeprecationWarning: something is deprecated" in log and "a yfinance log line" in log


OFFLINE = [sys.executable, "-m", "deepshock.data.cli", "--yfinance"]


def _yahoo_resolves() -> bool:
    import socket
    try:
        socket.getaddrinfo("query2.finance.yahoo.com", 443)
        return True
    except OSError:
        return False


@pytest.mark.parametrize("network", ["this machine", "refused by a closed local port"])
def test_real_yfinance_without_yahoo_fails_fast_and_clearly(tmp_path, network):
    """The real yfinance, no replaced downloader: without a route to Yahoo (this machine, no
    DNS) or with every connection refused (a proxy on a closed port, works anywhere)."""
    if network == "this machine" and _yahoo_resolves():
        pytest.skip("Yahoo is reachable from here; the refused case covers it")
    env = {**os.environ, "DEEPSHOCK_CACHE": str(tmp_path / ".cache" / "market-data")}
    env.pop("CI", None)
    if network != "this machine":
        with socket_closed_port() as port:
            proxy = f"http://127.0.0.1:{port}"
        env.update(HTTPS_PROXY=proxy, https_proxy=proxy, HTTP_PROXY=proxy, http_proxy=proxy)
    done = subprocess.run(OFFLINE, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)  # a bound against hanging, not a timing target
    assert done.returncode == 1
    *progress, message = done.stderr.strip().splitlines()
    cause = "name resolution failed" if network == "this machine" else "connection refused"
    first = pd.read_csv(ROOT / "data" / "universe.csv")["ticker"].tolist()[: yahoo.FAIL_FAST]
    assert message.startswith(f"make data: Yahoo Finance cannot be reached: {cause} ("), message
    assert f"the first {yahoo.FAIL_FAST} tickers tried ({', '.join(first)})" in message
    assert "make book MARKET_DATA=/path/to/snapshot" in message and "retry later" in message
    assert len(progress) == yahoo.FAIL_FAST and all(cause in line for line in progress)
    assert "Warning" not in done.stderr + done.stdout and done.stdout == ""
    assert not (tmp_path / ".cache" / "market-data").exists()
    assert not [p for p in (tmp_path / ".cache").iterdir() if p.is_dir()]  # no staging left
    assert "Pandas4Warning" in (tmp_path / ".cache" / "market-data-warnings.log").read_text()


@contextlib.contextmanager
def socket_closed_port():
    """A local TCP port nothing listens on (bound, then released)."""
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield port


# --- the vintage: make data checks a download, make refresh proposes a new one -----------------

def test_make_data_refuses_a_download_that_differs_from_the_vintage_in_the_window(
        cache, yahoo_, book, sleeps):
    from deepshock.data import vintage
    vintage.write(vintage.build(cache))  # the vintage of what the fake Yahoo serves today
    fresh = book / "fresh" / "market-data"
    assert yahoo.sync_yfinance(target=fresh, sleep=sleeps.append, progress=False)["vintage"] == []
    yahoo_.script["NVDA"] = [revise("2025-01-27", "Adj Close", 1.01)]  # Yahoo revises
    yahoo_.script["ARM"] = [revise("2024-02-08", "Volume", 2.0)]
    other = book / "other" / "market-data"
    with pytest.raises(yahoo.DataError) as info:
        yahoo.sync_yfinance(target=other, sleep=sleeps.append, progress=False)
    message = str(info.value)
    assert "differs from" in message and "vintage.csv inside the frozen event window" in message
    assert "for NVDA" in message and "make refresh" in message
    assert not other.exists()  # no cache installed
    report = (book / "other" / "market-data-refresh.md").read_text()
    assert "- NVDA: INSIDE the event window: 2025-01-27 (values differ)" in report
    assert "- ARM: outside: 2024-02 (values differ)" in report  # every difference, by date


def test_make_refresh_proposes_a_new_vintage(cache, yahoo_, book, monkeypatch, capsys):
    from deepshock.data import vintage
    vintage.write(vintage.build(cache))
    before = (book / "data" / "vintage.csv").read_text()
    monkeypatch.setenv("DEEPSHOCK_CACHE", str(cache))
    yahoo_.script["ARM"] = [revise("2024-02-08", "Volume", 2.0)]
    assert yahoo.main(["refresh"]) == 0
    out = capsys.readouterr().out
    assert "- ARM: outside: 2024-02 (values differ)" in out and "Proposed a new vintage" in out
    after = (book / "data" / "vintage.csv").read_text()
    changed = set(after.splitlines()) ^ set(before.splitlines())
    assert {line.split(",")[1:3][0] for line in changed} == {"ARM"}
    assert {line.split(",")[2] for line in changed} == {"file", "2024-02"}
    assert vintage.check_dir(cache).differences == []


# --- the panel -------------------------------------------------------------------------------

@pytest.fixture
def members(book, snapshot) -> list[str]:
    """A member list of 60 (two batches: 50 and 10), as data/panel_members.csv."""
    if not (snapshot / "panel" / "members.csv").is_file():
        pytest.skip("no panel in the snapshot")
    table = pd.read_csv(snapshot / "panel" / "members.csv", dtype=str, keep_default_na=False)
    chosen = table.iloc[::8].head(60)
    chosen.to_csv(book / "data" / "panel_members.csv", index=False)
    return chosen["ticker"].tolist()


def test_refresh_rebuilds_the_panel_in_batches(yahoo_, target, sleeps, members, capsys):
    report = yahoo.refresh(target=target, sleep=sleeps.append, progress="lines")
    assert report["status"] == "ok", report["message"]
    assert report["panel"]["batches"] == 2 and report["panel"]["downloaded"] == 60
    err = capsys.readouterr().err.splitlines()
    assert [l for l in err if l.startswith("panel")] == [
        f"panel 1/2 batch {members[0]}..{members[49]}: 50 of 50 tickers",
        f"panel 2/2 batch {members[50]}..{members[59]}: 10 of 10 tickers"]
    manifest = sync.read_manifest(target)
    assert (manifest["panel"]["rows"], manifest["panel"]["tickers"]) == (624, 60)
    cached = pd.read_csv(target / "panel" / "closes.csv", index_col="date")
    raw = pd.read_csv(SNAPSHOT / "panel" / "closes.csv", index_col="date")[members]
    pd.testing.assert_frame_equal(cached, raw, check_exact=False, rtol=1e-12)


def test_a_member_that_never_downloads_fails_the_refresh_and_keeps_the_cache(
        yahoo_, target, sleeps, members):
    assert yahoo.refresh(target=target, sleep=sleeps.append, progress=False)["status"] == "ok"
    before = tree(target)
    sleeps.clear()
    yahoo_.script[members[7]] = ["empty"]
    report = yahoo.refresh(target=target, sleep=sleeps.append, progress=False)
    assert report["status"] == "failed"
    assert f"panel: 1 of 60 members did not download ({members[7]})" in report["message"]
    assert sleeps == [2.0, 4.0, 8.0]  # the empty member retried with backoff, within the budget
    assert tree(target)[:2] == before[:2]


def test_panel_revision_inside_the_window_refuses_make_data(yahoo_, target, sleeps, members, book,
                                                            monkeypatch):
    from deepshock.data import vintage
    assert yahoo.refresh(target=target, sleep=sleeps.append, progress=False)["status"] == "ok"
    vintage.write(vintage.build(target))
    member = members[3]

    original = panel_history

    def revised(ticker, start, end, script):
        frame = original(ticker, start, end, {})
        if ticker == member:
            frame.loc[frame.index.strftime("%Y-%m-%d") == "2025-01-27", "Close"] *= 1.01
        return frame

    monkeypatch.setattr(sys.modules[__name__], "panel_history", revised)
    with pytest.raises(yahoo.DataError, match=rf"inside the frozen event window.*{member}"):
        yahoo.sync_yfinance(target=book / "fresh" / "market-data", sleep=sleeps.append,
                            progress=False)
    text = (book / "fresh" / "market-data-refresh.md").read_text()
    assert f"- panel {member}: INSIDE the event window: window (values differ)" in text
    assert "- panel *: INSIDE the event window: 2025-01-27 (values differ)" in text


def test_a_panel_download_with_a_gap_is_rejected_and_keeps_the_cache(
        yahoo_, target, sleeps, members, monkeypatch):
    assert yahoo.refresh(target=target, sleep=sleeps.append, progress=False)["status"] == "ok"
    before = tree(target)
    original, member = panel_history, members[5]

    def gap(ticker, start, end, script):
        frame = original(ticker, start, end, {})
        return frame.drop(pd.Timestamp("2024-03-01", tz="America/New_York")) \
            if ticker == member else frame

    monkeypatch.setattr(sys.modules[__name__], "panel_history", gap)
    report = yahoo.refresh(target=target, sleep=sleeps.append, progress=False)
    assert report["status"] == "rejected", report["message"]
    assert "closes.csv: line" in report["message"] and "(2024-03-01)" in report["message"]
    assert f"column {member}: empty close after the ticker's first close" in report["message"]
    assert tree(target)[:2] == before[:2]


def test_make_data_names_a_damaged_download_before_comparing_it_with_the_vintage(
        yahoo_, target, sleeps, members, book, monkeypatch):
    """Structure first on the yfinance path too: a member's lost session inside the window is
    rejected by file, line, date and member, not refused as a difference from the vintage."""
    from deepshock.data import vintage
    assert yahoo.refresh(target=target, sleep=sleeps.append, progress=False)["status"] == "ok"
    vintage.write(vintage.build(target))
    original, member = panel_history, members[5]

    def gap(ticker, start, end, script):
        frame = original(ticker, start, end, {})
        return frame.drop(pd.Timestamp("2025-01-28", tz="America/New_York")) \
            if ticker == member else frame

    monkeypatch.setattr(sys.modules[__name__], "panel_history", gap)
    fresh = book / "fresh" / "market-data"
    with pytest.raises(yahoo.DataError) as info:
        yahoo.sync_yfinance(target=fresh, sleep=sleeps.append, progress=False)
    line = next(i for i, text in enumerate(open(SNAPSHOT / "panel" / "closes.csv"), start=1)
                if text.startswith("2025-01-28,"))
    message = str(info.value)
    assert f"closes.csv: line {line} (2025-01-28): column {member}: empty close after the " \
           f"ticker's first close" in message
    assert "vintage" not in message and not fresh.exists()
    assert (book / "fresh" / "market-data-refresh.md").read_text().startswith(
        "# Price refresh: REJECTED")


def test_make_data_bounds_a_download_differing_from_the_vintage_everywhere(
        yahoo_, target, sleeps, members, book, monkeypatch):
    """Every member revised inside the window: the message summarises (counts, the first five
    members, the dates) in under 2 KB; the report lists every member."""
    from deepshock.data import vintage
    assert yahoo.refresh(target=target, sleep=sleeps.append, progress=False)["status"] == "ok"
    vintage.write(vintage.build(target))
    original = panel_history

    def revised(ticker, start, end, script):
        frame = original(ticker, start, end, {})
        frame.loc[frame.index.strftime("%Y-%m-%d") == "2025-01-27", "Close"] *= 1.01
        return frame

    monkeypatch.setattr(sys.modules[__name__], "panel_history", revised)
    with pytest.raises(yahoo.DataError) as info:
        yahoo.sync_yfinance(target=book / "fresh" / "market-data", sleep=sleeps.append,
                            progress=False)
    message, named = str(info.value), sorted(members)
    assert len(message.encode()) < 2000
    assert (f"for panel {', panel '.join(named[:5])} and {len(named) - 5} more (Yahoo revised its "
            f"data: differences in {len(named)} securities ({len(named)} inside the event "
            f"window): panel {', panel '.join(named[:5])} and {len(named) - 5} more; on 1 date "
            f"(1 inside the event window), 2025-01-27..2025-01-27; every difference is in the "
            f"report)") in message
    text = (book / "fresh" / "market-data-refresh.md").read_text()
    assert all(f"- panel {m}: INSIDE the event window: window (values differ)" in text
               for m in members)
