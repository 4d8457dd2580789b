"""Sync validated prices into the local cache, atomically, with a manifest.

The cache is a symlink (`.cache/market-data`) to one complete version directory. A sync
writes and validates a new version beside it and only then swaps the symlink, so a rejected
or interrupted sync leaves the last good cache exactly as it was.

Every file is validated twice: as a CSV (`validate.read_price_csv`) and as a series of its
security (`validate.check_series`: exchange sessions, split-like jumps against
`data/known_jumps.csv`). A ticker of the universe without a file stops the sync; a file of a
ticker outside the universe is ignored and listed in the manifest (`ignored_files`).

The cross-section panel (`panel/closes.csv`, `panel/members.csv`) is validated by
`panel.check`, copied byte for byte into the same version directory and recorded in the
manifest under `panel` (sha256 of both files, shape, date range), so it is swapped in or
rejected together with the prices.

Structure and content come first, comparisons second: a caller's `vet(directory)` (the
comparison with `data/vintage.csv`, with the previous cache) runs only once every file has
passed every check above, on the validated files, and whatever it raises stops the sync with
the cache as it was. A damaged file is therefore named by file, line and date, never reported
as a difference.

The intraday product (`intraday/`, six files of INTRADAY.md) is validated by `intraday.read_all`
and installed the same way, under `intraday` in the manifest (each file's sha256, rows, first
and last UTC bar); without the folder (a snapshot without one, a yfinance build) the entry
says why and the loader raises `intraday.Missing`.

The command line (`make data`) is `deepshock.data.cli`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from . import facts
from . import intraday as intraday_data
from . import panel as panel_data
from .paths import cache_dir, ticker_file
from .staging import create as _create_staging, release as _release_staging
from .validate import DataError, anomalies, check_series, read_price_csv, write_price_csv

MANIFEST = "manifest.json"
PANEL = "panel"
KEEP = "keep"  # write_cache(panel=KEEP): carry the installed cache's panel over


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _conventions(snapshot: Path) -> dict[str, str]:
    """Close convention per ticker from the snapshot's manifest.csv (empty if it has none)."""
    manifest = snapshot / "manifest.csv"
    if not manifest.is_file():
        return {}
    table = pd.read_csv(manifest, dtype=str)
    return dict(zip(table["ticker"], table["close_convention"]))


def _entry(ticker: str, path: Path, frame: pd.DataFrame, convention: str,
           series: dict[str, int]) -> dict:
    return {
        "file": path.name,
        "rows": len(frame),
        "first": frame["date"].iloc[0].date().isoformat(),
        "last": frame["date"].iloc[-1].date().isoformat(),
        "close_convention": convention,
        "sha256": sha256(path),
        "anomalies": {**anomalies(frame), **series},
    }


def _install(staging: Path, target: Path) -> None:
    """Swap the cache symlink to `staging` atomically and drop older versions."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not target.is_symlink():
        raise DataError(f"{target}: expected the cache symlink, found a real directory")
    old = target.resolve() if target.is_symlink() else None
    link = target.parent / f".{target.name}.link-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(staging.name)
    os.replace(link, target)
    if old is not None and old != staging.resolve() and old.is_dir():
        shutil.rmtree(old, ignore_errors=True)


def _stage(target: Path) -> Path:
    """A locked staging directory beside the cache; orphans of killed syncs are swept first
    (`staging.sweep`)."""
    return _create_staging(target)


def write_cache(frames: dict[str, pd.DataFrame], source: str, conventions: dict[str, str],
                *, target: Path | None = None, files: dict[str, Path] | None = None,
                extra: dict | None = None, panel: Path | str | None = KEEP,
                vet: Callable[[Path], None] | None = None,
                intraday: Path | str | None = KEEP) -> dict:
    """Validate and install a complete set of per-ticker frames (or source files) as the cache.

    A ticker found in `files` is copied byte for byte from that file (snapshot, download or
    the previous cache); any other is written from its frame. Every file is re-read and checked
    (`read_price_csv`, `check_series`) before the swap; errors name the source file.
    `panel` is a directory holding the panel's two files (None: no panel; KEEP: the installed
    cache's panel, if any, checked again); `intraday` likewise for the intraday folder. `vet`,
    if given, is called with the staging directory once everything in it passed, before the
    swap; what it raises aborts the sync.
    """
    target = target or cache_dir()
    files = files or {}
    table = facts.universe().set_index("ticker")
    jumps = facts.known_jumps()
    staging = _stage(target)
    try:
        prices = staging / "prices"
        prices.mkdir()
        entries = {}
        for ticker, frame in frames.items():
            out = prices / ticker_file(ticker)
            origin = files.get(ticker, out)
            if ticker not in table.index:
                raise DataError(f"{origin}: ticker {ticker!r} is not in universe.csv")
            if ticker in files:
                shutil.copyfile(files[ticker], out)
            else:
                write_price_csv(frame, out)
            checked = read_price_csv(out)
            series = check_series(checked, origin, ticker=ticker,
                                  calendar=table.at[ticker, "calendar"], known_jumps=jumps)
            entries[ticker] = _entry(ticker, out, checked, conventions.get(ticker, "unknown"),
                                     series)
        kept = panel == KEEP  # a kept panel need not end where refreshed prices do
        if kept:
            panel = target / PANEL if (target / PANEL / panel_data.CLOSES).is_file() else None
        nyse = [pd.Timestamp(e["last"]) for t, e in entries.items()
                if table.at[t, "calendar"] == panel_data.CALENDAR]
        panel_entry = None if panel is None else _stage_panel(
            Path(panel), staging / PANEL, max(nyse) if nyse and not kept else None)
        if intraday == KEEP:
            installed = target / intraday_data.FOLDER
            intraday = installed if installed.is_dir() else None
        intraday_entry = intraday_data.stage(None if intraday is None else Path(intraday),
                                             staging / intraday_data.FOLDER, source)
        manifest = {
            "source": source,
            "synced_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "tickers": entries,
            "panel": panel_entry,
            "intraday": intraday_entry,
            **(extra or {}),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        if vet is not None:
            vet(staging)
        _install(staging, target)
        _release_staging(staging)
        return manifest
    except BaseException:
        _release_staging(staging, remove=True)
        raise


def _stage_panel(source: Path, out: Path, end: pd.Timestamp | None) -> dict:
    """Validate the panel files in `source` (errors name them), copy them to `out`."""
    closes, members = panel_data.check(source / panel_data.CLOSES, source / panel_data.MEMBERS,
                                       end=end)
    out.mkdir()
    for name in (panel_data.CLOSES, panel_data.MEMBERS):
        shutil.copyfile(source / name, out / name)
        if sha256(out / name) != sha256(source / name):
            raise DataError(f"{source / name}: changed while it was being synced")
    return panel_data.entry(out, closes, members)


def _panel_current(manifest: dict, source: Path | None, target: Path) -> bool:
    """Whether the installed panel is byte for byte the snapshot's (or both are absent)."""
    entry = manifest.get("panel")
    if source is None or entry is None:
        return source is None and entry is None
    for name, recorded in entry["files"].items():
        cached = target / PANEL / name
        if not (source / name).is_file() or not cached.is_file() or \
                {sha256(source / name), sha256(cached)} != {recorded["sha256"]}:
            return False
    return True


def sync_snapshot(snapshot: Path, *, target: Path | None = None,
                  tickers: list[str] | None = None,
                  vet: Callable[[Path], None] | None = None) -> dict:
    """Validate every universe ticker's file in `snapshot/prices` and install them as the cache.
    `vet(directory)` sees the validated files before the swap (`write_cache`), or the cache when
    it already holds exactly these files, checked by the same rules."""
    snapshot = Path(snapshot)
    prices = snapshot / "prices"
    if not prices.is_dir():
        raise DataError(f"{prices}: snapshot has no prices/ directory")
    universe = facts.universe()
    tickers = tickers or universe["ticker"].tolist()
    files = {t: prices / ticker_file(t) for t in tickers}
    lines = {t: i + 2 for i, t in universe["ticker"].items()}
    for ticker, path in files.items():
        if not path.is_file():
            raise DataError(f"{path}: missing price file for {ticker!r} "
                            f"(listed in universe.csv line {lines.get(ticker, '?')})")
    known = {ticker_file(t) for t in tickers}
    ignored = sorted(p.name for p in prices.glob("*.csv") if p.name not in known)
    rules = _rules()
    current = _current(snapshot, files, target or cache_dir(), rules)
    panel = snapshot / PANEL if (snapshot / PANEL).is_dir() else None
    if current is not None and not _panel_current(current, panel, target or cache_dir()):
        current = None
    intraday = snapshot / intraday_data.FOLDER
    intraday = intraday if intraday.is_dir() else None
    if current is not None and not intraday_data.current(
            current.get("intraday"), intraday, (target or cache_dir()) / intraday_data.FOLDER):
        current = None
    provenance = snapshot / "PROVENANCE.md"
    provenance_sha = sha256(provenance) if provenance.is_file() else None
    if current is not None and (current.get("ignored_files"), current.get("provenance_sha256")) \
            == (ignored, provenance_sha):
        if vet is not None:
            vet(target or cache_dir())
        return current
    frames = {t: read_price_csv(path) for t, path in files.items()}
    extra = {"ignored_files": ignored, "snapshot_dir": str(snapshot.resolve()),
             "checked_with": rules,
             "provenance_sha256": provenance_sha}
    return write_cache(frames, f"snapshot {snapshot.resolve().name}/ (PROVENANCE.md)",
                       _conventions(snapshot), target=target, files=files, extra=extra,
                       panel=panel, vet=vet, intraday=intraday)


def _rules() -> str:
    """Hash of what decides whether a file passes: the validator, this module and the facts."""
    from . import validate
    from .paths import facts_dir

    digest = hashlib.sha256()
    for path in (Path(validate.__file__), Path(__file__), Path(panel_data.__file__),
                 Path(intraday_data.__file__), Path(intraday_data.intraday_files.__file__),
                 facts_dir() / "universe.csv",
                 facts_dir() / "known_jumps.csv"):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _current(snapshot: Path, files: dict[str, Path], target: Path, rules: str) -> dict | None:
    """The installed manifest if the cache already holds exactly these snapshot files, checked
    by the same rules (so an unchanged `make data` costs hashing, not re-validation)."""
    try:
        manifest = read_manifest(target)
    except DataError:
        return None
    entries = manifest["tickers"]
    if (manifest.get("snapshot_dir") != str(snapshot.resolve())
            or manifest.get("checked_with") != rules or set(entries) != set(files)):
        return None
    for ticker, path in files.items():
        cached = target / "prices" / ticker_file(ticker)
        if not cached.is_file() or {sha256(path), sha256(cached)} != {entries[ticker]["sha256"]}:
            return None
    return manifest


def read_manifest(target: Path | None = None) -> dict:
    path = (target or cache_dir()) / MANIFEST
    if not path.is_file():
        raise DataError(f"{path}: no price cache yet — run `make data`")
    return json.loads(path.read_text())


def quirks(target: Path | None = None) -> dict[str, dict[str, int]]:
    """Per accepted quirk in the synced cache's manifest, the tickers showing it and how often."""
    found: dict[str, dict[str, int]] = {}
    for ticker, entry in read_manifest(target)["tickers"].items():
        for quirk, count in entry["anomalies"].items():
            if count:
                found.setdefault(quirk, {})[ticker] = count
    return found


def quirk_summary(quirk: str, target: Path | None = None) -> str:
    """Prose for one quirk: '28 (SK hynix 15, Samsung Electronics 13)', or '0 (none)'."""
    found = quirks(target).get(quirk, {})
    names = ", ".join(f"{facts.name(t)} {n:,}" for t, n in found.items()) or "none"
    return f"{sum(found.values()):,} ({names})"
