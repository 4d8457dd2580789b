"""`make mutation`: mutation testing of the data and methods modules with mutmut (3.x).

A measurement like `make bench`, not part of CI (it takes tens of minutes). It copies the
checkout (tracked and new files, not the ignored ones) into `_build/mutation/`, runs
`mutmut run` there over `MODULES` with the fast tests (no book builds, no browser), then
reads mutmut's own result files and writes the score per module and every surviving mutant
(with its diff) to `bench/results/mutation.json`.

Equivalent mutants (a change no test can see because behaviour is the same) are listed with
the reason in `bench/equivalent-mutants.md` (a `- \`mutant name\`: reason` line each) and
left out of the score: score = killed / (killed + survived - equivalent). Mutants no test
reaches ("no tests") count as survivors: code the book runs without a test is a gap.

    python bench/mutation.py [--modules deepshock/methods/eventstudy.py ...] [--max-children N]
                             [--work DIR] [--results FILE]   (two runs side by side)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "_build" / "mutation"
RESULTS = ROOT / "bench" / "results" / "mutation.json"
EQUIVALENT = ROOT / "bench" / "equivalent-mutants.md"
MODULES = ["deepshock/methods/", "deepshock/data/validate.py", "deepshock/data/load.py",
           "deepshock/data/panel.py", "deepshock/data/facts.py", "deepshock/data/context.py",
           "deepshock/data/schema.py", "deepshock/data/rules.py", "deepshock/data/sessions.py"]
FAST = ["-p", "no:cacheprovider", "-x", "-q", "-m", "not build and not browser"]
# The unit tests of these layers (story and book tests execute chapters: slow, and not theirs).
TESTS = ["tests/test_validate.py", "tests/test_load.py", "tests/test_facts.py",
         "tests/test_context.py", "tests/test_guards.py", "tests/test_sessions.py",
         "tests/test_sync.py", "tests/test_properties.py", "tests/test_eventstudy.py",
         "tests/test_eventstudy_guards.py", "tests/test_eventstudy_models.py",
         "tests/test_panel.py", "tests/test_artefacts.py", "tests/test_methods_*.py",
         "tests/test_mutants_*.py", "tests/test_schema.py"]
KILLED, SURVIVED, NO_TESTS = {1, 3}, {0}, {5, 33}


def copy_checkout(work: Path) -> None:
    """Tracked and untracked-but-not-ignored files of the checkout, as they are on disk."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    if work.exists():
        shutil.rmtree(work)
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, work / name)
    (work / ".cache").mkdir()  # the synced price cache, for tests that read it from the root
    (work / ".cache" / "market-data").symlink_to((ROOT / ".cache" / "market-data").resolve())


def configure(work: Path, modules: list[str], children: int) -> None:
    tests = sorted({str(p.relative_to(work)) for pattern in TESTS for p in work.glob(pattern)})
    config = ["", "[tool.mutmut]",
              f"source_paths = {json.dumps(modules)}",
              f"also_copy = {json.dumps(sorted(p.name for p in work.iterdir()))}",
              f"pytest_add_cli_args = {json.dumps(FAST)}",
              f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
              f"max_children = {children}", ""]
    with (work / "pyproject.toml").open("a", encoding="utf-8") as out:
        out.write("\n".join(config))


def equivalent() -> dict[str, str]:
    """Mutant name -> reason, from bench/equivalent-mutants.md."""
    if not EQUIVALENT.is_file():
        return {}
    found = re.findall(r"^- `([^`]+)`: (.+)$", EQUIVALENT.read_text(encoding="utf-8"), re.M)
    return dict(found)


def collect(work: Path) -> dict:
    """Per module: counts by status and the survivors, from mutmut's `.meta` files."""
    skip = equivalent()
    modules, survivors = {}, []
    for meta in sorted((work / "mutants").rglob("*.py.meta")):
        module = str(meta.relative_to(work / "mutants")).removesuffix(".meta")
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        count = Counter()
        for name, code in codes.items():
            if name in skip:
                count["equivalent"] += 1
            elif code in KILLED:
                count["killed"] += 1
            elif code in SURVIVED or code in NO_TESTS:
                count["survived" if code in SURVIVED else "no tests"] += 1
                survivors.append({"module": module, "mutant": name,
                                  "status": "survived" if code in SURVIVED else "no tests"})
            else:
                count["other"] += 1
        judged = count["killed"] + count["survived"] + count["no tests"]
        modules[module] = {**count, "mutants": len(codes),
                           "score": round(count["killed"] / judged, 4) if judged else None}
    for item in survivors:
        shown = subprocess.run([sys.executable, "-m", "mutmut", "show", item["mutant"]],
                               cwd=work, capture_output=True, text=True)
        item["diff"] = "\n".join(line for line in shown.stdout.splitlines()
                                 if line.startswith(("+", "-")) and not line.startswith(("+++", "---")))
    return {"modules": modules, "survivors": survivors, "equivalent": skip}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", nargs="+", default=MODULES)
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--work", type=Path, default=WORK, help="mutmut's copy of the checkout")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    work, results = args.work.resolve(), args.results.resolve()
    started = time.monotonic()
    copy_checkout(work)
    configure(work, args.modules, args.max_children)
    env = {**os.environ, "DEEPSHOCK_CACHE": str(ROOT / ".cache" / "market-data"),
           "MARKET_DATA": os.environ.get("MARKET_DATA", str(ROOT.parent / "shared" / "market-data")),
           "PYTHONWARNINGS": "ignore"}
    log = work.parent / f"{work.name}.log"
    with log.open("w", encoding="utf-8") as out:
        run = subprocess.run([sys.executable, "-m", "mutmut", "run"], cwd=work, env=env,
                             stdout=out, stderr=subprocess.STDOUT)
    if run.returncode != 0:
        print("\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]))
        print(f"mutmut failed (exit {run.returncode}); its whole output is in {log}",
              file=sys.stderr)
        return run.returncode
    result = collect(work)
    result.update(finished=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                  seconds=round(time.monotonic() - started), mutmut_exit=run.returncode,
                  modules_asked=args.modules)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"{'module':45} {'killed':>7} {'survived':>9} {'no tests':>9} {'equiv.':>7} {'score':>6}")
    for module, row in result["modules"].items():
        score = "" if row["score"] is None else f"{row['score']:.0%}"
        print(f"{module:45} {row.get('killed', 0):7} {row.get('survived', 0):9} "
              f"{row.get('no tests', 0):9} {row.get('equivalent', 0):7} {score:>6}")
    print(f"\n{len(result['survivors'])} surviving mutants (diffs in {results}); "
          f"{result['seconds']} s")
    for item in result["survivors"]:
        print(f"  {item['mutant']} ({item['status']}): {item['diff'].splitlines()[-1:] or ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
