"""`make data`: sync the price cache from a snapshot directory, or download it with yfinance.

Command line: ``python -m deepshock.data.cli [--snapshot DIR | --yfinance]`` (no DIR: the
default snapshot beside the project, else yfinance). The facts come first: every facts file of
`data/` is checked against its declared schema (`schema.check_all`), and a bad fact stops
`make data` with the cache as it was. Then structure and content: every price file and the
panel pass every check (`sync`, `validate`, `panel`) before the data are compared with
`data/vintage.csv` (`vintage`), so a damaged file gets one message naming file, line and date.
Then every difference is reported by ticker and date: on the terminal line by line up to
`console.SHOWN` lines, else as a summary (`console.brief`); in full in the report beside the
cache (`.cache/market-data-refresh.md`). One inside the frozen event window stops the sync with
the cache as it was. For a snapshot this is the same rule as for a download: a snapshot that
changes the window is a deliberate act, accepted by rewriting the vintage from it
(`python -m deepshock.data.vintage write --from DIR`).
Third-party warnings go to `.cache/market-data-warnings.log`, not the terminal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from . import intraday, schema, staging, vintage
from .console import SHOWN, brief, check_report, quiet, report_path, warnings_log
from .paths import cache_dir, default_snapshot
from .sync import sync_snapshot
from .validate import DataError
from .yahoo import sync_yfinance


class Refused(DataError):
    """The data passed every check but differ from the vintage inside the event window."""

    def __init__(self, message: str, check: vintage.Check) -> None:
        super().__init__(message)
        self.check = check


def check_snapshot(snapshot: Path, directory: Path | None = None) -> vintage.Check | None:
    """Compare the snapshot's validated files (in `directory`, default the snapshot itself)
    with the vintage; raise `Refused` inside the window, with a bounded summary."""
    check = vintage.check_dir(directory or snapshot)
    if check is not None and check.inside:
        raise Refused(
            f"{snapshot}: differs from {vintage.path()} inside the frozen event window "
            f"{vintage.EVENT_WINDOW[0]}..{vintage.EVENT_WINDOW[1]}: {brief(check)}; every "
            f"difference is listed in {report_path(cache_dir())}; if this snapshot is meant to "
            f"change the book's data, accept it with `make vintage MARKET_DATA={snapshot}` "
            f"(`python -m deepshock.data.vintage write --from {snapshot}`)", check)
    return check


def _versus(check: vintage.Check | None) -> dict:
    return {"path": str(vintage.path()),
            "lines": check.lines() if check else [f"no {vintage.path()}: nothing compared"]}


def _sync(snapshot: Path) -> tuple[dict, vintage.Check | None]:
    """Validate, then compare, then install; the report beside the cache unless a file was
    rejected (the terminal's one line names it; the cache and its report stand)."""
    found: list[vintage.Check | None] = []

    def vet(directory: Path) -> None:
        found.append(check_snapshot(snapshot, directory))

    source = f"snapshot {snapshot}"
    try:
        manifest = sync_snapshot(snapshot, vet=vet)
    except Refused as exc:  # (a damaged file's one-line message needs no report)
        check_report(cache_dir(), source, "refused", f"cache left unchanged: {exc}",
                     _versus(exc.check))
        raise
    check = found[-1] if found else None
    check_report(cache_dir(), source, "ok", f"validated; in the cache (synced "
                 f"{manifest['synced_at']})", _versus(check))
    return manifest, check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, default=None,
                        help="snapshot directory (default ../shared/market-data if present)")
    parser.add_argument("--yfinance", action="store_true", help="download with yfinance instead")
    args = parser.parse_args(argv)
    snapshot = None if args.yfinance else (args.snapshot or default_snapshot())
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    with quiet(warnings_log(cache_dir())):
        try:
            staging.sweep(cache_dir())  # orphans of killed syncs, even when nothing is synced
            checked = schema.check_all()  # the facts first: bad facts stop before any sync
            if snapshot is not None:
                manifest, check = _sync(snapshot)
                differences = None if check is None else check.lines()
                short = None if check is None else brief(check)
            else:
                manifest = sync_yfinance()
                differences = manifest.get("vintage")
                short = manifest.get("vintage_summary") or "; ".join(differences or [])
        except (DataError, OSError) as exc:
            prefix = "data sync rejected, cache left unchanged: " if snapshot else "make data: "
            print(f"{prefix}{exc}", file=sys.stderr)
            return 1
    if manifest.get("ignored_files"):
        print(f"ignored files of tickers outside universe.csv: {manifest['ignored_files']}",
              file=sys.stderr)
    if differences is None:
        print(f"no {vintage.path().name} to check the data against (write one: "
              f"`python -m deepshock.data.vintage write`)", file=sys.stderr)
    elif differences:
        print(f"against {vintage.path().name} (nothing differs inside the frozen event "
              f"window; reported, not stopping):", file=sys.stderr)
        shown = differences if len(differences) <= SHOWN else [
            short, f"every difference is listed in {report_path(cache_dir())}"]
        for line in shown:
            print(f"  {line}", file=sys.stderr)
    print(checked)
    print(intraday.status(manifest))  # the intraday product, or why the cache has none
    rows = sum(e["rows"] for e in manifest["tickers"].values())
    if manifest.get("synced_at") and manifest["synced_at"] < started:
        print(f"price cache is current: {len(manifest['tickers'])} tickers, {rows} rows from "
              f"{manifest['source']} already validated (synced {manifest['synced_at']})")
        return 0
    print(f"synced {len(manifest['tickers'])} tickers, {rows} rows from {manifest['source']}"
          f" into {cache_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
