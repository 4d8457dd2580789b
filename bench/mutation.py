"""`make mutation`: mutation testing with mutmut (3.x), one module at a time.

A measurement like `make bench`, not part of CI. For each module it copies the checkout
(tracked and new files, not the ignored ones) into `_build/mutation/<module>/`, runs `mutmut
run` there on that module alone with the fast tests that exercise it (bench/mutation_plan.py:
chosen by a rule over the imports; no book builds, no browser), reads mutmut's result files and
keeps them in `.cache/mutation/<module>.json` under a key hashing the module's source, its
tests and the requirements: a module whose key is unchanged is not run again. The score per
module, its run time, whether it was reused, and every surviving mutant (with its diff) go to
`bench/results/mutation.json`.

Equivalent mutants (a change no test can see because behaviour is the same) are listed with
the reason in `bench/equivalent-mutants.md` (a `- \`mutant name\`: reason` line each) and
left out of the score: score = killed / (killed + survived + no tests), equivalents in none of
them. Mutants no test reaches ("no tests") count as survivors: code the book runs without a
test is a gap. Editing the equivalents needs no new run: they are applied to stored results.

    python bench/mutation.py [--layer all|methods|story] [--modules FILE_OR_DIR ...]
                             [--max-children N] [--rerun] [--list] [--work DIR] [--results FILE]
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mutation_plan as plan  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "_build" / "mutation"
STORE = ROOT / ".cache" / "mutation"
RESULTS = ROOT / "bench" / "results" / "mutation.json"
EQUIVALENT = ROOT / "bench" / "equivalent-mutants.md"
NO_TEST_REACHES = "could not find any test case for any mutant"   # mutmut's words
DIFFS = """import json, sys
from pathlib import Path
from mutmut.mutation.diff_apply import get_diff_for_mutant
path, names = sys.argv[1], json.loads(sys.stdin.read())
print(json.dumps({n: get_diff_for_mutant(n, path=Path(path)) for n in names}))
"""


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


def configure(work: Path, module: str, tests: list[str], children: int) -> None:
    config = ["", "[tool.mutmut]",
              f"source_paths = {json.dumps([module])}",
              f"also_copy = {json.dumps(sorted(p.name for p in work.iterdir()))}",
              f"pytest_add_cli_args = {json.dumps(plan.FAST)}",
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


def short(diff: str) -> str:
    """The changed lines of a unified diff."""
    return "\n".join(line for line in diff.splitlines()
                     if line.startswith(("+", "-")) and not line.startswith(("+++", "---")))


def run_module(module: str, tests: list[str], work: Path, children: int) -> dict:
    """mutmut on `module` alone in its own copy: every mutant's exit code, the diffs of the
    ones not killed, the run time."""
    started = time.monotonic()
    copy_checkout(work)
    configure(work, module, tests, children)
    shared = (ROOT.parent / "shared").resolve()   # tests reading ../shared beside the root
    if shared.is_dir():
        (work / "shared").symlink_to(shared)
    env = {**os.environ, "DEEPSHOCK_CACHE": str(ROOT / ".cache" / "market-data"),
           "DEEPSHOCK_ARTEFACTS": str(work / "artefacts"),   # never the checkout's store
           "MARKET_DATA": os.environ.get("MARKET_DATA", str(ROOT.parent / "shared" / "market-data")),
           "MUTATION_MODULE": plan.dotted(module), "PYTHONPATH": str(work / "bench"),
           # a chapter a test executes runs in a kernel: its figure files go where tests look
           "DEEPSHOCK_ROOT": str(work / "mutants"),
           "PYTHONWARNINGS": "ignore"}
    log = work.parent / f"{work.name}.log"
    with log.open("w", encoding="utf-8") as out:
        run = subprocess.run([sys.executable, "-m", "mutmut", "run"], cwd=work, env=env,
                             stdout=out, stderr=subprocess.STDOUT)
    meta = work / "mutants" / f"{module}.meta"
    said = log.read_text(encoding="utf-8", errors="replace")
    untested = run.returncode != 0 and NO_TEST_REACHES in said   # every mutant: "no tests"
    if (run.returncode != 0 and not untested) or not meta.is_file():
        return {"error": f"mutmut exit {run.returncode}; log {log}",
                "log_tail": said.splitlines()[-20:], "seconds": round(time.monotonic() - started)}
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    if untested:
        codes = dict.fromkeys(codes, 33)
    unkilled = [n for n, c in codes.items() if c not in plan.KILLED]
    shown = subprocess.run([sys.executable, "-c", DIFFS, module], cwd=work, env=env, text=True,
                           input=json.dumps(unkilled), capture_output=True)
    diffs = json.loads(shown.stdout) if shown.returncode == 0 else {}
    return {"codes": codes, "diffs": {n: short(d) for n, d in diffs.items()},
            "seconds": round(time.monotonic() - started), "mutmut_exit": run.returncode,
            "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


def stored(module: str) -> Path:
    return STORE / (module.removesuffix(".py").replace("/", ".") + ".json")


def measure(module: str, edges, args) -> dict:
    """The module's result: the stored one when its key is unchanged, else a new run."""
    tests = plan.select(module, ROOT, edges)
    key = plan.key(module, tests, ROOT)
    path = stored(module)
    if not args.rerun and path.is_file():
        kept = json.loads(path.read_text(encoding="utf-8"))
        if kept.get("key") == key and "codes" in kept:
            return {**kept, "reused": True}
    if not tests:
        return {"module": module, "key": key, "tests": [], "error": "no test imports it",
                "seconds": 0, "reused": False}
    work = args.work / path.stem
    result = {"module": module, "key": key, "tests": tests,
              **run_module(module, tests, work, args.max_children)}
    if "codes" in result:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return {**result, "reused": False}


def report(results: list[dict], started: float, args) -> dict:
    """The JSON report: per module counts, score, run time, reuse; every survivor's diff."""
    skip = equivalent()
    modules, survivors = {}, []
    for item in results:
        row = {"tests": item.get("tests", []), "seconds": item.get("seconds"),
               "reused": item["reused"], "key": item.get("key")}
        if "codes" not in item:
            modules[item["module"]] = {**row, "error": item.get("error"), "score": None}
            continue
        counts, lost = plan.score(item["codes"], skip)
        modules[item["module"]] = {**counts, **row}
        survivors += [{"module": item["module"], **s, "diff": item["diffs"].get(s["mutant"], "")}
                      for s in lost]
    failed = [m for m, row in modules.items() if row.get("error")]
    return {"modules": modules, "survivors": survivors, "equivalent": skip,
            "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(time.monotonic() - started), "mutmut_exit": 1 if failed else 0,
            "modules_asked": args.modules or plan.LAYERS.get(args.layer, plan.METHODS + plan.STORY),
            "max_children": args.max_children}


def show(result: dict, results: Path) -> None:
    print(f"{'module':45} {'mutants':>7} {'killed':>7} {'surv.':>6} {'no test':>7} "
          f"{'equiv.':>6} {'score':>6} {'s':>6}")
    for module, row in result["modules"].items():
        score = "" if row["score"] is None else f"{row['score']:.0%}"
        seconds = "reused" if row["reused"] else row["seconds"]
        print(f"{module:45} {row.get('mutants', 0):7} {row.get('killed', 0):7} "
              f"{row.get('survived', 0):6} {row.get('no tests', 0):7} "
              f"{row.get('equivalent', 0):6} {score:>6} {seconds:>6}"
              + (f"  ERROR {row['error']}" if row.get("error") else ""))
    print(f"\n{len(result['survivors'])} surviving mutants (diffs in {results}); "
          f"{result['seconds']} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", choices=["methods", "story", "all"], default="all",
                        help="methods: deepshock/methods/ and the data modules; story: "
                             "deepshock/story/ and deepshock/book/report.py; all (the default)")
    parser.add_argument("--modules", nargs="+", help="files or directories (instead of --layer)")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--rerun", action="store_true", help="ignore the stored results")
    parser.add_argument("--list", action="store_true", help="print each module's tests and key")
    parser.add_argument("--keep", action="store_true", help="keep each module's mutmut copy")
    parser.add_argument("--work", type=Path, default=WORK, help="where the copies go")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.work, results = args.work.resolve(), args.results.resolve()
    asked = args.modules or (plan.METHODS + plan.STORY if args.layer == "all"
                             else plan.LAYERS[args.layer])
    modules, edges = plan.expand(asked, ROOT), plan.graph(ROOT)
    if args.list:
        for module in modules:
            tests = plan.select(module, ROOT, edges)
            print(f"{module} {plan.key(module, tests, ROOT)}: {' '.join(tests) or '(none)'}")
        return 0
    started, done = time.monotonic(), []
    for module in modules:
        item = measure(module, edges, args)
        done.append(item)
        counts = plan.score(item["codes"], equivalent())[0] if "codes" in item else {}
        print(f"{module}: {'reused' if item['reused'] else str(item.get('seconds')) + ' s'}, "
              f"score {counts.get('score')}" + (f", {item['error']}" if "error" in item else ""),
              flush=True)
    result = report(done, started, args)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    show(result, results)
    return result["mutmut_exit"]


if __name__ == "__main__":
    sys.exit(main())
