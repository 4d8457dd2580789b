"""Staging directories of a sync, and the orphans that killed syncs leave behind.

A sync writes its new cache version into `<cache>-XXXXXXXX` beside the cache symlink (a yfinance
refresh also downloads into `<cache>-download-XXXXXXXX`). Its process holds an exclusive lock
(`flock`) on `.<dir>.lock` beside it for as long as it works there; the kernel drops the lock
when the process dies, even by `kill -9`. `sweep()` therefore removes exactly the staging
directories whose lock is free (their sync is gone) or, without a lock file, older than
`STALE_SECONDS`; never the live version the symlink points to, never a directory another
running sync holds, never anything not named like a staging directory. The temporary symlink of
an interrupted swap (`.<cache>.link-PID`) goes when its process is gone.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

STALE_SECONDS = 600  # a lock-less staging directory older than this is an orphan
_HELD: dict[Path, int] = {}


def _pattern(target: Path) -> re.Pattern:
    return re.compile(re.escape(target.name) + r"-(download-)?[A-Za-z0-9_]{8}")


def _lock(directory: Path) -> Path:
    return directory.parent / f".{directory.name}.lock"


def create(target: Path, kind: str = "") -> Path:
    """A new staging directory beside `target`, locked by this process (after a sweep)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep(target)
    directory = Path(tempfile.mkdtemp(prefix=f"{target.name}-{kind}", dir=target.parent))
    fd = os.open(_lock(directory), os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    _HELD[directory] = fd
    return directory


def release(directory: Path, *, remove: bool = False) -> None:
    """Drop this process's lock on `directory` (and the directory itself with `remove`)."""
    if remove:
        shutil.rmtree(directory, ignore_errors=True)
    fd = _HELD.pop(directory, None)
    _lock(directory).unlink(missing_ok=True)
    if fd is not None:
        os.close(fd)


def _free(lock: Path) -> bool:
    """Whether no living process holds `lock` (then this call holds it until closed)."""
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    os.close(fd)
    return True


def sweep(target: Path) -> list[Path]:
    """Remove orphaned staging directories of `target`; return what was removed."""
    parent = target.parent
    if not parent.is_dir():
        return []
    live = target.resolve() if target.is_symlink() else None
    pattern, removed = _pattern(target), []
    for entry in sorted(parent.iterdir()):
        if (not pattern.fullmatch(entry.name) or entry.is_symlink() or not entry.is_dir()
                or entry.resolve() == live or entry in _HELD):
            continue
        lock = _lock(entry)
        if lock.exists():
            orphan = _free(lock)
        else:
            orphan = time.time() - entry.stat().st_mtime > STALE_SECONDS
        if orphan:
            shutil.rmtree(entry, ignore_errors=True)
            lock.unlink(missing_ok=True)
            removed.append(entry)
    for lock in parent.glob(f".{target.name}-*.lock"):  # locks whose directory is gone
        if not (parent / lock.name[1:-5]).exists() and _free(lock):
            lock.unlink(missing_ok=True)
    for link in parent.glob(f".{target.name}.link-*"):  # sync.install's temporary symlink
        pid = link.name.rsplit("-", 1)[-1]
        if link.is_symlink() and pid.isdigit() and not _alive(int(pid)):
            link.unlink(missing_ok=True)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
