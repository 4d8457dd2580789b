"""What a reader's first visit costs: compressed transfer per page and Lighthouse's mobile scores.

The built site is served from 127.0.0.1 by a small server that compresses text responses as a
production web server would (brotli when the `brotli` module is installed, else gzip; images and
the PDF as they are). Each page is then

- loaded in a fresh Playwright context of Debian Chromium (empty cache: a first visit) at a
  phone's width (390 x 844 px): once without scrolling ("first screen"), once scrolled to the
  end so every lazily drawn chart is drawn ("scrolled", the measure called "read" before issue
  25), and once scrolled to the end with every chart touched, so a chart shown as its
  build-time picture (the explorer) goes live too ("read": every chart drawn live, the
  runtime and any data file it loads included); the transfer is the sum of the compressed
  bodies and headers of every response; budgets: first screen <= 240 KB, read <= 500 KB;
- audited by Lighthouse (npm `lighthouse@12.2.3`, installed on first use under
  `.cache/lighthouse/`, run with Node and the Debian Chromium through CHROME_PATH, mobile
  profile: simulated slow 4G and a 4x slower CPU), which reports performance, accessibility,
  best practices and SEO.

Every request is checked to stay on this machine. A budget missed is reported as MISSED, never
dropped. Usage: python bench/web.py [SITE_DIR] [--no-lighthouse] [--pages a,b]
(SITE_DIR defaults to _build/html); bench/run.py calls `measure()` on its own build.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import mimetypes
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BUDGET = {"read_kb": 500, "first_screen_kb": 240, "performance": 90, "accessibility": 100,
          "best-practices": 100, "seo": 100,
          "explorer_kb": 600}  # the explorer page with its data file (chapters/explorer)
LIGHTHOUSE = "lighthouse@12.2.3"
LIGHTHOUSE_DIR = ROOT / ".cache" / "lighthouse"
CHROMIUM = os.environ.get("CHROME_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml",
                "application/xml")
try:  # optional: a production server would send brotli to Chromium
    import brotli  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the machine
    brotli = None


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---- a compressing static server ---------------------------------------------------------------

class Compressing(http.server.SimpleHTTPRequestHandler):
    """Static files, compressed (br or gzip, as the client accepts) when they are text."""

    encoded: dict = {}

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = Path(self.translate_path(unquote(urlsplit(self.path).path)))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            self.send_error(404)
            return
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        body = path.read_bytes()
        accept = self.headers.get("Accept-Encoding", "")
        encoding = None
        if kind.startswith(COMPRESSIBLE):
            if brotli is not None and "br" in accept:
                encoding = "br"
            elif "gzip" in accept:
                encoding = "gzip"
        if encoding:
            key = (str(path), path.stat().st_mtime, encoding)
            if key not in self.encoded:
                self.encoded[key] = (brotli.compress(body) if encoding == "br"
                                     else gzip.compress(body, compresslevel=9))
            body = self.encoded[key]
        self.send_response(200)
        self.send_header("Content-Type", kind + ("; charset=utf-8" if kind.startswith("text/")
                                                 else ""))
        self.send_header("Content-Length", str(len(body)))
        if encoding:
            self.send_header("Content-Encoding", encoding)
            self.send_header("Vary", "Accept-Encoding")
        self.send_header("Cache-Control", "max-age=3600")
        self.end_headers()
        self.wfile.write(body)


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # a browser closing a connection early is not a measurement


def serve(site: Path):
    server = Server(("127.0.0.1", 0), functools.partial(Compressing, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def page_names(site: Path) -> list[str]:
    """The site's pages (not theme templates, nor the root redirect)."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if not p.relative_to(site).parts[0].startswith(("_", "."))
                  and 'http-equiv="Refresh"' not in p.read_text(encoding="utf-8")[:2000])


# ---- transfer of a first visit -----------------------------------------------------------------

def first_visit(browser, url: str, scroll: bool, touch: bool = False) -> dict:
    """Compressed bytes moved by a first visit to `url` (fresh context, phone width), scrolled
    to the end or not, with every chart touched (made live) or not."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    try:
        page.goto(url, wait_until="load")
        if scroll:
            page.evaluate("""async () => {
              for (let y = 0; y < document.body.scrollHeight; y += 600) {
                window.scrollTo(0, y); await new Promise(r => setTimeout(r, 60)); }
              window.scrollTo(0, document.body.scrollHeight); }""")
            for chart in page.query_selector_all(".deepshock-chart") if touch else []:
                chart.scroll_into_view_if_needed()
                chart.hover()   # a chart shown as its picture goes live when touched
            try:
                page.wait_for_function("""() => Array.from(document.querySelectorAll(
                  '.deepshock-chart')).every(el => el.querySelector('svg') ||
                  el.classList.contains('chart-error'))""", timeout=20_000)
            except Exception:  # noqa: BLE001 - undrawn charts show in the browser tests
                pass
        page.wait_for_load_state("networkidle")
        total, files, foreign = 0, [], []
        for response in responses:
            host = urlsplit(response.url).hostname
            if urlsplit(response.url).scheme in ("data", "blob"):
                continue
            if host not in ("127.0.0.1", "localhost"):
                foreign.append(response.url)
            sizes = response.request.sizes()
            moved = sizes["responseBodySize"] + sizes["responseHeadersSize"]
            total += moved
            files.append((moved, urlsplit(response.url).path))
    finally:
        context.close()
    files.sort(reverse=True)
    return {"kb": round(total / 1024, 1), "requests": len(files), "foreign": foreign,
            "largest": [f"{path.rsplit('/', 1)[-1]} {size / 1024:.0f} KB"
                        for size, path in files[:3]]}


# ---- Lighthouse --------------------------------------------------------------------------------

def lighthouse_cli() -> Path | None:
    """Lighthouse's CLI, installed from the npm registry on first use; None without Node/npm."""
    cli = LIGHTHOUSE_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"
    if cli.is_file():
        return cli
    if not (shutil.which("node") and shutil.which("npm")):
        return None
    LIGHTHOUSE_DIR.mkdir(parents=True, exist_ok=True)
    log(f"installing {LIGHTHOUSE} into {LIGHTHOUSE_DIR}")
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix",
                           str(LIGHTHOUSE_DIR), LIGHTHOUSE], capture_output=True, text=True)
    if done.returncode != 0 or not cli.is_file():
        log(f"npm install {LIGHTHOUSE} failed: {done.stderr[-500:]}")
        return None
    return cli


def lighthouse(cli: Path, url: str, work: Path) -> dict:
    """Lighthouse's four category scores (0-100) for `url`, mobile profile."""
    out = work / "lighthouse.json"
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    cmd = ["node", str(cli), url, "--quiet", "--output=json", f"--output-path={out}",
           "--only-categories=performance,accessibility,best-practices,seo",
           "--chrome-flags=--headless=new --no-sandbox --disable-gpu"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    if done.returncode != 0 or not out.is_file():
        return {"error": (done.stderr or done.stdout)[-300:]}
    report = json.loads(out.read_text())
    scores = {k: None if c["score"] is None else round(c["score"] * 100)
              for k, c in report["categories"].items()}
    audits = report["audits"]
    scores["metrics"] = {k: audits[k].get("displayValue") for k in
                         ("first-contentful-paint", "largest-contentful-paint",
                          "total-blocking-time", "cumulative-layout-shift", "speed-index")
                         if k in audits}
    failed = [a["id"] for a in audits.values() if a.get("score") is not None
              and a["score"] < 1 and a.get("scoreDisplayMode") in ("binary", "metricSavings")
              and a["id"] not in scores["metrics"]]
    scores["failed_audits"] = failed[:8]
    return scores


# ---- all pages ---------------------------------------------------------------------------------

def measure(site: Path, with_lighthouse: bool = True, only: list[str] | None = None) -> dict:
    """Page weight (and Lighthouse) for every page of `site`; see the module docstring."""
    from playwright.sync_api import sync_playwright

    names = [n for n in page_names(site) if not only or any(o in n for o in only)]
    server, base = serve(site)
    rows: list[dict] = []
    work = Path(tempfile.mkdtemp(prefix="deepshock-web-"))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                 args=["--no-sandbox", "--disable-gpu"])
            for name in names:
                load = first_visit(browser, f"{base}/{name}", scroll=False)
                scrolled = first_visit(browser, f"{base}/{name}", scroll=True)
                read = first_visit(browser, f"{base}/{name}", scroll=True, touch=True)
                rows.append({"page": name, "load_kb": load["kb"], "scrolled_kb": scrolled["kb"],
                             "read_kb": read["kb"], "requests": read["requests"],
                             "largest": read["largest"],
                             "foreign": sorted(set(load["foreign"] + scrolled["foreign"]
                                                   + read["foreign"]))})
                log(f"  {name}: first screen {load['kb']} KB, scrolled {scrolled['kb']} KB, "
                    f"read (every chart live) {read['kb']} KB")
            browser.close()
        cli = lighthouse_cli() if with_lighthouse else None
        lighthouse_note = ("skipped" if not with_lighthouse else
                           f"{LIGHTHOUSE}, mobile" if cli else "not available (no Node/npm)")
        if cli:
            for row in rows:
                row["lighthouse"] = lighthouse(cli, f"{base}/{row['page']}", work)
                log(f"  {row['page']}: lighthouse {row['lighthouse']}")
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    return {"compression": "br" if brotli else "gzip", "lighthouse": lighthouse_note,
            "pages": rows, "budgets": budgets(rows)}


def budgets(rows: list[dict]) -> list[list[str]]:
    """[budget, measured, limit, verdict] rows for the report (worst page counts)."""
    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else ("met" if ok else "MISSED")

    out = []
    if rows:
        worst = max(rows, key=lambda r: r["read_kb"])
        out.append(["page read to its end, compressed (max)",
                    f"{worst['read_kb']:.0f} KB ({worst['page']})",
                    f"<= {BUDGET['read_kb']} KB", verdict(worst["read_kb"] <= BUDGET["read_kb"])])
        worst = max(rows, key=lambda r: r["load_kb"])
        out.append(["first screen, compressed (max)",
                    f"{worst['load_kb']:.0f} KB ({worst['page']})",
                    f"<= {BUDGET['first_screen_kb']} KB",
                    verdict(worst["load_kb"] <= BUDGET["first_screen_kb"])])
        worst = max(rows, key=lambda r: r.get("scrolled_kb", r["read_kb"]))
        out.append(["scrolled to the end (the old 'read', reported)",
                    f"{worst.get('scrolled_kb', worst['read_kb']):.0f} KB ({worst['page']})",
                    "-", "n/a"])
        for row in (r for r in rows if r["page"] == "chapters/explorer.html"):
            out.append(["explorer read to its end (data file included)",
                        f"{row['read_kb']:.0f} KB",
                        f"<= {BUDGET['explorer_kb']} KB",
                        verdict(row["read_kb"] <= BUDGET["explorer_kb"])])
        foreign = sorted({u for r in rows for u in r["foreign"]})
        out.append(["third-party requests", str(len(foreign)) + (f" ({foreign[:3]})" if foreign
                                                                 else ""), "0",
                    verdict(not foreign)])
    scored = [r for r in rows if isinstance(r.get("lighthouse"), dict)
              and "error" not in r["lighthouse"]]
    for key in ("performance", "accessibility", "best-practices", "seo"):
        if not scored:
            out.append([f"Lighthouse {key} (min)", "not measured", f">= {BUDGET[key]}", "n/a"])
            continue
        worst = min(scored, key=lambda r: r["lighthouse"].get(key) or 0)
        score = worst["lighthouse"].get(key) or 0
        out.append([f"Lighthouse {key} (min)", f"{score} ({worst['page']})", f">= {BUDGET[key]}",
                    verdict(score >= BUDGET[key])])
    errors = [r["page"] for r in rows if isinstance(r.get("lighthouse"), dict)
              and "error" in r["lighthouse"]]
    if errors:
        out.append(["Lighthouse runs", f"failed on {errors}", "all pages", "MISSED"])
    return out


def table(rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(result: dict) -> str:
    """The per-page table and the budgets, as printed by `make bench`."""
    rows = [["page", "first screen KB", "scrolled KB", "read KB", "requests", "perf", "a11y",
             "best pr.", "seo", "LCP", "TBT"]]
    for p in result["pages"]:
        lh = p.get("lighthouse") or {}
        metrics = lh.get("metrics", {})
        rows.append([p["page"], f"{p['load_kb']:.0f}", f"{p.get('scrolled_kb', 0):.0f}",
                     f"{p['read_kb']:.0f}", p["requests"],
                     *(str(lh.get(k, "-")) for k in ("performance", "accessibility",
                                                     "best-practices", "seo")),
                     metrics.get("largest-contentful-paint", "-"),
                     metrics.get("total-blocking-time", "-")])
    head = (f"first visits at 390 px, {result['compression']}-compressed, served locally; "
            f"Lighthouse: {result['lighthouse']}")
    return head + "\n" + table(rows) + "\n\n" + table(
        [["budget", "measured", "limit", "verdict"]] + result["budgets"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--no-lighthouse", action="store_true")
    parser.add_argument("--pages", help="comma-separated substrings of the pages to measure")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args(argv)
    if not (args.site / "intro.html").is_file() and not list(args.site.glob("*.html")):
        parser.error(f"{args.site} holds no built site (make book)")
    result = measure(args.site, not args.no_lighthouse,
                     args.pages.split(",") if args.pages else None)
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
