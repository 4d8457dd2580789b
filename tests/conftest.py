"""Shared fixtures: the raw snapshot (read independently of the package) and the synced cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
# Front matter of a MyST notebook, for the small throwaway books some tests build.
NOTEBOOK_HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""
SNAPSHOT = Path(os.environ.get("MARKET_DATA", ROOT.parent / "shared" / "market-data"))
CHROMIUM = os.environ.get("DEEPSHOCK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


# Fixtures that read the real book's build: the session builds it in the background
# (tests/background.py) while the other tests run, and runs the modules using them last.
BOOK_FIXTURES = frozenset({"site", "glued", "pdf", "visits"})
# Under pytest-xdist (`make test`: `-n auto --dist loadfile`) a module's tests run on one
# worker, so its module fixtures are made once; these modules' tests are independent builds
# (no module fixture), spread over the workers one by one (`pytest_xdist_make_scheduler`).
SPREAD = frozenset({"tests.test_build", "tests.test_deps"})


def _needs_book(item) -> bool:
    needed = set(BOOK_FIXTURES) - ({"glued"} if os.environ.get("DEEPSHOCK_ORACLE_BUILD") else set())
    return bool(needed & set(getattr(item, "fixturenames", ())))


def _owner(config) -> bool:
    """This process owns the test run: the only one, or pytest-xdist's controller."""
    return not hasattr(config, "workerinput")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    """Name the run (its background builds) before any xdist worker starts."""
    if _owner(session.config):
        from tests import background

        background.begin()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Modules with a test that reads the built book run after all the others, in their own
    order (whole modules move, so module fixtures are set up once; of SPREAD, only the tests
    that read it), the reproducibility test last: the background build overlaps with
    everything before them."""
    late = {item.module.__name__ for item in items
            if _needs_book(item) and getattr(item, "module", None) is not None}

    def waits(item) -> bool:  # for the book: a SPREAD module's tests move one by one
        module = getattr(item, "module", None)
        return module is not None and module.__name__ in late and (
            module.__name__ not in SPREAD or _needs_book(item))

    last = [i for i in items if waits(i)]  # and of those, the one waiting longest comes last
    last.sort(key=lambda i: i.module.__name__ == "tests.test_reproducible")
    items[:] = [i for i in items if not waits(i)] + last


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` (`make test`): each module's tests on one worker, so its module
    fixtures are made once, except SPREAD's, sent one by one."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    spread = {f"tests/{name.split('.')[-1]}.py" for name in SPREAD}

    class ByModule(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::", 1)[0]
            return nodeid if file in spread else file

    return ByModule(config, log)


def pytest_collection_finish(session):
    """Start the book's builds in the background when a selected test needs them (with
    pytest-xdist every worker asks; the first one starts them)."""
    if session.config.option.collectonly:
        return
    if any(_needs_book(item) for item in session.items):
        from tests import background

        background.start()


def pytest_sessionfinish(session, exitstatus):
    if _owner(session.config):
        from tests import background

        background.cleanup()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium under Playwright (launched through `executable_path`, never
    Playwright's own download), one per test session; skipped when either is missing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip package playwright missing")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


def built_glue(site: Path, page: str) -> dict[str, dict]:
    """The glued outputs of `page` ('intro', 'chapters/tokyo') as the session's one strict build
    executed it (`site`: a failing chapter fails that build), read from the glue myst-nb saved
    beside the executed notebook: key -> mime bundle, what `deepshock.book.chapter.execute`
    returns for the same chapter executed again in a fresh kernel."""
    import json

    path = site.parent / "jupyter_execute" / f"{page}.glue.json"
    assert path.is_file(), f"the build executed no {page} (no {path})"
    return {key: {mime: "".join(v) if isinstance(v, list) else v
                  for mime, v in output["data"].items()}
            for key, output in json.loads(path.read_text(encoding="utf-8")).items()}


def raw_close(file: str) -> pd.Series:
    """Closes straight from a snapshot CSV with plain pandas, indexed by date (test oracle)."""
    frame = pd.read_csv(SNAPSHOT / "prices" / file, parse_dates=["date"])
    return frame.set_index("date")["close"]


@pytest.fixture(scope="session")
def snapshot() -> Path:
    if not (SNAPSHOT / "prices").is_dir():
        pytest.skip(f"no market-data snapshot at {SNAPSHOT}")
    return SNAPSHOT


def small_book(root: Path, monkeypatch, tickers) -> Path:
    """A copy of data/ under `root` whose universe holds only `tickers`, read instead of the
    real one (DEEPSHOCK_ROOT). The other facts keep only rows about those tickers (what
    data/datapackage.json says must name a universe ticker), so the small book stays valid."""
    import json
    import shutil

    data = root / "data"
    shutil.copytree(ROOT / "data", data)
    keep, every = set(tickers), set(pd.read_csv(data / "universe.csv")["ticker"])

    def table(name: str) -> pd.DataFrame:
        return pd.read_csv(data / f"{name}.csv", dtype=str, keep_default_na=False)

    universe = table("universe")
    universe = universe[universe["ticker"].isin(keep)]
    universe["benchmark"] = universe["benchmark"].where(universe["benchmark"].isin(keep), "")
    universe.to_csv(data / "universe.csv", index=False)
    package = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        name, keys = resource["name"], resource["schema"].get("foreignKeys", [])
        columns = [k["fields"][0] for k in keys if k["reference"]["resource"] == "universe"]
        if columns:
            frame = table(name)
            frame[frame[columns].isin(keep).all(axis=1)].to_csv(data / f"{name}.csv",
                                                                 index=False)
    claims = table("claims")
    named = claims["subject"].str.split(";").map(lambda n: {t.strip() for t in n})
    claims[named.map(lambda n: n <= keep or not n & every)].to_csv(data / "claims.csv",
                                                                    index=False)
    from deepshock.data.rules import LISTS  # files with a list of universe tickers

    for name, column in LISTS.items():
        frame = table(name)
        frame[column] = frame[column].map(lambda a: ";".join(t for t in a.split(";")
                                                             if t.strip() in keep))
        frame[frame[column] != ""].to_csv(data / f"{name}.csv", index=False)
    monkeypatch.setenv("DEEPSHOCK_ROOT", str(root))
    return root


def synced_cache(snapshot_dir: Path, root: Path, tickers) -> Path:
    """A price cache synced from `snapshot_dir` for `tickers`, under `root`."""
    from deepshock.data import sync

    target = root / "cache" / "market-data"
    sync.sync_snapshot(snapshot_dir, target=target, tickers=tickers)
    return target


@pytest.fixture
def book(tmp_path, monkeypatch) -> Path:
    """A copy of data/ that the package reads instead of the real one (DEEPSHOCK_ROOT); returns
    the copy's data/ directory."""
    import shutil

    shutil.copytree(ROOT / "data", tmp_path / "data")
    monkeypatch.setenv("DEEPSHOCK_ROOT", str(tmp_path))
    return tmp_path / "data"


def exactly(message: str, call, *args, **kwargs) -> None:
    """`call(*args, **kwargs)` raises DataError with exactly `message`."""
    from deepshock.data.validate import DataError

    with pytest.raises(DataError) as info:
        call(*args, **kwargs)
    assert str(info.value) == message


def panel_snapshot(snapshot_dir: Path, copy: Path) -> Path:
    """A private snapshot at `copy`: two real price files (NVDA, ^VIX) and the made-up
    four-ticker panel of tests/fixtures/panel."""
    import shutil

    (copy / "prices").mkdir(parents=True)
    for name in ("PROVENANCE.md", "manifest.csv"):
        shutil.copyfile(snapshot_dir / name, copy / name)
    for name in ("NVDA.csv", "INDEX_VIX.csv"):
        shutil.copyfile(snapshot_dir / "prices" / name, copy / "prices" / name)
    shutil.copytree(ROOT / "tests" / "fixtures" / "panel", copy / "panel",
                    ignore=shutil.ignore_patterns("*.md"))
    return copy
