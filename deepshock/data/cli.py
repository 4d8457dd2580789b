"""`make data`: sync the price cache from a snapshot directory, or download it with yfinance.

Command line: ``python -m deepshock.data.cli [--snapshot DIR | --yfinance]`` (no DIR: the
default snapshot beside the project, else yfinance). Either way the data are checked against
`data/vintage.csv` (`vintage`): every difference is reported by ticker and date, and one inside
the frozen event window stops the sync with the cache as it was. For a snapshot this is the
same rule as for a download: a snapshot that changes the window is a deliberate act, accepted
by rewriting the vintage from it (`python -m deepshock.data.vintage write --from DIR`).
Before anything is synced, every facts file of `data/` is checked against its declared schema
(`schema.check_all`): a bad fact stops `make data` with the cache as it was.
Third-party warnings go to `.cache/market-data-warnings.log`, not the terminal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from . import schema, staging, vintage
from .console import quiet, warnings_log
from .paths import cache_dir, default_snapshot
from .sync import sync_snapshot
from .validate import DataError
from .yahoo import sync_yfinance


def check_snapshot(snapshot: Path) -> list[str] | None:
    """Compare a snapshot with the vintage before it is synced; raise inside the window."""
    check = vintage.check_dir(snapshot)
    if check is not None and check.inside:
        raise DataError(
            f"{snapshot}: differs from {vintage.path()} inside the frozen event window "
            f"{vintage.EVENT_WINDOW[0]}..{vintage.EVENT_WINDOW[1]}: " + "; ".join(check.lines())
            + f"; if this snapshot is meant to change the book's data, accept it with "
              f"`make vintage MARKET_DATA={snapshot}` (`python -m deepshock.data.vintage write "
              f"--from {snapshot}`)")
    return None if check is None else check.lines()


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
                differences = check_snapshot(snapshot)
                manifest = sync_snapshot(snapshot)
            else:
                manifest = sync_yfinance()
                differences = manifest.get("vintage")
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
        for line in differences:
            print(f"  {line}", file=sys.stderr)
    print(checked)
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
