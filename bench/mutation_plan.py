"""The pure part of `make mutation` (bench/mutation.py): which modules, which tests for each,
the key a module's stored result is reused under, and the score.

Tests per module, by rule over the imports (read with `ast`, nothing is imported):
- "story" layer (deepshock/story/, and deepshock/book/report.py's formatting): the test files
  that import the module, a package whose `__init__` imports it, or a module of its own
  package that does, or a module that imports it itself (`nvidia.py` draws `records.py`'s
  chart), not the whole story layer above it;
- "methods" layer (deepshock/methods/ and the data modules, as before issue 24): the layer's
  unit tests (TESTS) whose imports reach the module through any chain of package imports.
A module no test reaches by its rule gets the test files whose imports reach it at all (any
chain of imports). EXTRA_TESTS adds files a rule cannot see. Only fast tests run (FAST: no builds, no browser).
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections import Counter
from pathlib import Path

METHODS = ["deepshock/methods/", "deepshock/data/validate.py", "deepshock/data/load.py",
           "deepshock/data/panel.py", "deepshock/data/facts.py", "deepshock/data/context.py",
           "deepshock/data/schema.py", "deepshock/data/rules.py", "deepshock/data/sessions.py"]
STORY = ["deepshock/story/", "deepshock/book/report.py"]
LAYERS = {"methods": METHODS, "story": STORY}
# The unit tests of the methods/data layer (story and book tests execute chapters: not theirs).
TESTS = ["tests/test_validate.py", "tests/test_load.py", "tests/test_facts.py",
         "tests/test_context.py", "tests/test_guards.py", "tests/test_sessions.py",
         "tests/test_sync.py", "tests/test_properties.py", "tests/test_eventstudy.py",
         "tests/test_eventstudy_guards.py", "tests/test_eventstudy_models.py",
         "tests/test_panel.py", "tests/test_artefacts.py", "tests/test_methods_*.py",
         "tests/test_mutants_*.py", "tests/test_schema.py"]
EXTRA_TESTS: dict[str, list[str]] = {}
FAST = ["-p", "no:cacheprovider", "-x", "-q", "-m", "not build and not browser",
        "-p", "mutation_select"]
# Files every module's result depends on besides its own source and its tests.
SHARED = ["tests/conftest.py", "bench/mutation_select.py", "requirements.txt",
          "requirements-mutation.txt"]
KILLED, SURVIVED, NO_TESTS = {1, 3}, {0}, {5, 33}


def expand(paths: list[str], root: Path) -> list[str]:
    """Files to mutate: a directory stands for its .py files (an `__init__.py` only when it
    defines a function), in order, without repeats."""
    found: list[str] = []
    for item in paths:
        path = root / item
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            if file.name == "__init__.py" and "def " not in file.read_text(encoding="utf-8"):
                continue
            name = file.relative_to(root).as_posix()
            if name not in found:
                found.append(name)
    return found


def layer_of(module: str) -> str:
    return "story" if module.startswith(("deepshock/story/", "deepshock/book/")) else "methods"


def dotted(path: str) -> str:
    """`deepshock/story/shocks/__init__.py` -> `deepshock.story.shocks`."""
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(text: str, package: str) -> set[str]:
    """Names a module's text imports, absolute: `from X import y` gives X and X.y."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def graph(root: Path) -> dict[str, set[str]]:
    """deepshock module -> the deepshock modules it imports (packages by their `__init__`)."""
    files = {dotted(p.relative_to(root).as_posix()): p for p in (root / "deepshock").rglob("*.py")}
    edges = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges[name] = {n for n in imports(path.read_text(encoding="utf-8"), package) if n in files}
    return edges


def reached(start: set[str], edges: dict[str, set[str]], through: str | None) -> set[str]:
    """Modules named by `start` and those they import in turn, followed through packages'
    `__init__`s and through the modules of package `through` (every module when None)."""
    packages = {n.rpartition(".")[0] for n in edges}
    seen: set[str] = set()
    todo = [n for n in start if n in edges]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if through is None or name in packages or name.rpartition(".")[0] == through:
            todo += list(edges[name])
    return seen


def candidates(root: Path, module: str) -> list[str]:
    patterns = TESTS if layer_of(module) == "methods" else ["tests/test_*.py"]
    return sorted({p.relative_to(root).as_posix() for pattern in patterns
                   for p in root.glob(pattern)})


def select(module: str, root: Path, edges: dict[str, set[str]] | None = None) -> list[str]:
    """The test files that exercise `module` (a path under root), by its layer's rule."""
    edges = edges if edges is not None else graph(root)
    target = dotted(module)

    users = {target} | {n for n, named in edges.items() if target in named}

    def chosen(tests: list[str], through: str | None) -> list[str]:
        return [test for test in tests if users & reached(
            imports((root / test).read_text(encoding="utf-8"), "tests"), edges, through)]

    story = layer_of(module) == "story"
    found = chosen(candidates(root, module), target.rpartition(".")[0] if story else None)
    if not found:   # no test reaches it by the rule: the tests whose imports reach it at all
        found = chosen(sorted(p.relative_to(root).as_posix()
                              for p in root.glob("tests/test_*.py")), None)
    return sorted(set(found) | set(EXTRA_TESTS.get(module, [])))


def key(module: str, tests: list[str], root: Path) -> str:
    """Hash of what a module's result depends on: its source, its tests' files, the test
    helpers they import from `tests/`, SHARED, the test fixtures and the pytest options."""
    helpers = {f"tests/{n.removeprefix('tests.').replace('.', '/')}.py"
               for t in tests for n in imports((root / t).read_text(encoding="utf-8"), "tests")
               if n.startswith("tests.")}
    files = [module, *sorted(set(tests) | helpers), *SHARED]
    files += sorted(p.relative_to(root).as_posix() for p in (root / "tests" / "fixtures").rglob("*")
                    if p.is_file())
    digest = hashlib.sha256(json.dumps(FAST).encode())
    for name in files:
        path = root / name
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"(none)")
    return digest.hexdigest()[:20]


def score(codes: dict[str, int | None], equivalent: dict[str, str]) -> tuple[dict, list[dict]]:
    """Counts by status, score = killed / (killed + survived + no tests), equivalents left
    out; and the survivors (no tests included: code the book runs without a test is a gap)."""
    count: Counter = Counter()
    survivors = []
    for name, code in codes.items():
        if name in equivalent:
            count["equivalent"] += 1
        elif code in KILLED:
            count["killed"] += 1
        elif code in SURVIVED or code in NO_TESTS:
            status = "survived" if code in SURVIVED else "no tests"
            count[status] += 1
            survivors.append({"mutant": name, "status": status})
        else:
            count["other"] += 1
    judged = count["killed"] + count["survived"] + count["no tests"]
    return ({**count, "mutants": len(codes),
             "score": round(count["killed"] / judged, 4) if judged else None}, survivors)
