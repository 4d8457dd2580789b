"""Strict book builds that never serve stale outputs.

jupyter-cache keys a notebook only on its code cells, so a change to the price data, the facts
in `data/` or this package would otherwise leave old numbers in the pages. Before each build
the inputs are fingerprinted; when the fingerprint changes, the execution cache and Sphinx's
environment are dropped so every chapter executes again.

Command line: ``python -m deepshock.build [html|pdflatex|latex|linkcheck] [--root DIR]``.
"""

from __future__ import annotations

import argparse
import os
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from .paths import ROOT, cache_dir
from .sync import read_manifest

STRICT = ["-W", "-n", "--keep-going"]


def fingerprint(root: Path = ROOT, cache: Path | None = None) -> str:
    """Hash of everything chapters read besides their own code: prices, facts, package, pins."""
    digest = hashlib.sha256()
    manifest = read_manifest(cache)
    digest.update(json.dumps({t: e["sha256"] for t, e in manifest["tickers"].items()},
                             sort_keys=True).encode())
    files = sorted((root / "deepshock").rglob("*.py")) + sorted((root / "data").glob("*.csv"))
    files.append(root / "requirements.txt")
    for path in files:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def invalidate_if_changed(root: Path = ROOT, cache: Path | None = None) -> bool:
    """Drop execution cache and doctrees when the inputs changed; return True if dropped."""
    build = root / "_build"
    stamp = build / ".inputs-fingerprint"
    current = fingerprint(root, cache)
    if stamp.is_file() and stamp.read_text() == current:
        return False
    for stale in (build / ".jupyter_cache", build / ".doctrees", build / "figdata"):
        shutil.rmtree(stale, ignore_errors=True)
    build.mkdir(exist_ok=True)
    stamp.write_text(current)
    return True


def build(builder: str = "html", root: Path = ROOT, extra: list[str] | None = None) -> int:
    """Run a strict jupyter-book build of `root`; return its exit code."""
    from .vega import write_bundle

    write_bundle(root / "_static" / "vega-bundle.js")
    dropped = invalidate_if_changed(root, cache_dir())
    print(f"inputs {'changed: re-executing every chapter' if dropped else 'unchanged: cache reused'}")
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(root), "--builder", builder, *STRICT, *(extra or [])]
    env = {**os.environ, "DEEPSHOCK_ROOT": str(root), "DEEPSHOCK_CACHE": str(cache_dir())}
    return subprocess.call(cmd, cwd=root, env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("builder", nargs="?", default="html")
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    return build(args.builder, args.root.resolve())


if __name__ == "__main__":
    sys.exit(main())
