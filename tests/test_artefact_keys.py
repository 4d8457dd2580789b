"""Every result kept in the artefact store changes its key when any function it depends on is
edited (issue 24: the placebo's key once hashed other modules' source but not its own module's,
so an edit there silently reused stale rows).

The package is copied to a temporary directory and `paths.PACKAGE` / `artefacts.PACKAGE` point
at the copy; each function is edited there (one statement appended to its body) and the key is
computed again. For the results kept with `artefacts.keep`, "every function it depends on" is
every function and method of every package module the producing module imports, directly or
through others; for the files named by `code_digest` it is the functions that make them."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from deepshock.data import artefacts, paths, validate

KEPT = {   # artefact name -> (producing module, the parts its caller passes)
    "eventstudy-run": "deepshock.story.eventstudy.study",
    "eventstudy-placebo": "deepshock.story.eventstudy.placebo",
    "shocks-measure": "deepshock.story.shocks",
    "transmission-placebo": "deepshock.story.transmission",
}


def module_path(root: Path, module: str) -> Path:
    path = root.joinpath(*module.split(".")[1:])
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def imports(root: Path, module: str) -> set[str]:
    """Package modules `module` imports (relative or absolute)."""
    path = module_path(root, module)
    tree = ast.parse(path.read_text())
    # a package's __init__ imports relative to the package itself
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = (package[:len(package) - node.level + 1] if node.level
                    else []) + (node.module.split(".") if node.module else [])
            if node.level == 0 and (not node.module or not node.module.startswith("deepshock")):
                continue
            for alias in node.names:
                candidate = ".".join(base + [alias.name])
                found.add(candidate if module_path(root, candidate).is_file() else
                          ".".join(base))
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("deepshock.")}
    return {m for m in found if module_path(root, m).is_file()}


def closure(root: Path, module: str) -> set[str]:
    seen, todo = set(), [module]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo += sorted(imports(root, current) - seen)
    return seen


def functions(path: Path) -> list[ast.AST]:
    return [n for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def edited(text: str, node: ast.AST) -> str:
    """`text` with one statement appended to the body of the function `node`."""
    lines = text.split("\n")
    indent = " " * node.body[-1].col_offset
    lines.insert(node.end_lineno, f"{indent}_edited = None")
    return "\n".join(lines)


@pytest.fixture
def package(tmp_path, monkeypatch):
    copy = tmp_path / "deepshock"
    shutil.copytree(paths.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(paths, "PACKAGE", copy)
    monkeypatch.setattr(artefacts, "PACKAGE", copy)
    # the data's part of the key is tested in test_artefacts.py: held fixed (and cheap) here
    manifest = artefacts.read_manifest(paths.cache_dir())
    monkeypatch.setattr(artefacts, "read_manifest", lambda root: manifest)
    (tmp_path / "facts").mkdir()
    monkeypatch.setattr(artefacts, "facts_dir", lambda: tmp_path / "facts")
    return copy


def each_edit(root: Path, modules: set[str]):
    """Edit every function of `modules` in turn (restoring it after), yielding its name."""
    for module in sorted(modules):
        path = module_path(root, module)
        text = path.read_text()
        for node in functions(path):
            path.write_text(edited(text, node))
            try:
                yield f"{module}.{node.name} (line {node.lineno})"
            finally:
                path.write_text(text)


def test_results_kept_with_keep_change_key_when_any_function_they_depend_on_changes(package):
    from deepshock.story import eventstudy as es
    from deepshock.story import transmission as tr
    from deepshock.story.eventstudy import placebo as pl

    parts = {"eventstudy-run": (es.NEW, es.EVENT, None),
             "eventstudy-placebo": (sorted(pl.GROUPS.items()), es.NEW, None, pl.SEED,
                                    pl.WINDOWS, pl.MARGIN),
             "shocks-measure": (),
             "transmission-placebo": (tr.NEWS_UTC, tr.ESTIMATION, tr.BOUNDS, tr.MARKETS,
                                      tr.REOPENING, tr.MIN_CLOSED)}
    base = {name: artefacts.key(name, *parts[name]) for name in KEPT}
    deps = {name: closure(package, module) for name, module in KEPT.items()}
    # the producing module itself and the methods it uses are among the dependencies
    assert "deepshock.story.eventstudy.placebo" in deps["eventstudy-placebo"]
    assert {"deepshock.methods.batch", "deepshock.methods.leadlag", "deepshock.data.context"
            } <= deps["eventstudy-placebo"]
    assert {"deepshock.methods.transmission", "deepshock.data.clock"
            } <= deps["transmission-placebo"]
    checked = 0
    for where in each_edit(package, set().union(*deps.values())):
        module = where.split(" ")[0].rsplit(".", 1)[0]
        for name in KEPT:
            if module in deps[name]:
                assert artefacts.key(name, *parts[name]) != base[name], (name, where)
                checked += 1
    assert checked > 300
    assert {name: artefacts.key(name, *parts[name]) for name in KEPT} == base   # restored


def test_kept_calendars_change_name_when_the_code_that_builds_them_changes(package):
    base = validate.calendar_file("XNYS", "2019-01-01", "2025-12-31")
    deps = [validate._calendar, validate.calendar_file]
    path = package / "data" / "validate.py"
    text = path.read_text()
    for node in functions(path):
        path.write_text(edited(text, node))
        name = validate.calendar_file("XNYS", "2019-01-01", "2025-12-31")
        if node.name in {f.__wrapped__.__name__ if hasattr(f, "__wrapped__") else f.__name__
                         for f in deps}:
            assert name != base, node.name
        else:                     # an unrelated function: the calendars are still good
            assert name == base, node.name
        path.write_text(text)


def test_kept_calendars_change_name_when_the_fast_korea_calendar_changes(package):
    base = validate.calendar_file("XKRX", "2019-01-01", "2025-12-31")
    path = package / "data" / "calendars.py"
    text = path.read_text()
    nodes = functions(path)
    assert {n.name for n in nodes} == {"__init__", "day", "bounded"}
    for node in nodes:
        path.write_text(edited(text, node))
        assert validate.calendar_file("XKRX", "2019-01-01", "2025-12-31") != base, node.name
        path.write_text(text)
    assert validate.calendar_file("XKRX", "2019-01-01", "2025-12-31") == base


def test_kept_price_files_change_name_when_the_code_that_parses_them_changes(package):
    """`load._frame` keeps each price file parsed under the file's hash and `_parse_digest`:
    editing the functions that read and parse a file (or the stale-bar rule it applies) must
    give new names; editing any other function of the two modules must not."""
    from deepshock.data import load

    def name() -> str:
        load._parse_digest.cache_clear()
        return load._parse_digest()

    base = name()
    deps = {("load.py", "_frame"), ("load.py", "_parse"), ("validate.py", "stale_mask")}
    changed = set()
    for module in ("load.py", "validate.py"):
        path = package / "data" / module
        text = path.read_text()
        for node in functions(path):
            path.write_text(edited(text, node))
            if name() != base:
                changed.add((module, node.name))
            path.write_text(text)
    assert changed == deps
    assert name() == base


def test_chart_images_change_name_when_the_code_that_draws_them_changes(package, monkeypatch,
                                                                          tmp_path):
    import types

    from deepshock.book import cards
    from deepshock.story import charts

    names = []

    def kept(name, make):
        names.append(name)
        (tmp_path / "x.png").write_bytes(b"made up")
        return tmp_path / "x.png"

    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(cards, "kept", kept)
    monkeypatch.setattr(cards, "_pool", lambda: ThreadPoolExecutor(1))   # drawn in this process
    monkeypatch.setenv("DEEPSHOCK_ARTEFACTS", str(tmp_path / "store"))
    body = '<div>var spec={"mark": "point"};function draw(){}</div>'

    def png_name() -> str:
        app = types.SimpleNamespace(outdir=str(tmp_path / f"b{len(names)}"))
        cards.chart_image(app, body)
        cards.cards_drawn(app, None)
        return names[-1]

    for function, name in ((cards.chart_image, png_name), (cards.draw_card, png_name),
                           (charts.spec_pdf, lambda: paths.code_digest(charts.spec_pdf))):
        before = name()
        path = paths.PACKAGE.joinpath(*function.__module__.split(".")[1:]).with_suffix(".py")
        text = path.read_text()
        node = next(n for n in functions(path) if n.name == function.__name__)
        path.write_text(edited(text, node))
        assert name() != before, function.__name__
        path.write_text(text)
        assert name() == before


def test_compiled_charts_and_their_pictures_change_name_when_their_code_changes(package):
    """A compiled chart's file (`book.vega.payload_name`) hashes every function of
    `book.vega.COMPILER`, and its pictures every function of `book.preview.pictures`' digest:
    editing any of them renames the file; editing another function of their modules does not."""
    from deepshock.book import layout, preview, vega

    spec = {"mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"}}}
    drawers = (preview.text_width, preview.wrap, preview.laid_out, preview.with_data,
               preview.capped, preview._widths, preview._set_widths, preview.fitted,
               preview.pictures)

    def names() -> tuple[str, str]:
        return vega.payload_name(spec), paths.code_digest(*drawers)

    base = names()
    compilers = {f.__name__ for f in vega.COMPILER}
    pictures = {f.__name__ for f in drawers}
    checked = 0
    for module in ("deepshock.book.layout", "deepshock.book.vega", "deepshock.book.preview"):
        path = module_path(package, module)
        text = path.read_text()
        for node in functions(path):
            if node.col_offset:       # a nested function: part of the one around it
                continue
            path.write_text(edited(text, node))
            try:
                payload, picture = names()
                assert (payload != base[0]) == (node.name in compilers and module !=
                                                "deepshock.book.preview"), (module, node.name)
                assert (picture != base[1]) == (node.name in pictures and module ==
                                                "deepshock.book.preview"), (module, node.name)
                checked += 1
            finally:
                path.write_text(text)
    assert checked >= 25 and names() == base
    assert {f.__name__ for f in layout.STEPS} <= compilers
