"""Benchmark the book's build and its pages against the performance budgets (`make bench`).

Everything runs in a copy of the repository (with its own package, via PYTHONPATH) in a
temporary directory, against its own price cache synced there from the snapshot as `make data`
does; nothing of the project's `_build/`, `.cache/` or the snapshot is written. Each timing is
repeated (`--repeat`, default 3) and the median reported. Scenarios, all
`python -m deepshock.book.build <builder> --root <copy>` wall times:

- cold: the whole HTML site from nothing, as on a fresh clone: empty `_build/` and an empty
  artefact store (exchange calendars, placebo rows, chart images: `paths.artefacts_dir`);
- clean: the same with the artefact store the cold build left, as after `make clean` (which
  removes `_build/` only; the store's files are named by hashes of their inputs);
- floor: the same table of contents with every page reduced to its title and one code cell with
  the imports its code cells make (what no build can avoid), built the same way; clean/floor;
- no-change rebuild, and the same preceded by a re-sync of the snapshot (what `make book` does);
  prose edit (one new line of prose in one chapter); data change (the price
  cache swapped for a re-synced copy of the snapshot in which one ticker's file differs: the last
  row's volume + 1, a bench artefact that never leaves the temporary directory); the PDF build.

Which chapters re-executed comes from `_build/deps/last-build.json` (the build driver's report)
and from myst-nb's "Executing notebook" log lines. Pages: HTML size plus page-specific images,
inline chart specs and data (the shared vega bundle excluded). Chart drawing: headless Chromium
driven over the DevTools protocol (`--remote-debugging-pipe`); a probe injected before any page
script (Page.addScriptToEvaluateOnNewDocument) records `performance.now()` (milliseconds since
navigation start) as soon as every `.deepshock-chart` holds SVG marks (`.mark-*`); each load uses
a fresh browser context.

Usage: python bench/run.py [--repeat N] [--keep] [--no-pdf] [--no-browser]
       python bench/run.py --profile chapters/<name>.md   (where one chapter's time goes)
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import fcntl
import json
import os
import platform
import resource
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deepshock.book import deps  # noqa: E402
from deepshock.data.paths import cache_dir, default_snapshot, ticker_file  # noqa: E402

BUDGET = {"clean_over_floor": 1.3, "cold_over_floor": 1.6, "noop_s": 5.0, "test_s": 300.0, "page_kb": 400, "draw_s": 1.5,
          "panel_validate_s": 2.0, "panel_load_s": 0.5}
IGNORE = shutil.ignore_patterns(".venv", "_build", ".cache", ".git", "bench", "__pycache__",
                                ".pytest_cache", ".hypothesis", "*.egg-info")
PROBE = """window.deepshockEager=true;(function(){var done=false;function check(){if(done||document.readyState==='loading')
return;var c=document.querySelectorAll('.deepshock-chart'),drawn=0,failed=0;
for(var i=0;i<c.length;i++){if(c[i].querySelector('svg [class^="mark-"],svg [class*=" mark-"]'))
drawn++;else if(c[i].classList.contains('chart-error'))failed++;}if(drawn+failed<c.length)return;
done=true;window.__deepshockBench={ms:performance.now(),charts:c.length,failed:failed};}
new MutationObserver(check).observe(document,{childList:true,subtree:true,attributes:true,
attributeFilter:['class']});document.addEventListener('DOMContentLoaded',check);
window.addEventListener('load',check);})();"""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---- builds ------------------------------------------------------------------------------

class Builder:
    def __init__(self, work: Path):
        self.work, self.count = work, 0

    def run(self, root: Path, builder: str, cache: Path, fatal: bool = True) -> dict:
        """One timed build of the copy at `root` with its own package (PYTHONPATH, cwd) and
        `cache`; returns seconds and the chapters it executed. A failed build stops the bench
        unless not `fatal` (then its result says failed)."""
        self.count += 1
        logfile = self.work / f"build-{self.count:02d}-{root.name}-{builder}.log"
        start, cpu = time.perf_counter(), children_cpu()
        with logfile.open("w") as out:
            code = subprocess.call([sys.executable, "-m", "deepshock.book.build", builder, "--root",
                                    str(root)], cwd=root, env=copy_env(root, cache), stdout=out,
                                   stderr=subprocess.STDOUT)
        seconds, cpu = time.perf_counter() - start, children_cpu() - cpu
        text = logfile.read_text(errors="replace")
        if code != 0:
            log(text[-3000:])
            if fatal:
                raise SystemExit(f"build failed ({builder}, {root}); log: {logfile}")
            log(f"  {root.name} {builder}: FAILED after {seconds:.1f} s; log: {logfile}")
            return {"seconds": round(seconds, 2), "cpu_s": round(cpu, 2), "failed": True,
                    "executed": [],
                    "dropped_all": False, "chapter_seconds": {}, "log": logfile.name}
        report = json.loads((root / "_build" / "deps" / "last-build.json").read_text())
        fallback = sorted({_rel(m, root) for m in re.findall(r"(\S+): Executing notebook", text)})
        executed = sorted({e["chapter"] for e in report["executed"]} | set(fallback))
        log(f"  {root.name} {builder}: {seconds:.1f} s ({cpu:.1f} s CPU), executed {len(executed)}"
            + (f" ({report['invalidated']['*'][0]})" if report["dropped_all"] else ""))
        return {"seconds": round(seconds, 2), "cpu_s": round(cpu, 2), "failed": False,
                "executed": executed,
                "dropped_all": report["dropped_all"], "chapter_seconds": {
                    e["chapter"]: e["seconds"] for e in report["executed"]}, "log": logfile.name}


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process of the bench and their own
    children (the build driver, its kernels, Sphinx, LaTeX): what a build costs whatever else
    the machine runs, unlike its wall time."""
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def copy_env(root: Path, cache: Path) -> dict[str, str]:
    """Environment for commands on a copy: its own package first, its root, the given cache,
    and the artefact store beside the cache (as `paths.artefacts_dir` puts it)."""
    return {**os.environ, "PYTHONPATH": str(root), "DEEPSHOCK_ROOT": str(root),
            "DEEPSHOCK_CACHE": str(cache), "DEEPSHOCK_ARTEFACTS": str(artefacts(cache))}


def artefacts(cache: Path) -> Path:
    """The artefact store of a bench cache (one per bench, shared by its caches)."""
    return cache.parent.parent / "artefacts"


def _rel(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path


def median(runs: list[dict], field: str = "seconds") -> float:
    return round(statistics.median(r[field] for r in runs), 2)


# ---- the test suite ----------------------------------------------------------------------

def make_test_args(root: Path) -> list[str]:
    """The Makefile's TEST_ARGS: how `make test` runs pytest (on every core)."""
    found = re.search(r"^TEST_ARGS \?= (.*)$", (root / "Makefile").read_text(), re.M)
    return found.group(1).split() if found else []


def test_suite(root: Path, cache: Path, work: Path) -> dict:
    """`make test` (`python -m pytest` with the project's options) in the copy at `root`, after
    its builds: wall and CPU seconds, the outcome line and the slowest tests."""
    logfile = work / "make-test.log"
    env = {**copy_env(root, cache), "MARKET_DATA": str(snapshot_dir() or cache.resolve())}
    start, cpu, load = time.perf_counter(), children_cpu(), os.getloadavg()
    with logfile.open("w") as out:
        code = subprocess.call([sys.executable, "-m", "pytest", *make_test_args(root),
                                "-p", "no:cacheprovider", "--durations=15"], cwd=root,
                               env=env, stdout=out,
                               stderr=subprocess.STDOUT)
    seconds, cpu = time.perf_counter() - start, children_cpu() - cpu
    text = logfile.read_text(errors="replace")
    outcome = re.findall(r"^=+ (.*\d+ (?:passed|failed).*) =+$", text, re.M)
    slowest = re.findall(r"^(\d+\.\d+)s (setup|call|teardown)\s+(.+)$", text, re.M)
    log(f"  make test: {seconds:.0f} s ({cpu:.0f} s CPU), exit {code}: "
        f"{outcome[-1] if outcome else 'no summary'}")
    return {"seconds": round(seconds, 1), "cpu_s": round(cpu, 1), "exit": code,
            "outcome": outcome[-1] if outcome else None, "load_before": load,
            "slowest": [{"s": float(s), "when": w, "test": t} for s, w, t in slowest],
            "log": logfile.name}


# ---- the floor book ----------------------------------------------------------------------

def imports_of(sources: list[str]) -> list[str]:
    """The import statements of a chapter's code cells (top level), in order, without repeats."""
    lines: list[str] = []
    for source in sources:
        code = "\n".join(ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                text = ast.unparse(node)
                if text not in lines:
                    lines.append(text)
    return lines


def make_floor(root: Path) -> None:
    """Reduce every page of the copy at `root` to its title (+ one cell of its imports)."""
    config = deps.ExecConfig.read(root)
    notebooks = set(deps.notebooks(root))
    for path in deps.sources(root):
        text = path.read_text(encoding="utf-8")
        title = re.search(r"^# (.+)$", text, re.M)
        title = title.group(1).strip() if title else path.stem
        if path in notebooks:
            nb = deps.read_notebook(path, config.extensions)
            cells = [c.source for c in nb.cells if c.cell_type == "code"]
            front = re.match(r"^---\n.*?\n---\n", text, re.S)
            body = (f"{front.group(0) if front else ''}\n# {title}\n\n```{{code-cell}} ipython3\n"
                    f":tags: [remove-cell]\n\n" + "\n".join(imports_of(cells)) + "\n```\n")
        else:
            toc = "\n```{tableofcontents}\n```\n" if "{tableofcontents}" in text else ""
            body = f"# {title}\n{toc}"
        path.write_text(body, encoding="utf-8")


# ---- the data change ---------------------------------------------------------------------

def sync(root: Path, snapshot: Path, target: Path) -> Path:
    """`make data` for the copy at `root`: sync `snapshot` into the cache `target`."""
    subprocess.run([sys.executable, "-m", "deepshock.data.cli", "--snapshot", str(snapshot)],
                   cwd=root, env=copy_env(root, target), check=True, stdout=subprocess.DEVNULL)
    return target


def base_cache(work: Path, root: Path) -> Path:
    """The bench's own synced cache: the snapshot synced afresh (as `make data` does), or a copy
    of the project's synced cache when there is no snapshot."""
    if snapshot_dir():
        return sync(root, snapshot_dir(), work / "cache-a" / "market-data")
    target = work / "cache-a" / "market-data"
    shutil.copytree(cache_dir().resolve(), target)
    return target


def modified_cache(work: Path, root: Path, base: Path, ticker: str) -> Path:
    """A re-synced cache (inside `work`) whose only difference from `base` is one ticker's last
    volume."""
    snapshot = snapshot_dir() or cache_dir().resolve()
    copy = work / "snapshot-bench-artefact"
    shutil.copytree(snapshot, copy)
    (copy / "BENCH-ARTEFACT.txt").write_text(
        f"Benchmark copy: the last row's volume of {ticker} is +1. Never publish.\n")
    path = copy / "prices" / ticker_file(ticker)
    lines = path.read_text().splitlines()
    head, last = lines[0].split(","), lines[-1].split(",")
    col = head.index("volume")
    last[col] = str(int(float(last[col])) + 1)
    path.write_text("\n".join(lines[:-1] + [",".join(last)]) + "\n")
    target = sync(root, copy, work / "cache-b" / "market-data")
    a = json.loads((base / "manifest.json").read_text())["tickers"]
    b = json.loads((target / "manifest.json").read_text())["tickers"]
    differ = [t for t in a if a[t]["sha256"] != b.get(t, {}).get("sha256")]
    if differ != [ticker]:
        raise SystemExit(f"modified cache differs in {differ}, expected only {ticker}")
    return target


def dependents(root: Path) -> dict[str, set[str]]:
    """Price file (or "manifest", "all data") -> chapters whose cache record read it, from the
    dependency records of the last build."""
    out: dict[str, set[str]] = {}
    for path in (deps.deps_dir(root) / "records").glob("*.json"):
        info = json.loads(path.read_text())
        for key in info["inputs"]:
            name = (key.split("/", 1)[1] if key.startswith("file:cache:prices/") else
                    "manifest" if key.startswith("manifest:") else
                    "all data" if key.startswith("all:") else None)
            if name:
                out.setdefault(name, set()).add(info["chapter"])
    return out


def forced(root: Path) -> list[str]:
    """Notebooks myst-nb executes in every build by their own choice (execution_mode force)."""
    config = deps.ExecConfig.read(root)
    return sorted(p.relative_to(root).as_posix() for p in deps.notebooks(root)
                  if deps.mode(deps.read_notebook(p, config.extensions), config) != "cache")


def snapshot_dir() -> Path | None:
    """The snapshot `make data` syncs from ($MARKET_DATA or ../shared/market-data)."""
    found = os.environ.get("MARKET_DATA") or default_snapshot()
    return Path(found) if found else None


def panel_times(cache: Path, repeat: int) -> dict:
    """Seconds to validate the cross-section panel (`panel.check` on the cached files, as the
    sync does) and to load it cold (`load.panel_returns`, the loader's cache cleared) and warm;
    medians of `repeat` runs, in this process."""
    import pandas as pd

    from deepshock.data import load, panel

    if not (cache / "panel" / panel.CLOSES).is_file():
        return {"measured": False, "reason": f"no panel in {cache}"}
    entry = json.loads((cache / "manifest.json").read_text())["panel"]
    validate, cold, warm = [], [], []
    for _ in range(repeat):
        start = time.perf_counter()
        panel.check(cache / "panel" / panel.CLOSES, cache / "panel" / panel.MEMBERS,
                    end=pd.Timestamp(entry["last"]))
        validate.append(time.perf_counter() - start)
        load._panel.cache_clear()
        load._panel_returns.cache_clear()
        start = time.perf_counter()
        shape = load.panel_returns(root=cache).shape
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        load.panel_returns(root=cache)
        warm.append(time.perf_counter() - start)
    mid = statistics.median
    return {"measured": True, "shape": list(shape), "validate_s": round(mid(validate), 3),
            "load_cold_s": round(mid(cold), 3), "load_warm_s": round(mid(warm), 4)}


def pick_ticker(root: Path, cache: Path) -> str:
    """The ticker read by the fewest chapters (at least one), to show selective re-execution."""
    manifest = json.loads((cache / "manifest.json").read_text())["tickers"]
    by_file = {e["file"]: t for t, e in manifest.items()}
    users = dependents(root)
    ranked = sorted((len(users[f]), by_file[f]) for f in users if f in by_file)
    return ranked[0][1] if ranked else sorted(manifest)[0]


# ---- pages -------------------------------------------------------------------------------

SPEC = re.compile(r"var spec=(\{.*?\});function draw\(\)", re.S)


def page_sizes(html_root: Path, docnames: list[str]) -> list[dict]:
    pages = []
    for doc in docnames:
        path = html_root / f"{doc}.html"
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        specs = SPEC.findall(text)
        images = sum((path.parent / src).stat().st_size
                     for src in set(re.findall(r'<img[^>]+src="([^"]+)"', text))
                     if not src.startswith(("http:", "https:", "data:"))
                     and (path.parent / src).is_file())
        largest, title = 0, ""
        for raw in specs:
            if len(raw) > largest:
                largest = len(raw)
                spec = json.loads(raw.replace("<\\/", "</"))
                spec = spec["wide"][0] if "wide" in spec else spec   # compiled (book.vega)
                t = spec.get("title", {})
                title = t.get("text", "") if isinstance(t, dict) else str(t)
        total = len(text.encode()) + images
        pages.append({"page": doc, "html_kb": round(len(text.encode()) / 1024, 1),
                      "images_kb": round(images / 1024, 1), "charts": len(specs),
                      "charts_kb": round(sum(len(s) for s in specs) / 1024, 1),
                      "largest_chart_kb": round(largest / 1024, 1), "largest_chart": title[:60],
                      "total_kb": round(total / 1024, 1),
                      "size_ok": total <= BUDGET["page_kb"] * 1024})
    return pages


class Chrome:
    """Headless Chromium over the DevTools protocol on a pipe (fds 3 and 4 of the browser)."""

    def __init__(self, binary: str, profile: Path):
        cmd_r, self.cmd_w = os.pipe()
        self.out_r, out_w = os.pipe()
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (cmd_r, out_w)]

        def wire() -> None:  # in the child: its fd 3 reads commands, fd 4 writes replies
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--window-size=1280,1000", "about:blank"],
            preexec_fn=wire, close_fds=False, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        for fd in (cmd_r, out_w, *high):
            os.close(fd)
        self.buffer, self.next_id = b"", 0

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.cmd_w, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.next_id:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply["result"]
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.out_r], [], [], left)[0]:
                raise TimeoutError(method)
            chunk = os.read(self.out_r, 1 << 16)
            if not chunk:
                raise RuntimeError("browser closed the pipe")
            self.buffer += chunk

    def draw_ms(self, url: str, timeout: float = 20) -> dict:
        """Load `url` in a fresh context; return the probe's record (ms since navigation)."""
        context = self.send("Target.createBrowserContext")["browserContextId"]
        target = self.send("Target.createTarget", {"url": "about:blank",
                                                   "browserContextId": context})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target,
                                                      "flatten": True})["sessionId"]
        try:
            self.send("Page.enable", session=session)
            self.send("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE}, session)
            self.send("Page.navigate", {"url": url}, session)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                value = self.send("Runtime.evaluate", {
                    "expression": "JSON.stringify(window.__deepshockBench||null)",
                    "returnByValue": True}, session)["result"].get("value")
                if value and value != "null":
                    return json.loads(value)
                time.sleep(0.05)
            return {"ms": None, "charts": None, "failed": None}
        finally:
            self.send("Target.closeTarget", {"targetId": target})
            self.send("Target.disposeBrowserContext", {"browserContextId": context})

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self.cmd_w)
        os.close(self.out_r)


def draw_times(html_root: Path, pages: list[dict], repeat: int, work: Path) -> str:
    binary = next((b for b in ("chromium", "chromium-browser", "google-chrome")
                   if shutil.which(b)), None)
    if binary is None:
        return "no Chromium found: chart drawing not measured"
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    chrome = Chrome(binary, work / "chrome-profile")
    try:
        for page in pages:
            url = (html_root / f"{page['page']}.html").as_uri()
            runs = [chrome.draw_ms(url) for _ in range(repeat)]
            ms = [r["ms"] for r in runs if r["ms"] is not None]
            page["draw_ms_runs"] = [None if r["ms"] is None else round(r["ms"]) for r in runs]
            page["draw_ms"] = round(statistics.median(ms)) if len(ms) == len(runs) else None
            page["charts_failed"] = max((r["failed"] or 0) for r in runs)
            page["draw_ok"] = (page["charts"] == 0 or (
                page["draw_ms"] is not None and page["charts_failed"] == 0
                and page["draw_ms"] <= BUDGET["draw_s"] * 1000))
            log(f"  {page['page']}: charts drawn at {page['draw_ms_runs']} ms")
    finally:
        chrome.close()
    return version


# ---- profile -----------------------------------------------------------------------------

def profile(chapter: str) -> int:
    """Run a chapter's code cells as one script under pyinstrument (in the chapter's directory,
    as the kernel would) and print where its time goes."""
    path = (ROOT / chapter).resolve()
    nb = deps.read_notebook(path, deps.ExecConfig.read(ROOT).extensions)
    script = Path(tempfile.mkdtemp(prefix="deepshock-profile-")) / f"{path.stem}.py"
    script.write_text("\n\n".join(c.source for c in nb.cells if c.cell_type == "code"))
    pyinstrument = Path(sys.executable).with_name("pyinstrument")
    env = {**os.environ, "DEEPSHOCK_ROOT": str(ROOT), "DEEPSHOCK_CACHE": str(cache_dir())}
    code = subprocess.call([str(pyinstrument), "-r", "text", str(script)], cwd=path.parent,
                           env=env)
    shutil.rmtree(script.parent, ignore_errors=True)
    return code


# ---- report ------------------------------------------------------------------------------

def table(rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (median)")
    parser.add_argument("--ticker", help="ticker to change in the data scenario (default: the "
                        "one read by the fewest chapters)")
    parser.add_argument("--chapter", help="chapter for the prose edit (default: the first "
                        "notebook in the table of contents)")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF build")
    parser.add_argument("--no-browser", action="store_true", help="skip chart drawing times")
    parser.add_argument("--no-test", action="store_true", help="skip timing `make test`")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--toc", type=Path, help="use this _toc.yml in the copy (e.g. to bench "
                        "chapters not yet in the book's table of contents)")
    parser.add_argument("--panel-only", action="store_true", help="only time the panel's "
                        "validation and loading from the project's cache, then stop")
    parser.add_argument("--profile", metavar="CHAPTER", help="only profile one chapter's code "
                        "(e.g. chapters/nvidia.md) with pyinstrument")
    args = parser.parse_args(argv)
    if args.profile:
        return profile(args.profile)
    n = max(1, args.repeat)
    if args.panel_only:
        print(json.dumps(panel_times(cache_dir().resolve(), n), indent=1))
        return 0

    work = Path(tempfile.mkdtemp(prefix="deepshock-bench-"))
    log(f"bench in {work} (repeat {n})")
    book, floor = work / "book", work / "floor"
    shutil.copytree(ROOT, book, ignore=IGNORE)
    shutil.copytree(ROOT, floor, ignore=IGNORE)
    if args.toc:
        for root in (book, floor):
            shutil.copy(args.toc, root / "_toc.yml")
    make_floor(floor)
    cache_a = base_cache(work, book)
    log("panel: validate and load")
    result_panel = panel_times(cache_a, n)
    builds = Builder(work)
    load_before = os.getloadavg()
    result: dict = {"scenarios": {}}
    sc = result["scenarios"]

    log("cold build (empty _build/ and artefact store: a fresh clone), clean build (empty "
        "_build/, as after `make clean`) and floor, interleaved")
    sc["cold"], sc["clean"], sc["floor"] = [], [], []
    for _ in range(n):
        for root, name in ((book, "cold"), (book, "clean"), (floor, "floor")):
            shutil.rmtree(root / "_build", ignore_errors=True)
            if name == "cold":
                shutil.rmtree(artefacts(cache_a), ignore_errors=True)
            sc[name].append(builds.run(root, "html", cache_a))

    log("no-change rebuild")
    sc["noop"] = [builds.run(book, "html", cache_a) for _ in range(n)]
    if snapshot_dir():
        log("no-change `make book`: sync the snapshot again, then build")
        sc["noop_make"] = []
        for _ in range(n):
            start = time.perf_counter()
            sync(book, snapshot_dir(), cache_a)
            run = builds.run(book, "html", cache_a)
            run["sync_seconds"] = round(time.perf_counter() - start - run["seconds"], 2)
            run["seconds"] = round(run["seconds"] + run["sync_seconds"], 2)
            sc["noop_make"].append(run)

    chapters = [p for p in deps.notebooks(book) if p != deps.sources(book)[0]]
    chapter = book / args.chapter if args.chapter else (chapters or deps.notebooks(book))[0]
    chapter = chapter if chapter.suffix else chapter.with_suffix(".md")
    log(f"prose edit in {chapter.relative_to(book)}")
    sc["prose"] = []
    for i in range(n):
        text = chapter.read_text(encoding="utf-8")
        text = re.sub(r"^(# .+)$", rf"\1\n\nBench prose edit {i + 1}: a sentence that exists only "
                      "in the benchmark copy.", text, count=1, flags=re.M)
        chapter.write_text(text, encoding="utf-8")
        sc["prose"].append(builds.run(book, "html", cache_a))

    ticker = args.ticker or pick_ticker(book, cache_a)
    users = dependents(book)
    readers = sorted(users.get(ticker_file(ticker), set()))
    expected = sorted(set(readers) | users.get("manifest", set()) | users.get("all data", set()))
    log(f"data change: {ticker} (its file read by {readers or 'no chapter'}; the whole manifest "
        f"by {sorted(users.get('manifest', set())) or 'none'})")
    cache_b = modified_cache(work, book, cache_a, ticker)
    sc["data"] = [builds.run(book, "html", (cache_b, cache_a)[i % 2]) for i in range(n)]
    final_cache = (cache_b, cache_a)[(n - 1) % 2]

    docnames = [p.relative_to(book).with_suffix("").as_posix() for p in deps.sources(book)]
    pages = page_sizes(book / "_build" / "html", docnames)
    browser = "skipped"
    if not args.no_browser:
        log("chart drawing in headless Chromium")
        browser = draw_times(book / "_build" / "html", pages, n, work)
    web = None  # first-visit transfer and Lighthouse (bench/web.py)
    if not args.no_browser:
        log("first visits (compressed transfer) and Lighthouse, mobile")
        import web as web_bench
        web = web_bench.measure(book / "_build" / "html")

    if not args.no_pdf:
        log("PDF build")
        sc["pdf"] = [builds.run(book, "pdflatex", final_cache, fatal=False) for _ in range(n)]

    suite = None
    if not args.no_test:
        log("make test (the whole suite, in the copy, against the snapshot's cache)")
        suite = test_suite(book, cache_a, work)

    # ---- budgets
    med = {k: median(v) for k, v in sc.items()}
    cpu = {k: median(v, "cpu_s") for k, v in sc.items()}
    always = forced(book)
    n_notebooks = len(deps.notebooks(book)) - len(always)
    ratio = med["clean"] / med["floor"]
    cold_ratio = med["cold"] / med["floor"]
    cpu_ratio = {k: cpu[k] / cpu["floor"] if cpu["floor"] else float("nan")
                 for k in ("clean", "cold")}
    prose_exec = sorted({c for r in sc["prose"] for c in r["executed"]} - set(always))
    data_exec = [[c for c in r["executed"] if c not in always] for r in sc["data"]]
    invalid = [k for k, v in sc.items() if k not in ("cold", "clean", "floor")
               and any(r["dropped_all"] for r in v)]
    data_ok = all(e == expected for e in data_exec) or all(
        len(e) == n_notebooks for e in data_exec)
    budgets = [
        ["clean build / floor", f"{ratio:.2f}x ({med['clean']:.1f} s / {med['floor']:.1f} s)",
         f"<= {BUDGET['clean_over_floor']}x", verdict(ratio <= BUDGET["clean_over_floor"])],
        ["cold build / floor (fresh clone)", f"{cold_ratio:.2f}x ({med['cold']:.1f} s / "
         f"{med['floor']:.1f} s)", f"<= {BUDGET['cold_over_floor']}x",
         verdict(cold_ratio <= BUDGET["cold_over_floor"])],
        ["  the same in CPU time (load-proof)", f"clean {cpu_ratio['clean']:.2f}x, cold "
         f"{cpu_ratio['cold']:.2f}x ({cpu['clean']:.1f} / {cpu['cold']:.1f} / {cpu['floor']:.1f} "
         "s CPU)", "(reported)", "n/a"],
        ["no-change rebuild", f"{med['noop']:.1f} s", f"<= {BUDGET['noop_s']:.0f} s",
         verdict(med["noop"] <= BUDGET["noop_s"])],
        *([["no-change `make book` (sync+build)", f"{med['noop_make']:.1f} s (sync "
            f"{statistics.median(r['sync_seconds'] for r in sc['noop_make']):.1f} s)",
            f"<= {BUDGET['noop_s']:.0f} s", verdict(med["noop_make"] <= BUDGET["noop_s"])]]
          if "noop_make" in med else []),
        ["prose-edit rebuild", f"{med['prose']:.1f} s, re-executed {prose_exec or 'nothing'}",
         "re-executes nothing", verdict(not prose_exec)],
        ["data-change rebuild", f"{med['data']:.1f} s, re-executed {data_exec[0]} "
         f"(dependents of {ticker}: {expected})", "only dependents", verdict(data_ok)],
        ["chapters executed in every build", ", ".join(always) or "none",
         "(execution_mode force: excluded above)", "n/a"],
        ["page size (max)", f"{max((p['total_kb'] for p in pages), default=0):.0f} KB",
         f"<= {BUDGET['page_kb']} KB", verdict(all(p["size_ok"] for p in pages))],
        ["charts drawn (max)", "not measured" if args.no_browser or "no Chromium" in browser
         else f"{max((p.get('draw_ms') or 0 for p in pages), default=0)} ms",
         f"<= {BUDGET['draw_s'] * 1000:.0f} ms",
         verdict(None if args.no_browser or "no Chromium" in browser
                 else all(p.get("draw_ok") for p in pages))],
    ]
    if result_panel["measured"]:
        budgets += [
            ["panel validate", f"{result_panel['validate_s']:.2f} s "
             f"({result_panel['shape'][1]} tickers)", f"<= {BUDGET['panel_validate_s']:.1f} s",
             verdict(result_panel["validate_s"] <= BUDGET["panel_validate_s"])],
            ["panel load (cold / warm)", f"{result_panel['load_cold_s']:.3f} s / "
             f"{result_panel['load_warm_s']:.4f} s", f"<= {BUDGET['panel_load_s']:.1f} s cold",
             verdict(result_panel["load_cold_s"] <= BUDGET["panel_load_s"])]]
    budgets += web["budgets"] if web else []
    if suite:
        budgets.append(["make test", f"{suite['seconds']:.0f} s ({suite['cpu_s']:.0f} "
                        f"s CPU): {suite['outcome']}", f"<= {BUDGET['test_s']:.0f} s",
                        verdict(suite["exit"] == 0 and suite["seconds"] <= BUDGET["test_s"])])
    if "pdf" in med:
        failed = any(r["failed"] for r in sc["pdf"])
        budgets.append(["PDF build (warm cache)", "FAILED (see log)" if failed
                        else f"{med['pdf']:.1f} s", "builds", verdict(not failed)])
    result.update({
        "when": dt.datetime.now().isoformat(timespec="seconds"), "repeat": n,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "browser": browser,
                    "load_before": load_before, "load_after": os.getloadavg()},
        "commit": subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                                 capture_output=True, text=True).stdout.strip(),
        "medians_s": med, "medians_cpu_s": cpu, "make_test": suite, "data_ticker": ticker, "data_dependents": expected,
        "data_file_readers": readers, "forced_chapters": always,
        "prose_chapter": chapter.relative_to(book).as_posix(), "pages": pages,
        "budgets": [dict(zip(["budget", "measured", "limit", "verdict"], b)) for b in budgets],
        "invalid_scenarios": invalid, "workdir": str(work) if args.keep else None,
        "panel": result_panel, "web": web,
    })

    print(f"\nDeepSeek Shock bench: {n} run(s) each, median; {os.cpu_count()} CPUs, load "
          f"{load_before[0]:.2f} before / {os.getloadavg()[0]:.2f} after\n")
    rows = [["scenario", "median s", "median CPU s", "runs s", "re-executed (per run)"]]
    for name, runs in sc.items():
        rows.append([name, f"{med[name]:.1f}", f"{cpu[name]:.1f}",
                     " ".join(f"{r['seconds']:.1f}" for r in runs),
                     "; ".join(str(len(r["executed"])) if name in ("cold", "clean", "floor")
                               else (",".join(r["executed"]) or "-") for r in runs)])
    print(table(rows) + "\n")
    rows = [["page", "total KB", "html KB", "charts", "charts KB", "largest KB", "draw ms",
             "size", "draw"]]
    for p in pages:
        rows.append([p["page"], p["total_kb"], p["html_kb"], p["charts"], p["charts_kb"],
                     p["largest_chart_kb"], p.get("draw_ms", "-") if p["charts"] else "-",
                     verdict(p["size_ok"]), verdict(p.get("draw_ok"))])
    print(table(rows) + "\n")
    if web:
        print(web_bench.report(web).split("\n\n")[0] + "\n")
    print(table([["budget", "measured", "limit", "verdict"]] + budgets))
    if invalid:
        print(f"\nWARNING: package code changed during {invalid}: those rebuilds re-executed "
              "everything; rerun when nobody edits deepshock/.")
    for name in ("cold", "clean"):
        slow = sorted(((s, c) for r in sc[name] for c, s in r["chapter_seconds"].items()),
                      reverse=True)
        if slow:
            print(f"\nslowest chapter executions ({name} builds): "
                  + ", ".join(f"{c} {s:.1f} s" for s, c in slow[:5]))

    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=1, default=str))
    print(f"\nresults: {path}")
    if args.keep:
        print(f"work directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
