"""`make data`: sync the price cache from a snapshot directory, or download it with yfinance.

Command line: ``python -m deepshock.data.cli [--snapshot DIR | --yfinance]`` (no DIR: the
default snapshot beside the project, else yfinance).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from .paths import cache_dir, default_snapshot
from .sync import sync_snapshot
from .validate import DataError
from .yahoo import sync_yfinance


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, default=None,
                        help="snapshot directory (default ../shared/market-data if present)")
    parser.add_argument("--yfinance", action="store_true", help="download with yfinance instead")
    args = parser.parse_args(argv)
    snapshot = None if args.yfinance else (args.snapshot or default_snapshot())
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    try:
        if snapshot is not None:
            manifest = sync_snapshot(snapshot)
        else:
            manifest = sync_yfinance()
    except (DataError, OSError) as exc:
        print(f"data sync rejected, cache left unchanged: {exc}", file=sys.stderr)
        return 1
    if manifest.get("ignored_files"):
        print(f"ignored files of tickers outside universe.csv: {manifest['ignored_files']}",
              file=sys.stderr)
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
