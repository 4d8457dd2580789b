"""The package layout is the data flow: data -> methods -> story -> book, never back up, no circles."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "deepshock"
LAYERS = ["data", "methods", "story", "book"]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Package modules imported by one file (relative or absolute, at any depth of the file)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("deepshock"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if (ROOT / Path(*sub.split("."))).with_suffix(".py").is_file()
                          else target)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("deepshock")}
    return found - {name}


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else -1


def test_every_module_sits_in_a_layer():
    loose = [m for m in graph() if layer(m) < 0 and m != "deepshock"]
    assert not loose, f"modules outside data/methods/story/book: {loose}"


def test_imports_only_go_down_the_layers():
    upward = [(m, t) for m, targets in graph().items() for t in targets
              if layer(t) > layer(m) >= 0]
    assert not upward, f"imports that go back up the data flow: {upward}"


def test_methods_know_no_data_files_or_chapters():
    for module, targets in graph().items():
        if layer(module) == LAYERS.index("methods"):
            assert all(layer(t) == LAYERS.index("methods") for t in targets), (module, targets)


def test_no_import_circles():
    edges = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                raise AssertionError("import circle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt in edges and not state.get(nxt):
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in edges:
        if not state.get(node):
            visit(node)


def test_the_checker_sees_a_circle_and_an_upward_import(tmp_path, monkeypatch):
    """The checks above can fail: a made-up package with a circle and an upward import."""
    import tests.test_layout as me

    pkg = tmp_path / "deepshock"
    for sub in ("data", "book"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "data" / "a.py").write_text("from . import b\nfrom ..book import c\n")
    (pkg / "data" / "b.py").write_text("from .a import x\n")
    (pkg / "book" / "c.py").write_text("")
    monkeypatch.setattr(me, "ROOT", tmp_path)
    monkeypatch.setattr(me, "PACKAGE", pkg)
    edges = me.graph()
    assert edges["deepshock.data.a"] == {"deepshock.data.b", "deepshock.book.c"}
    try:
        me.test_no_import_circles()
    except AssertionError as exc:
        assert "deepshock.data.a -> deepshock.data.b -> deepshock.data.a" in str(exc)
    else:
        raise AssertionError("the circle was not found")
    try:
        me.test_imports_only_go_down_the_layers()
    except AssertionError as exc:
        assert "deepshock.book.c" in str(exc)
    else:
        raise AssertionError("the upward import was not found")
