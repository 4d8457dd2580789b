"""The intraday product (`intraday/`, the snapshot's INTRADAY.md): install it and load it, on
one clock: every timestamp a caller sees is a tz-aware UTC bar start (`ts`) or end (`end`).

The six files (an S&P 500 CFD by the minute, Nvidia hourly per venue and aggregated, SPY every
five minutes), their stated time zones, the one conversion to UTC and every check are in
`intraday_files` (`read`, `read_all`, re-exported here). `make data` validates the folder and
installs it in the same cache version as the prices (`sync.write_cache`, atomic), recording
each file's sha256, rows, first and last UTC bar in the manifest's `intraday` entry
(`stage`). Without a folder (a snapshot without one, or a build from yfinance, which serves no
2025 minute bars) the entry says why (`status`), `available()` is False and `bars` raises
`Missing`, a `DataError` and a `LookupError`: chapters say what is missing instead of failing.

Loader (read once per process and cache version; each file's bytes must still hash to the
manifest's sha256): `bars(name)` for "SPXUSD", "NVDA" (the aggregated regular-session file;
`venues=True`: one row per hour and venue, with a `venue` column) or "SPY": ts, end, open,
high, low, close, volume, sorted by ts; `level_at(name, when_utc)`: the close of the last bar
that ended at or before `when_utc`, or `NoBar` when that bar ended more than `TOLERANCE[name]`
before it (the market was shut); `available()`.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from functools import cache
from pathlib import Path

import pandas as pd

from . import intraday_files
from .intraday_files import FOLDER, SPECS, Spec, read, read_all  # noqa: F401 (the API)
from .paths import cache_dir, kept
from .validate import DataError

PROVENANCE, MANIFEST = "INTRADAY.md", "manifest.json"
COLUMNS = ["ts", "end", "open", "high", "low", "close", "volume"]
NOT_FROM_YFINANCE = "not available from yfinance (it serves no 2025 minute bars)"
NOT_IN_SNAPSHOT = "not in the snapshot (it has no intraday/ folder)"


class Missing(DataError, LookupError):
    """The synced cache holds no intraday product (or no cache at all): the message says why."""


class NoBar(LookupError):
    """No bar ended within the tolerance before the time asked for (the market was shut)."""


TOLERANCE = {"SPXUSD": pd.Timedelta("5min"), "NVDA": pd.Timedelta("1h"),
             "SPY": pd.Timedelta("10min")}  # level_at: how long before `when` a bar may end


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stage(source: Path | None, out: Path, origin: str) -> dict:
    """Validate the intraday folder `source` (None: there is none) and copy it byte for byte to
    `out`; return the manifest entry. `origin` is the cache's source (for the reason when there
    is no folder: yfinance or a snapshot without one)."""
    if source is None:
        note = NOT_FROM_YFINANCE if origin.startswith("yfinance") else NOT_IN_SNAPSHOT
        return {"available": False, "note": note, "files": {}}
    source = Path(source)
    frames = read_all(source)
    out.mkdir()
    names = [s.file for s in SPECS] + ([PROVENANCE] if (source / PROVENANCE).is_file() else [])
    for name in names:
        shutil.copyfile(source / name, out / name)
        if _sha(out / name) != _sha(source / name):
            raise DataError(f"{source / name}: changed while it was being synced")
    files = {}
    for spec in SPECS:
        bars = frames[spec.file]
        files[spec.file] = {
            "name": spec.name, "sha256": _sha(out / spec.file), "rows": len(bars),
            "first": f"{bars['ts'].min():%Y-%m-%dT%H:%M:%SZ}",
            "last": f"{bars['ts'].max():%Y-%m-%dT%H:%M:%SZ}",
            "time_zone": spec.zone, "interval": spec.interval, "labelled_by": "bar start"}
    provenance = _sha(out / PROVENANCE) if PROVENANCE in names else None
    return {"available": True, "files": files, "provenance_sha256": provenance,
            "converted_to": "UTC"}


def current(entry: dict | None, source: Path | None, cached: Path) -> bool:
    """Whether the installed intraday files are byte for byte the source's (or both absent)."""
    if source is None or not (entry or {}).get("files"):
        return source is None and entry is not None and not entry.get("files")
    for name, recorded in entry["files"].items():
        if not (source / name).is_file() or not (cached / name).is_file() or \
                {_sha(source / name), _sha(cached / name)} != {recorded["sha256"]}:
            return False
    provenance = source / PROVENANCE
    return entry.get("provenance_sha256") == (_sha(provenance) if provenance.is_file() else None)


def status(manifest: dict) -> str:
    """One line for `make data`: what the cache holds, or why it holds no intraday files."""
    entry = manifest.get("intraday")
    if not entry:
        return "intraday: not in this cache (synced before the intraday product existed)"
    if not entry.get("files"):
        return f"intraday: {entry.get('note', 'not available')}"
    rows = sum(f["rows"] for f in entry["files"].values())
    return f"intraday: {len(entry['files'])} files, {rows:,} bars (UTC)"


# --- the loader ---------------------------------------------------------------------------------

def _root(root: Path | None) -> Path:
    return Path(root or cache_dir()).resolve()


def _manifest(root: Path) -> dict:
    path = root / MANIFEST
    if not path.is_file():
        raise Missing(f"{path}: no price cache yet, so no intraday bars — run `make data`")
    return json.loads(path.read_text())


@cache
def _entry(root: Path) -> dict:
    entry = _manifest(root).get("intraday") or {}
    if not entry.get("files"):
        why = entry.get("note", "synced before the intraday product existed")
        raise Missing(f"{root / MANIFEST}: no intraday bars in the synced cache: {why}; sync "
                      f"from a snapshot with an {FOLDER}/ folder (`make data`)")
    return entry


def available(*, root: Path | None = None) -> bool:
    """Whether the synced cache holds the intraday product (False, never an error, without)."""
    try:
        _entry(_root(root))
    except Missing:
        return False
    return True


@cache
def _bars(name: str, root: Path) -> pd.DataFrame:
    entry = _entry(root)
    frames = []
    for spec in (s for s in SPECS if s.name == name):
        path = root / FOLDER / spec.file
        sha = _sha(path) if path.is_file() else None
        if sha is None or sha != entry["files"].get(spec.file, {}).get("sha256"):
            raise DataError(f"{path}: changed since it was validated (sha256 differs from "
                            f"{MANIFEST}) — run `make data`")
        frames.append(_parsed(path, spec, sha))
    keys = ["ts", "venue"] if name == "NVDA venues" else ["ts"]
    return pd.concat(frames, ignore_index=True).sort_values(keys, ignore_index=True)


def _parsed(path: Path, spec: Spec, sha: str) -> pd.DataFrame:
    """`read(path)`, kept in the artefact store under the file's sha256 and the reader's code,
    so a kernel unpickles what an earlier one parsed (a changed file or reader: a new name)."""
    code = hashlib.sha256(Path(intraday_files.__file__).read_bytes()).hexdigest()[:12]
    stored = kept(f"intraday/{path.stem}-{sha[:16]}-{code}-pandas{pd.__version__}.pickle",
                  lambda: pickle.dumps(read(path, spec)))
    try:
        return pickle.loads(stored.read_bytes())
    except Exception:  # a truncated or foreign pickle: parse again
        stored.unlink(missing_ok=True)
        return read(path, spec)


def bars(name: str, *, venues: bool = False, root: Path | None = None) -> pd.DataFrame:
    """The bars of "SPXUSD", "NVDA" or "SPY", sorted: ts (tz-aware UTC bar start), end (UTC bar
    end), open, high, low, close, volume; NVDA with `venues=True` is one row per hour and venue
    (an extra column `venue`, Databento's publisher id). Raises `Missing` without the product.
    Read once per process and cache version; callers get their own copy."""
    if name not in TOLERANCE or (venues and name != "NVDA"):
        raise KeyError(f"no intraday bars named {name!r}"
                       f"{' with venues' if venues else ''}: one of {sorted(TOLERANCE)}")
    return _bars(f"{name} venues" if venues else name, _root(root)).copy()


def level_at(name: str, when_utc, *, tolerance: pd.Timedelta | None = None,
             root: Path | None = None) -> float:
    """The close of the last bar of `name` that ended at or before `when_utc` (tz-aware). Raises
    `NoBar` when that bar ended more than `tolerance` (default `TOLERANCE[name]`) before it, as
    when the market was shut, or when there is none."""
    when = pd.Timestamp(when_utc)
    if when.tzinfo is None:
        raise ValueError(f"level_at: {when_utc!r} has no time zone (give UTC)")
    when = when.tz_convert("UTC")
    table = _bars(name, _root(root)) if name in TOLERANCE else bars(name)
    limit = TOLERANCE[name] if tolerance is None else pd.Timedelta(tolerance)
    i = int(table["end"].searchsorted(when, side="right")) - 1
    if i < 0 or when - table["end"].iloc[i] > limit:
        last = "none" if i < 0 else f"the last ended {table['end'].iloc[i]:%Y-%m-%d %H:%M} UTC"
        raise NoBar(f"{name}: no bar ended within {limit} before {when:%Y-%m-%d %H:%M} UTC "
                    f"({last}; the market was shut or the data do not reach it)")
    return float(table["close"].iloc[i])


def clear() -> None:
    """Forget what this process read (the next call reads the cache again)."""
    _entry.cache_clear()
    _bars.cache_clear()
