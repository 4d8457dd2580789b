"""The data vintage (`data/vintage.csv`): the data the book was last built and checked with, as
hashes and counts (never prices), so that a later download or snapshot can be checked against it.

One row per (product, ticker, period); columns `product,ticker,period,rows,first,last,sha256,
source`:

- `prices`, per ticker: period `file` (sha256 of the file's bytes, rows, first and last date);
  one row per calendar month outside the frozen event window (`YYYY-MM`) and one per session
  inside it (`YYYY-MM-DD`), each with the sha256 (first 12 hex digits) of that period's values;
- `panel`: `closes.csv` and `members.csv` (period `file`); per member its whole column (`all`)
  and its event-window part (`window`); per date (ticker `*`) the row across the members;
- `intraday`, per file of `intraday/` (`intraday.SPECS`): period `file` (sha256, rows, first and
  last bar in UTC), then one row per UTC date inside the window and per month outside it, each
  hashing that period's bars as `intraday.read` returns them (UTC start, prices, volume, venue).

Value hashes are of the parsed numbers (`validate.read_price_csv`), so a BOM, CRLF or reordered
columns change the file hash but no value hash. A difference is reported per ticker and period
(a session inside the window, a month outside it); one inside the window stops `make data`
(see `deepshock.data.cli`) until accepted. Command line:
``python -m deepshock.data.vintage write|check [--from DIR]`` (default: the synced cache).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import facts
from . import intraday as intraday_data
from .console import brief
from .paths import cache_dir, facts_dir, ticker_file
from .validate import DataError, read_price_csv

EVENT_WINDOW = ("2024-12-01", "2025-02-28")  # frozen: DeepSeek-V3 to Nvidia's Q4 results
COLUMNS = ["product", "ticker", "period", "rows", "first", "last", "sha256", "source"]
PANEL_FILES = ("closes.csv", "members.csv")


def path() -> Path:
    return facts_dir() / "vintage.csv"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _digest(lines: list[str]) -> str:
    return _sha("\n".join(lines).encode())[:12]  # 48 bits: a changed period goes unseen 1 in 2^48


def _inside(day: str) -> bool:
    return EVENT_WINDOW[0] <= day <= EVENT_WINDOW[1]


def short_source(source: str) -> str:
    """'yfinance 1.7.0 download, auto_adjust=False, ...' -> 'yfinance 1.7.0'; 'snapshot
    market-data/ (PROVENANCE.md)' -> 'snapshot market-data/'."""
    return source.split(",")[0].split(" (")[0].replace(" download", "").strip() or "unknown"


def price_rows(ticker: str, file: Path, frame: pd.DataFrame, source: str) -> list[dict]:
    """The vintage rows of one price file (`frame` as `read_price_csv` returns it)."""
    days = frame["date"].dt.strftime("%Y-%m-%d").tolist()
    lines = frame.to_csv(header=False, index=False, na_rep="", lineterminator="\n",
                         date_format="%Y-%m-%d").splitlines()
    rows = [{"product": "prices", "ticker": ticker, "period": "file", "rows": len(frame),
             "first": days[0], "last": days[-1], "sha256": _sha(file.read_bytes()),
             "source": source}]
    months: dict[str, list[str]] = {}
    for day, line in zip(days, lines):
        if _inside(day):
            rows.append({"product": "prices", "ticker": ticker, "period": day, "rows": 1,
                         "sha256": _digest([line]), "source": source})
        else:
            months.setdefault(day[:7], []).append(line)
    rows += [{"product": "prices", "ticker": ticker, "period": month, "rows": len(block),
              "sha256": _digest(block), "source": source} for month, block in months.items()]
    return rows


def intraday_rows(name: str, file: Path, bars: pd.DataFrame, source: str) -> list[dict]:
    """The vintage rows of one intraday file (`bars` as `intraday.read` returns them)."""
    stamps = bars["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    keep = [c for c in ("open", "high", "low", "close", "volume", "venue") if c in bars]
    cells = bars[keep].astype(str)
    joined = cells[keep[0]]
    for column in keep[1:]:  # column by column: the same text as a row-wise ",".join, faster
        joined = joined + "," + cells[column]
    lines = (stamps + "," + joined).tolist()
    rows = [{"product": "intraday", "ticker": name, "period": "file", "rows": len(bars),
             "first": stamps.min(), "last": stamps.max(), "sha256": _sha(file.read_bytes()),
             "source": source}]
    blocks: dict[str, list[str]] = {}
    for stamp, line in sorted(zip(stamps, lines)):
        blocks.setdefault(stamp[:10] if _inside(stamp[:10]) else stamp[:7], []).append(line)
    rows += [{"product": "intraday", "ticker": name, "period": period, "rows": len(block),
              "sha256": _digest(block), "source": source} for period, block in blocks.items()]
    return rows


def _closes(directory: Path) -> pd.DataFrame:
    frame = pd.read_csv(directory / "closes.csv", encoding="utf-8-sig", dtype={"date": str})
    frame = frame.set_index("date")
    return frame[sorted(frame.columns)].astype(float)


def panel_rows(directory: Path, source: str, members: list[str] | None = None) -> list[dict]:
    """The vintage rows of a panel directory; date rows hash across `members` (default all)."""
    closes = _closes(directory)
    rows = []
    for name in PANEL_FILES:
        data = (directory / name).read_bytes()
        count = max(len(data.decode("utf-8-sig").splitlines()) - 1, 0)
        rows.append({"product": "panel", "ticker": name, "period": "file", "rows": count,
                     "first": closes.index[0] if name == "closes.csv" else "",
                     "last": closes.index[-1] if name == "closes.csv" else "",
                     "sha256": _sha(data), "source": source})
    for member in closes.columns:
        column = closes[member].dropna()
        if column.empty:
            continue
        lines = [f"{d},{v!r}" for d, v in column.items()]
        inside = [line for line in lines if _inside(line[:10])]
        rows.append({"product": "panel", "ticker": member, "period": "all", "rows": len(lines),
                     "first": column.index[0], "last": column.index[-1],
                     "sha256": _digest(lines), "source": source})
        rows.append({"product": "panel", "ticker": member, "period": "window",
                     "rows": len(inside), "sha256": _digest(inside), "source": source})
    across = closes[[m for m in (members or closes.columns) if m in closes.columns]]
    text = across.to_csv(header=False, na_rep="", lineterminator="\n").splitlines()
    rows += [{"product": "panel", "ticker": "*", "period": day, "rows": 1,
              "sha256": _digest([line]), "source": source}
             for day, line in zip(closes.index, text)]
    return rows


def table(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows).reindex(columns=COLUMNS)
    frame["rows"] = frame["rows"].astype(int)
    return frame.fillna("")


def build(directory: Path, tickers: list[str] | None = None, source: str | None = None,
          members: list[str] | None = None, reuse: pd.DataFrame | None = None) -> pd.DataFrame:
    """Vintage of a cache or snapshot directory (`prices/`, optional `panel/`). Files whose
    bytes hash as in `reuse` (an earlier vintage) take their rows from it, unread."""
    directory = Path(directory)
    manifest = directory / "manifest.json"
    info = json.loads(manifest.read_text()) if manifest.is_file() else {}
    if source is None:
        source = info.get("source") or f"snapshot {directory.resolve().name}/" + (
            " (PROVENANCE.md)" if (directory / "PROVENANCE.md").is_file() else "")
    source = short_source(source)
    if tickers is None:  # the universe's order, so that two vintages diff line by line
        tickers = facts.universe()["ticker"].tolist()
    known, earlier = {}, {}
    if reuse is not None:
        known = {(p, t): s for p, t, s in reuse.loc[reuse["period"] == "file",
                                                     ["product", "ticker", "sha256"]].itertuples(False)}
        records = reuse.to_dict("records")
        for record in records:
            earlier.setdefault((record["product"], record["ticker"]), []).append(record)
    rows: list[dict] = []
    for ticker in tickers:
        file = directory / "prices" / ticker_file(ticker)
        if not file.is_file():
            continue
        if known.get(("prices", ticker)) == _sha(file.read_bytes()):
            rows += earlier[("prices", ticker)]
        else:
            rows += price_rows(ticker, file, read_price_csv(file), source)
    panel = directory / "panel"
    if (panel / "closes.csv").is_file():
        if all(known.get(("panel", n)) == _sha((panel / n).read_bytes()) for n in PANEL_FILES):
            rows += [r for r in records if r["product"] == "panel"]
        else:
            rows += panel_rows(panel, source, members)
    folder = directory / intraday_data.FOLDER
    for spec in intraday_data.SPECS if folder.is_dir() else ():
        file = folder / spec.file
        if file.is_file() and known.get(("intraday", spec.file)) == _sha(file.read_bytes()):
            rows += earlier[("intraday", spec.file)]
        else:
            rows += intraday_rows(spec.file, file, intraday_data.read(file, spec), source)
    if not rows:
        raise DataError(f"{directory}: no price files to take a vintage of")
    return table(rows)


def read(where: Path | None = None) -> pd.DataFrame | None:
    """The committed vintage, or None when there is none."""
    where = where or path()
    if not where.is_file():
        return None
    frame = pd.read_csv(where, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{where}: missing columns {missing}")
    return frame.assign(rows=frame["rows"].astype(int))


def write(frame: pd.DataFrame, where: Path | None = None) -> Path:
    where = where or path()
    tmp = where.with_name(f".{where.name}.tmp")
    frame.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(where)
    return where


@dataclass
class Check:
    """Differences against the vintage: (product, ticker, period, what, inside the window)."""

    differences: list[tuple[str, str, str, str, bool]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def inside(self) -> list[tuple[str, str, str, str, bool]]:
        return [d for d in self.differences if d[4]]

    def tickers(self, inside: bool | None = None) -> list[str]:
        return sorted({d[1] for d in self.differences if inside is None or d[4] == inside})

    def lines(self) -> list[str]:
        """One line per product and ticker: what differs, where."""
        grouped: dict[tuple[str, str], list[tuple[str, str, bool]]] = {}
        for product, ticker, period, what, inside in self.differences:
            grouped.setdefault((product, ticker), []).append((period, what, inside))
        out = []
        for (product, ticker), items in grouped.items():
            parts = []
            for flag, label in ((True, "INSIDE the event window"), (False, "outside")):
                periods = sorted({p for p, _, i in items if i == flag and p != "file"})
                whats = sorted({w for _, w, i in items if i == flag})
                if periods or (flag is False and any(p == "file" for p, _, _ in items)):
                    parts.append(f"{label}: {_runs(periods)} ({', '.join(whats)})"
                                 if periods else f"{label}: {', '.join(whats)}")
            name = ticker if product == "prices" else f"{product} {ticker}"
            out.append(f"{name}: " + "; ".join(parts))
        return out + self.notes

    def securities(self) -> dict[str, bool]:
        """The securities that differ, named as in `lines` ('NVDA', 'panel AAPL'), each with
        whether it differs inside the window (those first); not the panel's files nor its
        per-date rows (`*`)."""
        names: dict[str, bool] = {}
        for product, ticker, _, _, inside in self.differences:
            if product == "panel" and (ticker == "*" or ticker in PANEL_FILES):
                continue
            name = ticker if product == "prices" else f"panel {ticker}"
            names[name] = names.get(name, False) or inside
        return dict(sorted(names.items(), key=lambda item: not item[1]))


def _runs(periods: list[str], limit: int = 12) -> str:
    """'2024-01, 2024-02, 2024-03, 2024-07' -> '2024-01..2024-03, 2024-07' (consecutive in the
    list count as a run; long lists are cut)."""
    runs: list[list[str]] = []
    for p in periods:
        if runs and len(runs[-1][-1]) == len(p) and _next(runs[-1][-1], p):
            runs[-1].append(p)
        else:
            runs.append([p])
    text = [r[0] if len(r) == 1 else f"{r[0]}..{r[-1]}" for r in runs]
    return ", ".join(text[:limit]) + (f" and {len(text) - limit} more" if len(text) > limit else "")


def _next(a: str, b: str) -> bool:
    if len(a) == 7:
        return pd.Period(a, "M") + 1 == pd.Period(b, "M")
    gap = (pd.Timestamp(b) - pd.Timestamp(a)).days
    return 0 < gap <= 4  # sessions a weekend or a holiday apart


def _keyed(frame: pd.DataFrame) -> dict[tuple[str, str], dict[str, tuple]]:
    out: dict[tuple[str, str], dict[str, tuple]] = {}
    for product, ticker, period, rows, first, last, sha in frame[COLUMNS[:7]].itertuples(False):
        out.setdefault((product, ticker), {})[period] = (int(rows), first, last, sha)
    return out


def _window_period(period: str) -> bool:
    if len(period) == 10:
        return _inside(period)
    if len(period) == 7:  # a month: inside if it overlaps the window
        return EVENT_WINDOW[0][:7] <= period <= EVENT_WINDOW[1][:7]
    return period == "window"


def compare(old: pd.DataFrame, new: pd.DataFrame) -> Check:
    """Every difference of `new` (built like `old`) against the vintage `old`."""
    check = Check()
    keyed, fresh = _keyed(old), _keyed(new)
    has_panel = any(k[0] == "panel" for k in fresh)
    if not has_panel and any(k[0] == "panel" for k in keyed):
        check.notes.append("the panel: in the vintage, not in the data checked (not compared)")
    has_intraday = any(k[0] == "intraday" for k in fresh)
    if not has_intraday and any(k[0] == "intraday" for k in keyed):
        check.notes.append("intraday: in the vintage, not in the data checked (not compared)")
    for key in sorted(set(keyed) - set(fresh)):
        if (key[0] == "panel" and not has_panel) or (key[0] == "intraday" and not has_intraday):
            continue
        if key[0] in ("prices", "intraday") or key[1] in PANEL_FILES:
            check.notes.append(f"{key[1]}: in the vintage, not in the data checked (not compared)")
        else:
            check.differences.append((*key, "all", "member dropped from the panel", True))
    added = sorted(k[1] for k in set(fresh) - set(keyed) if k[0] in ("prices", "intraday"))
    if added:
        check.notes.append(f"not in the vintage yet (not compared): {', '.join(added)}")
    members = sorted(k[1] for k in set(fresh) - set(keyed) if k[0] == "panel")
    if members and not any(k[0] == "panel" for k in keyed):
        check.notes.append("the panel is not in the vintage yet (not compared)")
    elif members:
        check.notes.append(f"panel members not in the vintage yet: {_runs(members, 20)}")
    dropped = any(d[3] == "member dropped from the panel" for d in check.differences)
    if dropped:
        check.notes.append("panel dates not compared: members of the vintage are missing")
    for key in [k for k in keyed if k in fresh]:
        a, b = keyed[key], fresh[key]
        if (dropped and key == ("panel", "*")) or ("file" in a and a.get("file") == b.get("file")):
            continue  # not comparable, or the very same bytes
        for period in sorted(a.keys() | b.keys()):
            inside = _window_period(period)
            if period not in b:
                check.differences.append((*key, period, "rows gone", inside))
            elif period not in a:
                check.differences.append((*key, period, "rows added", inside))
            elif period == "file":
                (n, f, l, _), (m, g, k) = a["file"], b["file"][:3]
                if (n, f, l) != (m, g, k):
                    check.differences.append((*key, "file", f"{n} rows {f}..{l} -> {m} rows "
                                                            f"{g}..{k}", False))
            elif a[period] != b[period]:
                check.differences.append((*key, period, "values differ", inside))
    return check


def check_dir(directory: Path, old: pd.DataFrame | None = None,
              tickers: list[str] | None = None) -> Check | None:
    """Compare a cache or snapshot directory with the vintage (None: no vintage committed)."""
    old = read() if old is None else old
    if old is None:
        return None
    members = sorted(set(old.loc[(old["product"] == "panel") & (old["period"] == "all"),
                                 "ticker"]))
    new = build(directory, tickers=tickers, source="checked", members=members or None,
                reuse=old)
    return compare(old, new)


def versus(prices: dict[str, tuple[Path, pd.DataFrame]], panel: Path | None, source: str
           ) -> tuple[Check | None, dict]:
    """A download (per ticker its file and frame; a panel directory or None) against the
    committed vintage, restricted to what was downloaded: the check and its report record."""
    old = read()
    if old is None:
        return None, {"path": None, "lines": [f"no {path()}: nothing compared"]}
    rows = [r for t, (f, frame) in prices.items() for r in price_rows(t, f, frame, source)]
    downloaded = panel is not None and (panel / "closes.csv").is_file()
    if downloaded:
        members = sorted(set(old.loc[(old["product"] == "panel") & (old["period"] == "all"),
                                     "ticker"]))
        rows += panel_rows(panel, source, members or None)
    old = old.loc[((old["product"] == "prices") & old["ticker"].isin(list(prices)))
                  | ((old["product"] == "panel") & downloaded)]
    check = compare(old, table(rows))
    return check, {"path": str(path()), "lines": check.lines(), "summary": brief(check),
                   "differences": [list(d) for d in check.differences],
                   "inside_window": check.tickers(True)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["write", "check"],
                        help="write: (re)write data/vintage.csv; check: report differences")
    parser.add_argument("--from", dest="source", type=Path, default=None,
                        help="a cache or snapshot directory (default: the synced cache)")
    args = parser.parse_args(argv)
    directory = args.source or cache_dir()
    try:
        if args.command == "write":
            frame = build(directory)
            where = write(frame)
            prices = frame.loc[(frame["product"] == "prices") & (frame["period"] == "file")]
            panel = frame.loc[(frame["product"] == "panel") & (frame["period"] == "all")]
            intraday = frame.loc[(frame["product"] == "intraday") & (frame["period"] == "file")]
            print(f"wrote {where}: {len(prices)} price files"
                  f"{f', the panel ({len(panel)} members)' if len(panel) else ', no panel'}, "
                  f"{len(intraday)} intraday files, "
                  f"{len(frame)} rows, from {directory}")
            return 0
        check = check_dir(directory)
    except (DataError, OSError) as exc:
        print(f"vintage {args.command} failed: {exc}", file=sys.stderr)
        return 1
    if check is None:
        print(f"no vintage at {path()}: write one with `python -m deepshock.data.vintage write`")
        return 1
    for line in check.lines() or ["no differences"]:
        print(line)
    return 1 if check.inside else 0


if __name__ == "__main__":
    sys.exit(main())
