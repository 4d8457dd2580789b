"""The loader API for chapters, from the synced cache: tidy prices and per-security daily
returns of the universe (`prices`, `returns`), and the cross-section panel as wide tables
(`panel_returns`, `panel_members`)."""

from __future__ import annotations

import hashlib
import io
import pickle
from functools import cache
from pathlib import Path

import pandas as pd

from . import facts
from . import panel as panel_data
from .paths import cache_dir, code_digest, kept, ticker_file
from .sync import PANEL, read_manifest
from .validate import COLUMNS, DataError, stale_mask

TRADED = {"equity", "adr", "etf"}


@cache
def _frame(ticker: str, root: Path) -> pd.DataFrame:
    """One cached file, read fast: it was validated when synced, and its bytes must still hash
    to the manifest's sha256 (anything else is refused, never silently used)."""
    manifest = read_manifest(root)
    if ticker not in manifest["tickers"]:
        raise DataError(f"{root / 'manifest.json'}: ticker {ticker!r} is not in the synced cache")
    path = root / "prices" / ticker_file(ticker)
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != manifest["tickers"][ticker]["sha256"]:
        raise DataError(f"{path}: changed since it was validated (sha256 differs from "
                        "manifest.json) — run `make data`")
    kind = facts.universe().set_index("ticker").at[ticker, "kind"]
    # parsed once per build: kept in the artefact store under the file's hash and the code
    stored = kept(f"prices/{digest[:32]}-{kind}-{_parse_digest()}.pkl",
                  lambda: pickle.dumps(_parse(raw, kind in TRADED)))
    return pickle.loads(stored.read_bytes()).assign(ticker=ticker)


def _parse(raw: bytes, traded: bool) -> pd.DataFrame:
    """A price file's bars; a traded security's placeholder bars are missing sessions, not
    prices: dropped."""
    frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=dict.fromkeys(COLUMNS[1:], float))
    frame = frame.assign(date=pd.to_datetime(frame["date"], format="%Y-%m-%d"))[COLUMNS]
    return frame.loc[~stale_mask(frame)] if traded else frame


@cache
def _parse_digest() -> str:
    """What a kept parsed file depends on besides its bytes: the code that parses it, the
    columns and the pandas version."""
    code = code_digest(_frame, _parse, stale_mask)
    return hashlib.sha256(f"{code}{COLUMNS}{pd.__version__}".encode()).hexdigest()[:16]


def prices(tickers: list[str] | str | None = None, *, root: Path | None = None) -> pd.DataFrame:
    """Tidy daily bars: ticker, date, open, high, low, close, adj_close, volume.

    Only the sessions a security traded appear; stale placeholder bars are dropped. Each
    selection is built once per process (and per cache version); callers get their own copy.
    """
    return _prices(_key(tickers), _root(root)).copy()


def _root(root: Path | None) -> Path:
    return Path(root or cache_dir()).resolve()


def _key(tickers: list[str] | str | None) -> tuple[str, ...]:
    if isinstance(tickers, str):
        return (tickers,)
    return tuple(tickers or facts.universe()["ticker"].tolist())


@cache
def _prices(tickers: tuple[str, ...], root: Path) -> pd.DataFrame:
    frames = [_frame(t, root) for t in tickers]
    cols = ["ticker", "date", "open", "high", "low", "close", "adj_close", "volume"]
    return pd.concat(frames, ignore_index=True)[cols]


def returns(tickers: list[str] | str | None = None, *, root: Path | None = None) -> pd.DataFrame:
    """Close-to-close returns on consecutive sessions of each security (its own calendar).

    Columns: ticker, date, prev_date, close, prev_close, ret (a fraction). A holiday is a
    missing row, never a zero return; the first session of each series has no return.
    """
    return _returns(_key(tickers), _root(root)).copy()


@cache
def _returns(tickers: tuple[str, ...], root: Path) -> pd.DataFrame:
    bars = _prices(tickers, root).sort_values(["ticker", "date"])
    grouped = bars.groupby("ticker", sort=False)
    out = bars[["ticker", "date", "close"]].assign(
        prev_date=grouped["date"].shift(1), prev_close=grouped["close"].shift(1))
    out["ret"] = out["close"] / out["prev_close"] - 1.0
    out = out.dropna(subset=["prev_close"]).reset_index(drop=True)
    return out[["ticker", "date", "prev_date", "close", "prev_close", "ret"]]


def wide_returns(tickers: list[str] | None = None, *, root: Path | None = None) -> pd.DataFrame:
    """Returns as a date x ticker table; NaN where a security did not trade that date."""
    return returns(tickers, root=root).pivot(index="date", columns="ticker", values="ret")


def session_return(ticker: str, date: str, *, root: Path | None = None) -> pd.Series:
    """The return row of `ticker` on `date` (raises if the security did not trade that day)."""
    table = returns(ticker, root=root)
    row = table.loc[table["date"] == pd.Timestamp(date)]
    if row.empty:
        raise DataError(f"{ticker}: no session on {date} in the synced cache")
    return row.iloc[0]


@cache
def _panel(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The synced panel's closes (date x ticker, tickers sorted) and members, read fast: both
    files must still hash to the manifest's sha256 (they were validated when synced)."""
    entry = read_manifest(root).get("panel")
    if not entry:
        raise DataError(f"{root / 'manifest.json'}: no cross-section panel in the synced cache "
                        "(the snapshot has no panel/ directory?) — run `make data`")
    raw = {}
    for name, recorded in entry["files"].items():
        path = root / PANEL / name
        raw[name] = path.read_bytes()
        if hashlib.sha256(raw[name]).hexdigest() != recorded["sha256"]:
            raise DataError(f"{path}: changed since it was validated (sha256 differs from "
                            "manifest.json) — run `make data`")
    closes = pd.read_csv(io.BytesIO(raw[panel_data.CLOSES]), encoding="utf-8-sig")
    closes.columns = [c.strip() for c in closes.columns]
    date = next(c for c in closes.columns if c.lower() == "date")
    closes = closes.set_index(pd.DatetimeIndex(pd.to_datetime(closes.pop(date).str.strip(),
                                                              format="%Y-%m-%d"), name="date"))
    closes = closes[sorted(closes.columns)].astype(float)
    closes.columns.name = "ticker"
    members = pd.read_csv(io.BytesIO(raw[panel_data.MEMBERS]), encoding="utf-8-sig", dtype=str,
                          keep_default_na=False)
    members.columns = [c.strip().lower() for c in members.columns]
    members = members[panel_data.MEMBER_COLUMNS].apply(lambda s: s.str.strip())
    return closes, members.sort_values("ticker", ignore_index=True)


def panel_closes(*, root: Path | None = None) -> pd.DataFrame:
    """The panel's adjusted closes, wide: a row per NYSE session, a column per ticker (sorted);
    NaN before a ticker's first close. Levels are in the download's adjustment units: use
    `panel_returns`."""
    return _panel(Path(root or cache_dir()).resolve())[0].copy()


def panel_returns(*, root: Path | None = None) -> pd.DataFrame:
    """Wide simple returns of the panel: index `date` (each NYSE session from the panel's
    second), one column per ticker (sorted), value = close / previous session's close - 1 (a
    fraction). NaN on and before a ticker's first close (late listings); there are no other
    gaps (the validator rejects empty cells after a first close)."""
    return _panel_returns(Path(root or cache_dir()).resolve()).copy()


@cache
def _panel_returns(root: Path) -> pd.DataFrame:
    closes = _panel(root)[0]
    return (closes / closes.shift(1) - 1.0).iloc[1:]


def panel_members(*, root: Path | None = None) -> pd.DataFrame:
    """The panel's members: ticker, kind (`sp500` or `etf`), name, sector, industry (empty
    for the ETFs), sorted by ticker; exactly the columns of `panel_returns`."""
    return _panel(Path(root or cache_dir()).resolve())[1].copy()


def clear() -> None:
    """Forget every file read and table built in this process (the next call reads again)."""
    for cached in (_frame, _prices, _returns, _panel, _panel_returns):
        cached.cache_clear()


def claims() -> pd.DataFrame:
    """The fact-check table (`facts.claims()`), each claim on tickers checked against the cache:
    a traded session on a single date, or data on both sides of a range."""
    table = facts.claims()
    spans = facts.claim_spans(table)
    if not spans:
        return table
    bars = prices(sorted({t for names, *_ in spans.values() for t in names}))
    dates = bars.groupby("ticker")["date"].apply(set).to_dict()
    for i, (names, first, last) in spans.items():
        for ticker in names:
            have = dates[ticker]
            ok = first in have if first == last else min(have) <= first and max(have) >= last
            if not ok:
                when = first.date() if first == last else f"{first.date()}..{last.date()}"
                facts.fail("claims", i, f"{ticker} has no traded session "
                                        f"{'on' if first == last else 'around'} {when} in "
                                        f"the price cache")
    return table


def total_return_series(close: pd.Series, adjusted: pd.Series | None) -> pd.DataFrame:
    """Per session (index = date, ascending): the price return from `close` and, where the
    adjusted series (dividends reinvested) has both ends of the interval, the total return from
    it; `basis` says which. The dividend of an ex-day is what separates the two."""
    price = close / close.shift(1) - 1.0
    total = price.copy()
    basis = pd.Series("price", index=close.index)
    if adjusted is not None:
        adj = adjusted.reindex(close.index)
        from_adj = adj / adj.shift(1) - 1.0
        ok = from_adj.notna()
        total[ok], basis[ok] = from_adj[ok], "total"
    return pd.DataFrame({"price_ret": price, "ret": total, "basis": basis}).iloc[1:]


def total_returns(ticker: str, *, root: Path | None = None) -> pd.DataFrame:
    """`returns(ticker)` with `ret` a total return (dividends reinvested) wherever the snapshot
    has an adjusted close for the security: the file's own `adj_close` column, a file whose
    closes are already adjusted (or an index), else the panel's adjusted close (S&P 500
    members and its funds, 2023-2025). Elsewhere `ret` stays the price return. Extra columns:
    price_ret, basis ('total' or 'price'). Use it for multi-day windows compared with the
    panel; keep `returns` where a price is the point (a close, a market value)."""
    table = returns(ticker, root=root)
    bars = prices(ticker, root=root).set_index("date")
    manifest = read_manifest(Path(root or cache_dir()).resolve())["tickers"][ticker]
    convention = str(manifest.get("close_convention", ""))
    if bars["adj_close"].notna().any():
        adjusted = bars["adj_close"]
    elif not convention.startswith("RAW"):
        adjusted = bars["close"]   # ADJUSTED files and indices: the close already is
    else:
        try:   # the loader's own table, read only here (not a copy of the whole panel)
            wide = _panel(_root(root))[0]
        except DataError:
            wide = pd.DataFrame()
        adjusted = wide[ticker].dropna() if ticker in wide.columns else None
    series = total_return_series(bars["close"], adjusted)
    out = table.set_index("date").join(series[["price_ret", "basis"]])
    out["ret"] = series["ret"].reindex(out.index)
    return out.reset_index()
