"""Orphaned staging directories: a sync killed with `kill -9` leaves its `market-data-XXXXXXXX`
behind; the next sync removes it, and never the live cache, a directory another running sync
still holds, or anything not named like a staging directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from deepshock.data import staging, sync
from tests.conftest import ROOT
from tests.test_sync import tree

PYTHON = [sys.executable, "-c"]


def orphans(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir()
                  if p.is_dir() and not p.is_symlink() and p != target.resolve())


def wait_for(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.005)


def test_a_killed_sync_leaves_an_orphan_that_the_next_sync_removes(snapshot, tmp_path):
    target = tmp_path / "cache" / "market-data"
    sync.sync_snapshot(snapshot, target=target)
    before = tree(target)
    script = ("import sys; from pathlib import Path; from deepshock.data import sync; "
              "sync.sync_snapshot(Path(sys.argv[1]), target=Path(sys.argv[2]))")
    (snapshot_copy := tmp_path / "snap").mkdir()
    for name in ("PROVENANCE.md", "manifest.csv", "prices", "panel"):  # CRLF: a real re-sync
        source = snapshot / name
        if source.is_dir():
            (snapshot_copy / name).mkdir()
            for f in source.iterdir():
                (snapshot_copy / name / f.name).write_bytes(f.read_bytes().replace(b"\n", b"\r\n"))
        elif source.is_file():
            (snapshot_copy / name).write_bytes(source.read_bytes())
    seen = []
    for _ in range(2):  # two killed runs: the second sweeps the first one's orphan
        proc = subprocess.Popen([*PYTHON, script, str(snapshot_copy), str(target)], cwd=ROOT)
        try:
            def staged() -> bool:
                return any((p / "prices").is_dir() and len(list((p / "prices").iterdir())) >= 5
                           for p in target.parent.iterdir()
                           if p.is_dir() and not p.is_symlink() and p != target.resolve()
                           and p.name not in seen)
            wait_for(lambda: staged() or proc.poll() is not None)
            assert proc.poll() is None, "the sync finished before it could be killed"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            assert tree(target)[:2] == before[:2]  # the live cache: the old one, whole
            left = orphans(target)
            assert len(left) == 1 and left[0].startswith("market-data-") and left[0] not in seen
            assert (target.parent / f".{left[0]}.lock").exists()
            seen.append(left[0])
        finally:
            if proc.poll() is None:
                proc.kill()
    manifest = sync.sync_snapshot(snapshot_copy, target=target)
    assert orphans(target) == []
    assert sorted(p.name for p in target.parent.iterdir()) == \
        ["market-data", target.resolve().name]  # no lock files left either
    assert sync.read_manifest(target) == manifest


def test_a_running_syncs_staging_directory_is_left_alone(tmp_path):
    target = tmp_path / "cache" / "market-data"
    script = ("import sys, time; from pathlib import Path; from deepshock.data import staging; "
              "print(staging.create(Path(sys.argv[1])), flush=True); time.sleep(60)")
    proc = subprocess.Popen([*PYTHON, script, str(target)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    try:
        held = Path(proc.stdout.readline().strip())
        assert held.is_dir()
        assert staging.sweep(target) == [] and held.is_dir()  # its owner is alive
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert staging.sweep(target) == [held] and not held.exists()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_only_its_own_kind_is_swept(tmp_path):
    target = tmp_path / "cache" / "market-data"
    parent = target.parent
    parent.mkdir(parents=True)
    live = parent / "market-data-live1234"
    live.mkdir()
    target.symlink_to(live.name)
    strangers = [parent / n for n in ("market-data-keep", "other-abcdefgh", "market-data-abcdefghij")]
    for path in strangers:
        path.mkdir()
    fresh = parent / "market-data-fresh123"  # no lock yet: maybe a sync just made it
    fresh.mkdir()
    stale = parent / "market-data-stale123"
    stale.mkdir()
    old = time.time() - staging.STALE_SECONDS - 5
    os.utime(stale, (old, old))
    download = parent / "market-data-download-abcd1234"
    download.mkdir()
    (parent / ".market-data-download-abcd1234.lock").touch()  # lock free: its owner died
    os.utime(live, (old, old))  # even an old live version stays
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (parent / f".market-data.link-{dead}").symlink_to(live.name)  # a swap killed half-way
    (parent / f".market-data.link-{os.getpid()}").symlink_to(live.name)  # a swap under way
    removed = staging.sweep(target)
    assert sorted(removed) == sorted([stale, download])
    assert live.is_dir() and fresh.is_dir() and all(p.is_dir() for p in strangers)
    assert not (parent / ".market-data-download-abcd1234.lock").exists()
    assert not (parent / f".market-data.link-{dead}").is_symlink()
    assert (parent / f".market-data.link-{os.getpid()}").is_symlink()


def test_make_data_sweeps_orphans_even_when_the_cache_is_current(snapshot, tmp_path,
                                                                  monkeypatch):
    from deepshock.data import cli
    target = tmp_path / "cache" / "market-data"
    monkeypatch.setenv("DEEPSHOCK_CACHE", str(target))
    assert cli.main(["--snapshot", str(snapshot)]) == 0
    script = ("import sys, time; from pathlib import Path; from deepshock.data import staging; "
              "print(staging.create(Path(sys.argv[1])), flush=True); time.sleep(60)")
    proc = subprocess.Popen([*PYTHON, script, str(target)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    orphan = Path(proc.stdout.readline().strip())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert orphan.is_dir()
    before = tree(target)[:2]
    assert cli.main(["--snapshot", str(snapshot)]) == 0
    assert tree(target)[:2] == before  # the same version: nothing was re-synced ...
    assert not orphan.exists() and orphans(target) == []  # ... but the orphan is gone
