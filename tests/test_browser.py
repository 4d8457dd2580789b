"""The built website works offline in a real browser.

A session fixture builds the real book once (the same strict build as `make book`), serves
`_build/html` on 127.0.0.1 and loads every page in headless Debian Chromium, driven over the
Chrome DevTools Protocol (a minimal standard-library WebSocket client below). Recorded per page:
every request the page makes, failed responses, console errors and uncaught exceptions, and the
state of every chart. Set DEEPSHOCK_SITE_ROOT to check another copy of the book.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
from itertools import combinations
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from deepshock.book.build import build

ROOT = Path(__file__).resolve().parent.parent
SITE_ROOT = Path(os.environ.get("DEEPSHOCK_SITE_ROOT", ROOT)).resolve()
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOCAL_SCHEMES = {"data", "blob", "about"}
MAX_PAGE_BYTES = 400_000
FAVICON = re.compile(r"//(127\.0\.0\.1|localhost):\d+/favicon\.ico\b")
CHART_WAIT = 20.0  # seconds a page may take to draw its charts before it is reported

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync",
                  "--disable-extensions", "--remote-debugging-port=0", "--remote-allow-origins=*"]

# What the page reports about its charts: drawn = an <svg> holding at least one data mark.
CHART_STATE = """JSON.stringify({
  ready: document.readyState,
  charts: Array.from(document.querySelectorAll('.deepshock-chart')).map(el => ({
    id: el.id,
    svg: !!el.querySelector('svg'),
    marks: el.querySelectorAll('svg .role-mark > *').length,
    error: el.classList.contains('chart-error') ? el.textContent : null})),
  errors: document.querySelectorAll('.chart-error').length})"""


# --- a minimal Chrome DevTools Protocol client (standard library only) -------------------------

class DevTools:
    """One WebSocket connection to Chromium's browser endpoint; flat sessions per page."""

    def __init__(self, ws_url: str):
        parts = urlsplit(ws_url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(f"DevTools handshake refused: {head[:200]!r}")
        self.next_id = 0
        self.events: list[dict] = []

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("DevTools connection closed")
            data += chunk
        return data

    def _frame(self) -> tuple[bool, int, bytes]:
        b0, b1 = self._read(2)
        size = b1 & 0x7F
        if size == 126:
            size = struct.unpack(">H", self._read(2))[0]
        elif size == 127:
            size = struct.unpack(">Q", self._read(8))[0]
        return bool(b0 & 0x80), b0 & 0x0F, self._read(size)

    def _message(self) -> dict:
        payload = b""
        while True:
            fin, opcode, data = self._frame()
            if opcode == 8:
                raise ConnectionError("DevTools connection closed")
            if opcode in (0, 1, 2):
                payload += data
                if fin:
                    return json.loads(payload)

    def call(self, method: str, session: str | None = None, **params) -> dict:
        """Send a command, keep the events that arrive meanwhile, return its result."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode()
        mask = os.urandom(4)
        size = len(data)
        head = bytes([0x81]) + (bytes([0x80 | size]) if size < 126 else
                                bytes([0x80 | 126]) + struct.pack(">H", size) if size < 65536 else
                                bytes([0x80 | 127]) + struct.pack(">Q", size))
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
        while True:
            reply = self._message()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def close(self) -> None:
        self.sock.close()


def visit(tools: DevTools, url: str) -> dict:
    """Load `url` in a fresh tab; return its requests, errors and chart state."""
    target = tools.call("Target.createTarget", url="about:blank")["targetId"]
    session = tools.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Network", "Runtime", "Log", "Page"):
        tools.call(f"{domain}.enable", session)
    tools.events.clear()
    tools.call("Page.navigate", session, url=url)
    deadline = time.monotonic() + CHART_WAIT
    while True:
        loaded = any(e.get("method") == "Page.loadEventFired" for e in tools.events)
        state = json.loads(tools.call("Runtime.evaluate", session, expression=CHART_STATE,
                                      returnByValue=True)["result"]["value"])
        settled = all(c["marks"] or c["error"] for c in state["charts"])
        if (loaded and settled) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    tools.call("Target.closeTarget", targetId=target)
    events = [e for e in tools.events if e.get("sessionId") == session]
    return {"url": url, "requests": _requests(events), "problems": _problems(events), **state}


def _requests(events: list[dict]) -> list[str]:
    return [e["params"]["request"]["url"] for e in events
            if e.get("method") == "Network.requestWillBeSent"]


def _problems(events: list[dict]) -> list[str]:
    """Console errors, uncaught exceptions, failed loads and HTTP errors (except the browser's
    own probe for /favicon.ico, which no page asks for)."""
    found = []
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if FAVICON.search(json.dumps(p)):
            continue
        if method == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
            found.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                for a in p["args"]))
        elif method == "Runtime.exceptionThrown":
            details = p["exceptionDetails"]
            found.append("exception: " + details.get("exception", {}).get(
                "description", details.get("text", "")))
        elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
            found.append(f"log: {p['entry']['text']} {p['entry'].get('url', '')}")
        elif method == "Network.loadingFailed" and not p.get("canceled"):
            found.append(f"load failed: {p.get('errorText')}")
        elif method == "Network.responseReceived" and p["response"]["status"] >= 400:
            found.append(f"HTTP {p['response']['status']}: {p['response']['url']}")
    return found


def external(urls: list[str]) -> list[str]:
    """Requests that would leave this machine (anything but loopback, data: and blob:)."""
    return [u for u in urls if urlsplit(u).scheme not in LOCAL_SCHEMES
            and urlsplit(u).hostname not in LOOPBACK]


# --- fixtures ----------------------------------------------------------------------------------

@functools.cache
def build_site() -> Path:
    """Build the book with the same strict build as `make book` (once per test run)."""
    code = build("html", root=SITE_ROOT)
    assert code == 0, f"strict build of {SITE_ROOT} failed with exit code {code}"
    return SITE_ROOT / "_build" / "html"


@pytest.fixture(scope="session")
def site() -> Path:
    """The built site, `_build/html` (other test modules import this fixture)."""
    return build_site()


def serve(directory: Path):
    """Serve `directory` on 127.0.0.1 from a free port in a thread; return (server, base URL)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass
    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium with DevTools; skipped when Chromium is not installed."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    profile = tempfile.mkdtemp(prefix="deepshock-chromium-")
    proc = subprocess.Popen([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            if found:
                break
        else:
            raise RuntimeError(f"chromium exited ({proc.wait()}) without a DevTools endpoint")
        threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep the pipe drained
        tools = DevTools(found.group(1))
        yield tools
        tools.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(profile, ignore_errors=True)


def pages(html: Path) -> list[Path]:
    """Every page of the site (not the theme's templates under `_static`, `_sources`, ...)."""
    return sorted(p for p in html.rglob("*.html")
                  if not p.relative_to(html).parts[0].startswith(("_", ".")))


@pytest.fixture(scope="session")
def visits(site, browser) -> list[dict]:
    """Load every page once; also written to `_build/browser-report.json` for CI logs."""
    server, base = serve(site)
    try:
        seen = [visit(browser, f"{base}/{page.relative_to(site).as_posix()}")
                for page in pages(site)]
    finally:
        server.shutdown()
    (site.parent / "browser-report.json").write_text(json.dumps(seen, indent=1))
    return seen


# --- the harness itself can fail -----------------------------------------------------------------

def test_harness_records_foreign_requests_and_errors(browser, tmp_path):
    (tmp_path / "index.html").write_text(
        '<html><body><img src="http://127.0.0.2:9/canary.png">'
        '<div class="deepshock-chart chart-error" id="c">Chart could not be drawn: canary</div>'
        '<script>console.error("canary error"); missingFunction();</script></body></html>')
    server, base = serve(tmp_path)
    try:
        seen = visit(browser, f"{base}/index.html")
    finally:
        server.shutdown()
    foreign = [u for u in seen["requests"] if urlsplit(u).hostname == "127.0.0.2"]
    assert foreign, seen["requests"]
    assert external(["http://127.0.0.2:9/x", "https://cdn.example/x.js", f"{base}/a.js",
                     "data:image/png;base64,AAAA"]) == ["http://127.0.0.2:9/x",
                                                        "https://cdn.example/x.js"]
    assert any("canary error" in p for p in seen["problems"])
    assert any("missingFunction" in p for p in seen["problems"])
    assert seen["charts"] == [{"id": "c", "svg": False, "marks": 0,
                               "error": "Chart could not be drawn: canary"}]
    assert seen["errors"] == 1


# --- the site --------------------------------------------------------------------------------

@pytest.mark.build
@pytest.mark.browser
def test_every_page_loads_only_local_resources(visits):
    assert len(visits) >= 3  # intro, search, genindex and the chapters
    leaks = {v["url"]: external(v["requests"]) for v in visits if external(v["requests"])}
    assert not leaks, f"pages request third-party hosts: {leaks}"
    assert all(v["requests"] for v in visits)


@pytest.mark.build
@pytest.mark.browser
def test_every_chart_draws(visits):
    charts = [(v["url"], c) for v in visits for c in v["charts"]]
    assert charts, "the site has no chart at all"
    broken = [(url, c) for url, c in charts if not (c["svg"] and c["marks"]) or c["error"]]
    assert not broken, f"charts not drawn: {broken}"
    assert not [v["url"] for v in visits if v["errors"]], "a page shows a chart-error"


@pytest.mark.build
@pytest.mark.browser
def test_no_console_errors_or_failed_loads(visits):
    problems = {v["url"]: v["problems"] for v in visits if v["problems"]}
    assert not problems, f"browser reported problems: {problems}"


@pytest.mark.build
def test_pages_stay_small(site):
    sizes = {p.relative_to(site).as_posix(): p.stat().st_size for p in pages(site)}
    too_big = {name: size for name, size in sizes.items() if size > MAX_PAGE_BYTES}
    assert not too_big, f"pages over {MAX_PAGE_BYTES} bytes: {too_big}"


def _spec_row_counts(script: str) -> list[int]:
    """Rows of each dataset a chart draws (a layered chart's CSV may stack several)."""
    found = re.search(r"var spec=(\{.*?\});function draw", script, re.S)
    spec = json.loads(found.group(1).replace("<\\/", "</"))
    counts = [len(rows) for rows in spec.get("datasets", {}).values()]
    stack = [spec]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("data"), dict) and "values" in node["data"]:
                counts.append(len(node["data"]["values"]))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return counts


@pytest.mark.build
def test_every_chart_has_a_caption_linking_its_data(site):
    checked = 0
    for page in pages(site):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for chart in soup.select(".deepshock-chart"):
            where = f"{page.relative_to(site)}#{chart.get('id')}"
            figure = chart.find_parent("figure")
            assert figure is not None and figure.get("id"), f"{where}: chart is not a named figure"
            caption = figure.find("figcaption")
            assert caption is not None and caption.get_text(strip=True), f"{where}: no caption"
            links = [a["href"] for a in caption.select("a.download[href]")
                     if a["href"].endswith(".csv")]
            assert len(links) == 1, f"{where}: caption must link one CSV, found {links}"
            csv = (page.parent / links[0]).resolve()
            assert csv.is_file(), f"{where}: {links[0]} is not in the site"
            assert csv.stem == figure["id"], f"{where}: caption links {csv.name}"
            data = pd.read_csv(csv)
            assert len(data) and not data.isna().all(axis=1).any(), f"{where}: empty rows"
            sizes = _spec_row_counts(chart.find_next_sibling("script").string)
            layered = {sum(c) for n in range(1, len(sizes) + 1) for c in combinations(sizes, n)}
            assert len(data) in layered, \
                f"{where}: {csv.name} has {len(data)} rows; the chart's datasets have {sizes}"
            checked += 1
    assert checked, "no glued figure found in the site"


@pytest.mark.build
def test_download_menu_offers_source_and_notebook(site):
    page = site / "chapters" / "nvidia.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    links = {a.get_text(strip=True): a["href"] for a in soup.select(".dropdown-download-buttons a[href]")}
    assert {".md", ".ipynb"} <= set(links), links
    notebook = json.loads((page.parent / links[".ipynb"]).read_text(encoding="utf-8"))
    assert notebook["cells"] and notebook["nbformat"] == 4
    assert (page.parent / links[".md"]).read_text(encoding="utf-8").startswith("---")
