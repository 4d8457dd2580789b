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
Under pytest-xdist every worker asks for the process once it has collected; the first creates
the run's start marker (`started-<run id>`, holding the process id) and starts it, the others
wait on the same status file. The process that owns the run (the only one, or xdist's
controller) names the run before the workers start and ends the process, if it still runs,
when the run ends.
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
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "_build" / "test-background"
STATUS, LOG = WORK / "status.json", WORK / "build.log"
RUN = "DEEPSHOCK_TEST_RUN"  # this test run's id, set by its owner, inherited by xdist's workers
STEPS = ("pdflatex", "html", "second")
_process: subprocess.Popen | None = None
_clock = [time.monotonic()]


def begin() -> None:
    """Name this test run: called by the process that owns it (the only one, or pytest-xdist's
    controller) before any worker starts; the workers inherit the name."""
    os.environ[RUN] = uuid.uuid4().hex


def _marker() -> Path:
    """Made by the process that started this run's builds; holds their process id."""
    return WORK / f"started-{os.environ.get(RUN, 'unnamed')}"


def start() -> None:
    """Start the builds in a new process group, once per test run: the first process to ask
    (with pytest-xdist, each worker asks) creates the start marker and starts it; the owner of
    the run ends it (`cleanup`) if the run ends first."""
    global _process
    if _process is not None:
        return
    WORK.mkdir(parents=True, exist_ok=True)
    try:
        marker = os.open(_marker(), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return  # another process of this run started it
    STATUS.unlink(missing_ok=True)
    with LOG.open("w") as log:
        _process = subprocess.Popen([sys.executable, "-m", "tests.background"], cwd=ROOT,
                                    stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
    os.write(marker, str(_process.pid).encode())
    os.close(marker)
    threading.Thread(target=_process.wait, daemon=True).start()  # reaped when it ends
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        atexit.register(stop)


def _pid() -> int | None:
    try:
        return int(_marker().read_text())
    except (OSError, ValueError):
        return None


def _running() -> bool:
    """The process still runs (it, not a leftover record of it, is what a waiter waits for)."""
    if _process is not None:
        return _process.poll() is None
    pid = _pid()
    if pid is None:
        return _marker().is_file()  # being started: its id is written right after
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def stop() -> None:
    """End the background builds if they still run (an interrupted or failed test run)."""
    pid = _process.pid if _process is not None else _pid()
    if pid is not None and "exit" not in status() and _running():
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if _process is not None:
            _process.wait()
        else:
            deadline = time.monotonic() + 30
            while _running() and time.monotonic() < deadline:
                time.sleep(0.1)


def started() -> bool:
    return _process is not None or _marker().is_file()


def status() -> dict:
    try:
        return json.loads(STATUS.read_text())
    except (OSError, ValueError):
        return {}


def wait(step: str) -> dict | None:
    """Wait until `step` is done; return its record ({"code": ..., ...}), or None when no
    background process was started in this run or it did not make this step (code None): then
    the caller builds itself. A step the process never reached (it died) is an error naming the
    log."""
    if not started():
        return None
    while step not in status() and "exit" not in status() and _running():
        time.sleep(0.5)
    found = status().get(step)
    if found is None:
        raise AssertionError(f"the background build ended (exit {status().get('exit')}) before "
                             f"its step {step!r}:\n{tail()}")
    return None if found["code"] is None and "skipped" not in found else found


def tail(chars: int = 4000) -> str:
    try:
        return f"{LOG} ends with:\n" + LOG.read_text(errors="replace")[-chars:]
    except OSError:
        return f"no log at {LOG}"


def cleanup() -> None:
    """Remove the second build's copy (a temporary directory) at the end of the session."""
    stop()
    _marker().unlink(missing_ok=True)
    copy = (status().get("second") or {}).get("root")
    if copy and Path(copy).parent.name.startswith("deepshock-second-build-"):
        shutil.rmtree(Path(copy).parent, ignore_errors=True)


def _record(done: dict, step: str, **record) -> None:
    record["seconds"] = round(time.monotonic() - _clock[0], 1)  # since the previous step
    _clock[0] = time.monotonic()
    done[step] = record
    WORK.mkdir(parents=True, exist_ok=True)
    tmp = STATUS.with_suffix(".tmp")
    tmp.write_text(json.dumps(done, indent=1))
    os.replace(tmp, STATUS)
    print(f"--- background step {step}: {record}", flush=True)


def main() -> int:
    """The builds, then an `exit` record with the process's CPU seconds (its own and its
    children's: kernels, Sphinx, LaTeX), written even when a step raises."""
    import resource

    done: dict = {}  # code None: not built here (the fixture builds it itself if it needs it)
    code = 1
    try:
        code = _steps(done)
    finally:
        cpu = sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, (
            resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))
        _record(done, "exit", code=code, cpu_seconds=round(cpu, 1))
    return code


def _steps(done: dict) -> int:
    from deepshock.book.build import build
    from tests.test_browser import SITE_ROOT
    from tests.test_pdf import can_build_pdf
    from tests.test_reproducible import second_build

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
