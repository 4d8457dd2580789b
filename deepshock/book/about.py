"""What a build of the book was made from: package versions, the price data and its manifest.

Every function returns Markdown text for `report.glue_text` (tables for ``{glue:md}`` with
``:format: myst``), so the "About this build" page states its own inputs.
"""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

import pandas as pd

from ..data import facts
from ..data.sync import read_manifest

PACKAGES = ["jupyter-book", "sphinx", "myst-nb", "myst-parser", "sphinx-book-theme",
            "sphinxcontrib-bibtex", "jupyter-cache", "altair", "vl-convert-python", "pandas",
            "numpy", "scipy", "statsmodels", "exchange-calendars", "yfinance"]
SHA_DIGITS = 12


def versions() -> pd.DataFrame:
    """Installed version of Python and of each key package ("not installed" if absent)."""
    rows = [("Python", platform.python_version())]
    for package in PACKAGES:
        try:
            rows.append((package, version(package)))
        except PackageNotFoundError:
            rows.append((package, "not installed"))
    return pd.DataFrame(rows, columns=["package", "version"])


def _anomalies(counts: dict[str, int]) -> str:
    found = [f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(counts.items()) if n]
    return ", ".join(found) or "none"


def stamp(iso: str | None) -> str:
    """'2026-11-29T01:34:51+00:00' -> '29 November 2026, 01:34 UTC' (the edition stamp's form)."""
    if not iso:
        return "an unrecorded time"
    stamp = pd.Timestamp(iso).tz_convert("UTC")
    return f"{stamp.day} {stamp:%B %Y, %H:%M} UTC"


def data_table(manifest: dict) -> pd.DataFrame:
    """One row per synced ticker: name, date range, rows, shortened SHA-256, anomaly counts."""
    names = dict(zip(facts.universe()["ticker"], facts.universe()["name"]))
    rows = [{"ticker": ticker, "name": names.get(ticker, ""), "first": e["first"],
             "last": e["last"], "rows": e["rows"], "sha256": e["sha256"][:SHA_DIGITS],
             "anomalies": _anomalies(e.get("anomalies", {}))}
            for ticker, e in sorted(manifest["tickers"].items())]
    return pd.DataFrame(rows)


def conventions(manifest: dict) -> pd.DataFrame:
    """Each close convention in the data and the tickers that follow it."""
    table = pd.DataFrame([(e["close_convention"], t) for t, e in manifest["tickers"].items()],
                         columns=["close convention", "tickers"])
    grouped = table.groupby("close convention", sort=True)["tickers"]
    return grouped.apply(lambda s: ", ".join(sorted(s))).reset_index()


def markdown_table(frame: pd.DataFrame) -> str:
    """A MyST (GitHub-style) pipe table; `|` in cells is escaped."""
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")
    header = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def texts(manifest: dict | None = None) -> dict[str, str]:
    """Everything the about page glues, keyed by glue key. The times of the build and of the
    sync are the edition stamp, from the `{deepshock-built}` and `{deepshock-synced}` roles of
    deepshock.book.site: the page need not re-execute for them, and its notebook is the same in
    every build of the same data."""
    manifest = manifest or read_manifest()
    table = data_table(manifest)
    flagged = int((table["anomalies"] != "none").sum())
    return {
        "about_source": manifest["source"],
        "about_n_tickers": str(len(table)),
        "about_n_rows": f"{int(table['rows'].sum()):,}",
        "about_first": min(table["first"]),
        "about_last": max(table["last"]),
        "about_n_flagged": str(flagged),
        "about_versions": markdown_table(versions()),
        "about_data": markdown_table(table),
        "about_conventions": markdown_table(conventions(manifest)),
    }
