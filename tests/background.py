"""The test session's builds of the real book, run in a background process while the tests
that do not need them run (`make test` then uses both cores).

`conftest.py` starts `python -m tests.background` once collection has found a test that reads
the built book (fixtures `site`, `glued`, `pdf`, `visits`) and moves the modules of those tests
to the end of the run. The process makes, in order, the same builds the fixtures made
themselves before: the PDF edition (when TeX Live is installed and the site is this checkout's),
the strict HTML build of the site, and the reproducibility test's second build (a copy of the
sources in another directory with an empty artefact store, `test_reproducible.second_build`).
Each step's exit code goes to `_build/test-background/status.json` and its output to
`build.log` there; the fixtures `wait` for a step and fail with the log's tail if it failed.
Without the process (a run that does not collect those tests first, e.g. one test chosen
by node id under a plugin that reorders), the fixtures build in the test process as before.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "_build" / "test-background"
STATUS, LOG = WORK / "status.json", WORK / "build.log"
STEPS = ("pdflatex", "html", "second")
_process: subprocess.Popen | None = None


def start() -> None:
    """Start the builds in a new process group (killed if the test run ends first)."""
    global _process
    if _process is not None:
        return
    WORK.mkdir(parents=True, exist_ok=True)
    STATUS.unlink(missing_ok=True)
    with LOG.open("w") as log:
        _process = subprocess.Popen([sys.executable, "-m", "tests.background"], cwd=ROOT,
                                    stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
    atexit.register(stop)


def stop() -> None:
    """End the background builds if they still run (an interrupted or failed test run)."""
    if _process is not None and _process.poll() is None:
        try:
            os.killpg(_process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        _process.wait()


def started() -> bool:
    return _process is not None


def status() -> dict:
    try:
        return json.loads(STATUS.read_text())
    except (OSError, ValueError):
        return {}


def wait(step: str) -> dict | None:
    """Wait until `step` is done; return its record ({"code": ..., ...}), or None when no
    background process was started or it did not make this step (code None): then the caller
    builds itself. A step the process never reached (it died) is an error naming the log."""
    if _process is None:
        return None
    while step not in status() and _process.poll() is None:
        time.sleep(0.5)
    found = status().get(step)
    if found is None:
        raise AssertionError(f"the background build ended (exit {_process.poll()}) before its "
                             f"step {step!r}:\n{tail()}")
    return None if found["code"] is None and "skipped" not in found else found


def tail(chars: int = 4000) -> str:
    try:
        return f"{LOG} ends with:\n" + LOG.read_text(errors="replace")[-chars:]
    except OSError:
        return f"no log at {LOG}"


def cleanup() -> None:
    """Remove the second build's copy (a temporary directory) at the end of the session."""
    stop()
    copy = (status().get("second") or {}).get("root")
    if copy and Path(copy).parent.name.startswith("deepshock-second-build-"):
        shutil.rmtree(Path(copy).parent, ignore_errors=True)


def _record(done: dict, step: str, **record) -> None:
    done[step] = record
    tmp = STATUS.with_suffix(".tmp")
    tmp.write_text(json.dumps(done, indent=1))
    os.replace(tmp, STATUS)
    print(f"--- background step {step}: {record}", flush=True)


def main() -> int:
    from deepshock.book.build import build
    from tests.test_browser import SITE_ROOT
    from tests.test_pdf import can_build_pdf
    from tests.test_reproducible import second_build

    done: dict = {}  # code None: not built here (the fixture builds it itself if it needs it)
    pdf = can_build_pdf() and SITE_ROOT == ROOT
    _record(done, "pdflatex", code=build("pdflatex") if pdf else None)
    _record(done, "html", code=build("html", root=SITE_ROOT))
    if done["html"]["code"] != 0:
        _record(done, "second", code=None, skipped="the site's build failed")
        return 1
    work = Path(tempfile.mkdtemp(prefix="deepshock-second-build-"))
    copy = work / "book-copy"
    _record(done, "second", code=second_build(copy, work / "artefacts"), root=str(copy))
    return 0


if __name__ == "__main__":
    sys.exit(main())
